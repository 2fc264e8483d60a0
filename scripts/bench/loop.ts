/**
 * The loop figures: `npm run simulate` warm (the second of two runs, the
 * synthesized assembly cached by the first), CPU of the whole process tree;
 * `npm test` wall seconds and how many tests ran. Minimal versions, measured
 * from outside as a user would run them.
 */
import { join } from 'node:path';
import { cpuSecondsOf, runTimed } from './process.ts';
import { ROOT } from './subjects.ts';

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export async function measureSimulate(): Promise<{ cpuSeconds: number; wallSeconds: number }> {
  // The first run may synthesize and cache the assembly; the figure is the warm one.
  await cpuSecondsOf(TSX, ['sim/cli.ts'], 600_000);
  const warm = await cpuSecondsOf(TSX, ['sim/cli.ts'], 600_000);
  if (warm.code !== 0) throw new Error(`npm run simulate exited ${warm.code}`);
  return { cpuSeconds: warm.cpuSeconds, wallSeconds: warm.wallSeconds };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: vitest colours its summary
const ANSI = /\u001b\[[0-9;]*m/g;

export async function measureTests(): Promise<{ seconds: number; tests: number }> {
  const run = await runTimed('npm', ['test'], 1_800_000);
  const output = run.output.replace(ANSI, '');
  if (run.code !== 0) throw new Error(`npm test exited ${run.code}: ${output.slice(-500)}`);
  const tests = /Tests\s+(\d+) passed/.exec(output)?.[1];
  return { seconds: run.wallSeconds, tests: Number(tests ?? Number.NaN) };
}
