/** Runs a command to its end and times it: wall seconds, and the CPU seconds of it and every process it waited for. */
import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { ROOT } from './subjects.ts';

export interface TimedRun {
  readonly code: number | null;
  readonly output: string;
  readonly wallSeconds: number;
}

/** The environment the project's npm scripts run in: its node_modules/.bin (Node 22, tsx, cdk) first on PATH. */
export function projectEnv(extra: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...extra, PATH: [join(ROOT, 'node_modules', '.bin'), extra.PATH ?? ''].join(delimiter) };
}

export function runTimed(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env: projectEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, wallSeconds: (performance.now() - started) / 1000 });
    });
  });
}

/**
 * CPU seconds (user + system) of a command and its descendants: bash's `times`
 * reports the children it waited for, and each waited for its own.
 */
export async function cpuSecondsOf(
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<TimedRun & { cpuSeconds: number }> {
  const script = '"$@" >/dev/null 2>&1; code=$?; times; exit $code';
  const run = await runTimed('bash', ['-c', script, 'bench', command, ...args], timeoutMs);
  const children = run.output.trim().split('\n').pop() ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((match) => Number(match[1]) * 60 + Number(match[2]));
  if (seconds.length !== 2) throw new Error(`cannot read the CPU time of ${command}: ${run.output.slice(-300)}`);
  return { ...run, cpuSeconds: (seconds[0] ?? 0) + (seconds[1] ?? 0) };
}
