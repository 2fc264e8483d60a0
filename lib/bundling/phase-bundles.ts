/**
 * The bundles of all phase functions, built by one esbuild run (one entry
 * point per row of lib/constructs/phases.ts, one output directory per
 * function) and kept for the process: a synthesis copies each function's
 * bundle from here (phase-code.ts) instead of starting esbuild once per
 * function. No Docker, no network: the local esbuild package only.
 *
 * Pure Node (no aws-cdk-lib): the simulation and the scripts read entryOf()
 * and the metafile without loading the CDK.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { PHASE_NAMES, PHASES, type PhaseName } from '../constructs/phases.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A phase's handler: lambdas/<dir>/index.ts. */
export function entryOf(phase: PhaseName): string {
  return join(ROOT, 'lambdas', PHASES[phase].dir, 'index.ts');
}

/** The file of a bundle its function's Handler (`index.handler`) names. */
export const BUNDLE_FILE = 'index.js';

/** What every bundle is built with. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // The oldest Node.js the bundles are loaded by (the tests and the simulation run Node 22; Lambda runs 24).
  target: 'node22',
  minify: true,
  // Error class names are the contract with Retry/Catch: keep them through minification.
  keepNames: true,
  sourcemap: false,
  // The Lambda runtime provides AWS SDK v3; bundling it would triple each bundle (over 1 MB) and slow every cold start.
  external: ['@aws-sdk/*'],
} as const satisfies BuildOptions;

/**
 * The config compiled into the handlers that read it (pipelineConfig() in
 * lambdas/shared/runtime-config.ts): no size limit of environment variables applies.
 */
export function configDefine(config: BatonConfig): Record<string, string> {
  return { 'process.env.BATON_CONFIG': JSON.stringify(JSON.stringify(config)) };
}

export interface PhaseBundles {
  /** The directory holding `<phase>/index.js` for every phase. */
  readonly dir: string;
  /** What esbuild read and wrote (inputs relative to ROOT). */
  readonly metafile: Metafile;
}

export class BundlingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BundlingError';
  }
}

/** The directory of one phase's bundle. */
export function bundleDirOf(bundles: PhaseBundles, phase: PhaseName): string {
  return join(bundles.dir, phase);
}

/** The metafile's output of one phase's bundle. */
export function bundleOutputOf(bundles: PhaseBundles, phase: PhaseName): Metafile['outputs'][string] {
  const entry = entryOf(phase);
  const output = Object.values(bundles.metafile.outputs).find((out) => out.entryPoint && resolve(ROOT, out.entryPoint) === entry);
  if (!output) throw new BundlingError(`the bundle build has no output for ${phase} (${entry})`);
  return output;
}

interface Built extends PhaseBundles {
  /** When the build started: an input changed after it makes the build stale. */
  readonly startedMs: number;
}

const built = new Map<string, Built>();
/** Where the builds of every process go, one directory per process named `<pid>-...`. */
const BUILDS_DIR = join(tmpdir(), 'baton-bundles');
let workDir: string | undefined;

/** Whether a process runs (EPERM: it does, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One private directory per process for all its builds, removed when the
 * process exits; the directories of processes that ended without their exit
 * handler (a killed test worker) go when the next process starts building.
 */
function processDir(): string {
  if (!workDir) {
    mkdirSync(BUILDS_DIR, { recursive: true });
    for (const name of readdirSync(BUILDS_DIR)) {
      const pid = Number.parseInt(name, 10);
      if (Number.isInteger(pid) && !running(pid)) rmSync(join(BUILDS_DIR, name), { recursive: true, force: true });
    }
    const dir = mkdtempSync(join(BUILDS_DIR, `${process.pid}-`));
    workDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return workDir;
}

/**
 * Whether a source file of the build changed since (a long-lived process that
 * edits sources: a test watcher). Dependencies are not checked: they do not
 * change under a running process.
 */
function stale(build: Built): boolean {
  const sources = Object.keys(build.metafile.inputs).filter((input) => !input.includes('node_modules/'));
  return sources.some((input) => {
    try {
      return statSync(resolve(ROOT, input)).mtimeMs > build.startedMs;
    } catch {
      return true;
    }
  });
}

/**
 * The bundles of every phase, with `define` compiled into all of them (a
 * bundle that never reads a defined expression is the same without it), from
 * this process's cache or one esbuild run.
 */
export function phaseBundles(define: Readonly<Record<string, string>> = {}): PhaseBundles {
  const key = JSON.stringify(define);
  const known = built.get(key);
  if (known && !stale(known)) return known;
  const dir = mkdtempSync(join(processDir(), 'build-'));
  const startedMs = Date.now();
  let metafile: Metafile;
  try {
    metafile = buildSync({
      ...BUNDLE_OPTIONS,
      entryPoints: PHASE_NAMES.map((phase) => ({ in: entryOf(phase), out: join(phase, BUNDLE_FILE.replace(/\.js$/, '')) })),
      outdir: dir,
      absWorkingDir: ROOT,
      define,
      metafile: true,
      logLevel: 'error',
    }).metafile;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new BundlingError('esbuild could not bundle the phase functions', { cause: error });
  }
  const build: Built = { dir, metafile, startedMs };
  built.set(key, build);
  return build;
}
