/**
 * The build figures of `npm run bench`: how long `cdk synth` with bundling
 * takes, and how long Node 22 takes to import each phase function's bundle
 * (the module load of a cold start, without the Lambda runtime). Each figure
 * is measured in child processes, so nothing this process has loaded or
 * cached counts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_FILE, bundleDirOf, configDefine, phaseBundles, ROOT } from '../../lib/bundling/phase-bundles.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { PHASE_NAMES } from '../../lib/constructs/phases.ts';

/** The Node.js the bundles are measured with: the devDependency `node` (22), whatever runs this script. */
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
/** Imports of each bundle; the median of them is its figure. */
const IMPORT_RUNS = 7;

export class BenchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BenchError';
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Runs a command to its end; its stdout, or a BenchError with its stderr. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => reject(new BenchError(`${command} could not start`, { cause: error })));
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new BenchError(`${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/**
 * `cdk synth --quiet` with bundling of the default baton.config.json into a
 * new, empty cloud assembly directory: the wall time of the whole command.
 * Notices and CLI telemetry are off: they are network calls, not synthesis.
 */
export async function measureSynth(): Promise<{ seconds: number }> {
  const outdir = mkdtempSync(join(tmpdir(), 'baton-bench-synth-'));
  try {
    const started = performance.now();
    await run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', outdir], { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' });
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** One import of a bundle in a new Node process, in milliseconds. */
async function importOnce(file: string): Promise<number> {
  const script = `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  // The AWS SDK is external to the bundles (the Lambda runtime has it): here it comes from the project's node_modules.
  const out = await run(NODE, ['-e', script], { ...process.env, NODE_PATH: join(ROOT, 'node_modules') });
  const ms = Number(out.trim());
  if (!Number.isFinite(ms)) throw new BenchError(`importing ${file} printed ${JSON.stringify(out)}, not a duration`);
  return ms;
}

/**
 * The median import time of each phase function's bundle (as the default
 * baton.config.json builds them), one import per new process, and the
 * median of those medians.
 */
export async function measureBundleImport(): Promise<{ medianMs: number; perFunction: Record<string, number> }> {
  const bundles = phaseBundles(configDefine(loadConfig(join(ROOT, 'baton.config.json'))));
  const perFunction: Record<string, number> = {};
  for (const phase of PHASE_NAMES) {
    const file = join(bundleDirOf(bundles, phase), BUNDLE_FILE);
    const runs: number[] = [];
    // One after the other: parallel imports would measure the contention of this machine.
    for (let i = 0; i < IMPORT_RUNS; i += 1) runs.push(await importOnce(file));
    perFunction[phase] = median(runs);
  }
  return { medianMs: median(Object.values(perFunction)), perFunction };
}
