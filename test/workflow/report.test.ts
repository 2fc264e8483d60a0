/**
 * The deployment report end to end: `baton report` on a rollback the
 * simulation ran (the CLI's DynamoDB and Step Functions calls reach the
 * simulated table and service), and `npm run simulate -- --report`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli as simulateCli } from '../../sim/cli-main.ts';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { runCli } from '../support/cli.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from '../support/config.ts';
import { weightLevels, weightPoints } from '../support/report-page.ts';
import { exampleAccount } from '../support/simulation.ts';

const dir = mkdtempSync(join(tmpdir(), 'baton-report-'));
let open: OpenSimulation | undefined;

afterEach(async () => {
  await open?.simulation.settle();
  open?.close();
  open = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a page of a canary held at 25 % on green, then rolled back, shows. */
function expectRolledBackCanary(page: string): void {
  expect(weightLevels(weightPoints(page, 'blue') ?? '')).toEqual([100, 75, 100]);
  expect(weightLevels(weightPoints(page, 'green') ?? '')).toEqual([0, 25, 0]);
  expect(page).toMatch(/<g class="marker rollback">.*<text [^>]*>rollback<\/text><\/g>/);
  expect(page).toMatch(/<p class="signal">At 2026-11-23 \d\d:\d\d:\d\d UTC in <strong>Shift traffic<\/strong>: GateFailedError<\/p>/);
  expect(page).toContain('<p class="rollback">Rollback at 2026-11-23 ');
  expect(page).toContain('<li>failed in: Shift traffic</li>');
}

describe('the deployment report', () => {
  it('baton report writes the page of a simulated rollback: both colours, the bad signal, the rollback', async () => {
    // Arrange: an alarm fires while the canary holds green at 25 %
    open = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {}, faults: ['alarm-during-shift'] });
    // An operator deploys; the report needs only the viewer policy.
    const baton = (as: 'operator' | 'viewer', ...args: string[]) => runCli(EXAMPLE_CONFIG_PATH, args, { pause: true, as });
    const started = await baton(
      'operator',
      'deploy',
      'web',
      '--tag',
      'v1.4.2',
      '--strategy',
      'canary:25:300',
      '--watch',
      '--interval',
      '1',
      '--json',
    );
    // --watch --json writes NDJSON: the first line names the execution.
    const { execution: name } = JSON.parse(started.out.split('\n')[0] ?? '') as { execution: string };
    const file = join(dir, 'rollback.html');

    // Act
    const result = await baton('viewer', 'report', name, '--out', file);

    // Assert
    expect(started.code).toBe(1);
    expect(result).toMatchObject({ code: 0, out: `wrote ${file}\n`, err: '' });
    const page = readFileSync(file, 'utf8');
    expect(page).toContain(`<h1>web ${name} <span class="badge ROLLED_BACK">ROLLED_BACK</span></h1>`);
    expectRolledBackCanary(page);
  });

  it('npm run simulate -- --report writes the same page for the simulated run', async () => {
    // Arrange
    const file = join(dir, 'simulated.html');
    let out = '';
    const input = { service: 'web', imageTag: 'v1.4.2', strategy: { type: 'canary', percent: 25, bakeSeconds: 300 } };

    // Act
    const code = await simulateCli(['--fault', 'alarm-during-shift', '--input', JSON.stringify(input), '--report', file], {
      out: (text) => {
        out += text;
      },
      err: () => undefined,
    });

    // Assert
    expect(code).toBe(0);
    expect(out).toContain(`Report: ${file}\n`);
    const page = readFileSync(file, 'utf8');
    expect(page).toContain('<h1>web deploy-1 <span class="badge ROLLED_BACK">ROLLED_BACK</span></h1>');
    expectRolledBackCanary(page);
  });

  it('npm run simulate -- --report writes no page for a dry run, which leaves no record, and says so', async () => {
    // Arrange
    const file = join(dir, 'dry-run.html');
    let out = '';

    // Act
    const code = await simulateCli(['--input', JSON.stringify({ service: 'web', imageTag: 'v1.4.2', dryRun: true }), '--report', file], {
      out: (text) => {
        out += text;
      },
      err: () => undefined,
    });

    // Assert
    expect(code).toBe(0);
    expect(out).toContain(
      'Report: none written (no deployment record: a dry run, or a release, whose deployments "baton report" reports one by one)\n',
    );
    expect(existsSync(file)).toBe(false);
  });
});
