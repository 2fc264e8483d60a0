/**
 * The fast-loop figures of the benchmark: the CPU and wall time of a warm
 * `npm run simulate` and the wall time of `npm test`, each measured as a user
 * sees it, in a child process from the repository root.
 *
 * CPU is the child's whole process tree (npm, the shell, node and whatever
 * they start), read from this process's own /proc/self/stat: the kernel adds
 * the user and system time of every waited-for descendant to cutime and
 * cstime. Linux only, as the machines these figures are stated for.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
/** Linux reports /proc times in clock ticks of 1/100 s (USER_HZ) on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

export class BenchRunError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BenchRunError';
  }
}

/** CPU seconds used so far by this process's finished children (cutime + cstime). */
function childrenCpuSeconds(): number {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch (error) {
    throw new BenchRunError('CPU of a child process is read from /proc/self/stat, which this system lacks', { cause: error });
  }
  // Fields after the command name (which may hold spaces) start at the third field, state.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  return (cutime + cstime) / TICKS_PER_SECOND;
}

interface Run {
  readonly code: number | null;
  readonly output: string;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
}

/** Runs an npm script to its end, collecting its output; one child at a time, so the CPU read is its own. */
async function runNpm(args: readonly string[]): Promise<Run> {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const child = spawn('npm', [...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => reject(new BenchRunError(`npm ${args.join(' ')} did not start`, { cause: error })));
    child.once('close', resolve);
  });
  return {
    code,
    output: Buffer.concat(chunks).toString('utf8'),
    // Whole ticks, so the difference is exact to the hundredth.
    cpuSeconds: Math.round((childrenCpuSeconds() - cpuBefore) * TICKS_PER_SECOND) / TICKS_PER_SECOND,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function failure(what: string, run: Run): BenchRunError {
  return new BenchRunError(`${what} exited with ${run.code}:\n${run.output.split('\n').slice(-20).join('\n')}`);
}

/**
 * A warm `npm run simulate` (the example service, default input): one run
 * first fills the caches (assembly, validation, code caches), then the median
 * of three runs, CPU and wall time each.
 */
export async function measureSimulate(): Promise<{ cpuSeconds: number; wallSeconds: number }> {
  const warmup = await runNpm(['run', 'simulate']);
  if (warmup.code !== 0) throw failure('npm run simulate', warmup);
  const runs: Run[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await runNpm(['run', 'simulate']);
    if (run.code !== 0) throw failure('npm run simulate', run);
    runs.push(run);
  }
  return { cpuSeconds: median(runs.map((run) => run.cpuSeconds)), wallSeconds: median(runs.map((run) => run.wallSeconds)) };
}

/** The README's test command, once, and how many tests it ran (from the summary line test/support/summary-reporter.ts prints). */
export async function measureTests(): Promise<{ seconds: number; tests: number }> {
  const run = await runNpm(['test']);
  if (run.code !== 0) throw failure('npm test', run);
  const summary = [...run.output.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].at(-1);
  if (!summary) throw new BenchRunError(`npm test printed no summary line:\n${run.output.split('\n').slice(-20).join('\n')}`);
  const tests = Number(summary[1]) + Number(summary[2]) + Number(summary[3] ?? 0);
  return { seconds: run.wallSeconds, tests };
}
