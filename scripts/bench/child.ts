/**
 * Runs one measurement in a child process with a time limit: a simulation
 * fakes the process's clock and SDK clients, and a figure that runs away (a
 * long bake polled every few seconds) must end the bench's wait, not hang it.
 * The child prints its answer as the last line of stdout after RESULT_MARK.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const RESULT_MARK = 'BENCH_RESULT ';

export type ChildOutcome<T> = { readonly ok: T } | { readonly failed: string };

/** Runs `node --import tsx <script> ...args` from the repository root; its answer, or why there is none. */
export function runInChild<T>(script: string, args: readonly string[], timeoutMs: number): Promise<ChildOutcome<T>> {
  const root = join(import.meta.dirname, '..', '..');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout
        .split('\n')
        .reverse()
        .find((candidate) => candidate.startsWith(RESULT_MARK));
      if (line) {
        resolve({ ok: JSON.parse(line.slice(RESULT_MARK.length)) as T });
        return;
      }
      if (signal === 'SIGKILL') resolve({ failed: `stopped after ${Math.round(timeoutMs / 1000)} s` });
      else resolve({ failed: `exited ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' ')}` });
    });
  });
}

/** What a child prints as its answer. */
export function printResult(value: unknown): void {
  process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(value)}\n`);
}
