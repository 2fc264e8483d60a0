/**
 * The build figures: `cdk synth` with bundling (wall seconds) and the time
 * Node takes to import each deployed bundle (a cold start's module loading).
 * Minimal versions, measured from outside as a user would run them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../lib/config/load.ts';
import { definitionFor } from '../../sim/definition.ts';
import { runTimed } from './process.ts';
import { ROOT } from './subjects.ts';

/** Imports of each bundle; the median is reported. */
const IMPORT_RUNS = 3;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** `cdk synth` of the example config with bundling, into a directory of its own. */
export async function measureSynth(): Promise<{ seconds: number }> {
  const outdir = mkdtempSync(join(tmpdir(), 'baton-bench-synth-'));
  try {
    const run = await runTimed(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '-o', outdir], 900_000);
    if (run.code !== 0) throw new Error(`cdk synth exited ${run.code}: ${run.output.slice(-500)}`);
    return { seconds: run.wallSeconds };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const IMPORT_SCRIPT =
  'const started = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - started));';

/** Milliseconds a fresh Node process takes to import one bundle, with its function's environment. */
async function importMs(file: string, environment: Readonly<Record<string, string>>): Promise<number> {
  const run = await runTimed(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(file).href], 60_000, {
    ...process.env,
    ...environment,
  });
  const ms = Number(run.output.trim().split('\n').pop());
  if (run.code !== 0 || !Number.isFinite(ms)) throw new Error(`importing ${file} failed: ${run.output.slice(-500)}`);
  return ms;
}

/** The median import of each deployed bundle of the example config, and the median of those. */
export async function measureBundleImport(): Promise<{ medianMs: number; perFunction: Record<string, number> }> {
  const bound = await definitionFor(loadConfig(join(ROOT, 'baton.config.json')));
  const perFunction: Record<string, number> = {};
  for (const fn of Object.values(bound.functions)) {
    const runs: number[] = [];
    for (let run = 0; run < IMPORT_RUNS; run += 1) runs.push(await importMs(join(fn.assetDir, 'index.js'), fn.environment));
    perFunction[fn.phase] = Math.round(median(runs));
  }
  return { medianMs: Math.round(median(Object.values(perFunction))), perFunction };
}
