/**
 * `baton watch` in a real terminal: watch-rollback.ts (a simulated canary
 * that rolls back) runs in a tmux pane 40 and 120 columns wide, and the
 * screen is read (capture-pane) while it redraws and once it ended: no line
 * wider than the pane, no line of an earlier frame left above or below the
 * latest, and at the end 100 % back on blue. Without tmux the test says it
 * did not run (`.ci/run` installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'test', 'terminal', 'watch-rollback.ts');
const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const ROWS = 30;
const HEADER = /^web {2}web-v1_4_2-\d{8}T\d{6}Z {2}/;

if (!HAS_TMUX) {
  console.warn('test/terminal/watch-tmux.test.ts did not run: tmux is not installed (apt-get install tmux; .ci/run does)');
}

/** A frame of the execution while it runs. */
const running = (lines: readonly string[]) => lines[0]?.includes('  RUNNI') ?? false;

/** A tmux server of this test's own (-L), so it touches no other session; killed after each test. */
let socket: string | undefined;
afterEach(() => {
  if (socket) spawnSync('tmux', ['-L', socket, 'kill-server']);
  socket = undefined;
});

function tmux(...args: string[]): string {
  if (!socket) throw new Error('no tmux server');
  return execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

/** The pane's lines, wrapped rows joined (-J: a line wider than the pane shows as one), without the empty rows at the bottom. */
function screen(): string[] {
  const lines = tmux('capture-pane', '-p', '-J', '-t', 'watch').split('\n');
  while (lines.length && !lines[lines.length - 1]?.trim()) lines.pop();
  return lines;
}

/** Runs the script in a pane `columns` wide; the screens read every 50 ms until it printed its exit code (or 25 s). */
async function watchIn(columns: number): Promise<string[][]> {
  socket = `baton-watch-${process.pid}-${columns}`;
  const command = `'${process.execPath}' --import tsx '${SCRIPT}'; echo EXIT=$?; sleep 60`;
  tmux('new-session', '-d', '-s', 'watch', '-x', String(columns), '-y', String(ROWS), '-c', ROOT, command);
  const screens: string[][] = [];
  const deadline = Date.now() + 25_000;
  while (Date.now() < deadline) {
    const lines = screen();
    screens.push(lines);
    if (lines.some((line) => /^EXIT=\d+$/.test(line))) return screens;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the script did not end within 25 s; the screen:\n${screens.at(-1)?.join('\n')}`);
}

describe.skipIf(!HAS_TMUX)(`baton watch in a tmux pane${HAS_TMUX ? '' : ' (not run: tmux is not installed)'}`, () => {
  it.each([40, 120])(
    '%i columns: redraws without stale lines, and after the rollback shows all traffic on blue',
    async (columns) => {
      // Act
      const screens = await watchIn(columns);

      // Assert: every screen, while it redraws and after
      for (const lines of screens) {
        for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(columns);
        // One frame at a time, at the top: a frame the cursor did not move up over would stay above the new one.
        const headers = lines.flatMap((line, index) => (HEADER.test(line) ? [index] : []));
        expect(headers.length > 0 ? headers : [0]).toEqual([0]);
        // A running frame drawn to its end (the green bar) has nothing under it: no row of a longer frame before it.
        const green = lines.findIndex((line) => line.startsWith('           green '));
        if (running(lines) && green >= 0) expect(lines.slice(green + 1)).toEqual([]);
      }
      // It was seen redrawing, not only once it had ended ("RUNNI…" at 40 columns).
      expect(screens.filter(running).length).toBeGreaterThan(0);
      // The last screen: the final frame, the verdict, the exit code; traffic back on blue.
      const last = screens.at(-1) ?? [];
      expect(last[0]).toMatch(/ {2}FAIL/);
      expect(last.at(-1)).toBe('EXIT=1');
      expect(last).toContainEqual(expect.stringMatching(/^ {2}traffic {2}blue {2}100 % #/));
      expect(last).toContainEqual(expect.stringMatching(/^ {11}green {3}0 % \./));
      expect(last).toContainEqual(expect.stringMatching(/^ {2}failed {3}Shift traffic/));
      expect(last).toContainEqual(expect.stringMatching(/^ROLLED_BACK: GateFailedError/));
      // Nothing of the running frames is left: no "now" line, no split of the canary step.
      expect(last.filter((line) => line.startsWith('  now ') || line.includes(' 75 %') || line.includes('RUNNI'))).toEqual([]);
    },
    30_000,
  );
});
