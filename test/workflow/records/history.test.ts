/** `baton history` lists finished deployments with their phases. */
import { afterEach, describe, expect, it } from 'vitest';
import type { PhaseRun } from '../../../lambdas/shared/telemetry/phase-runs.ts';
import { type OpenSimulation, openSimulation } from '../../../sim/harness.ts';
import { type Run, runCli } from '../../support/cli.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from '../../support/config.ts';
import { at, PHASES } from '../../support/records.ts';
import { exampleAccount } from '../../support/simulation.ts';

describe('baton history', () => {
  let open: OpenSimulation | undefined;

  afterEach(() => {
    open?.close();
    open = undefined;
  });

  function baton(...args: string[]): Promise<Run> {
    return runCli(EXAMPLE_CONFIG_PATH, args, { pause: true });
  }

  it('lists a finished deployment with its phases (--json)', async () => {
    // Arrange
    open = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {} });
    const started = await baton('deploy', 'web', '--tag', 'v1.4.2', '--json');
    const { name } = JSON.parse(started.out) as { name: string };
    await open.simulation.settle();

    // Act
    const listed = await baton('history', 'web', '--json');

    // Assert
    expect(listed.code).toBe(0);
    const records = JSON.parse(listed.out) as Array<{ deploymentId: string; status: string; phases?: Record<string, PhaseRun> }>;
    expect(records.map((r) => [r.deploymentId, r.status])).toEqual([
      [name, 'SUCCEEDED'],
      ['web-v1_4_1-20261101T090000Z', 'SUCCEEDED'],
      ['web-v1_4_0-20261001T090000Z', 'SUCCEEDED'],
    ]);
    const phases = records[0]?.phases ?? {};
    expect(Object.keys(phases)).toEqual(PHASES);
    expect(Object.values(phases).map((phase) => phase.result)).toEqual(Array(10).fill('succeeded'));
    // Each watching phase waits inside its invocation: one for the rollout, one each for the bake and the scale-down delay.
    expect(phases.checkStability).toEqual({
      startedAt: at('09:00:00.125'),
      endedAt: at('09:00:45.125'),
      invocations: 1,
      result: 'succeeded',
    });
    expect(phases.checkBake).toEqual({
      startedAt: at('09:00:45.250'),
      endedAt: at('09:10:45.225'),
      invocations: 2,
      result: 'succeeded',
    });
  });
});
