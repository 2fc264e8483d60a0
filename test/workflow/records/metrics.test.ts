/**
 * The EMF metrics of a deployment: the duration of every phase and of the deployment, and the traffic weights.
 * run() and runWith() check the invariants of docs/architecture.md after every run.
 */
import { describe, expect, it } from 'vitest';
import type { SimulationResult } from '../../../sim/harness.ts';
import { at } from '../../support/records.ts';
import { run } from '../../support/simulation.ts';

/** The EMF lines of the run, parsed. */
function metricLines(result: SimulationResult): Array<Record<string, unknown>> {
  return result.logLines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('EMF metrics', () => {
  it("emits the duration of every phase, one success with the deployment duration and both colours' traffic weight", async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    const metrics = metricLines(result);
    const phaseDurations = metrics.filter((line) => 'PhaseDuration' in line);
    expect(phaseDurations.map((line) => [line.phase, line.PhaseDuration])).toEqual([
      ['initialize', 0],
      ['validate', 0],
      ['prepare', 0],
      ['deploy', 0],
      // One invocation looking at the rollout every 15 s, stable at its look 45 s in.
      ['checkStability', 45],
      ['verify', 0],
      ['smokeTest', 0],
      ['shiftTraffic', 0],
      // The 300 s bake and the 300 s scale-down delay, each watched inside one invocation.
      ['checkBake', 600],
      ['complete', 0],
    ]);
    for (const line of phaseDurations) {
      expect(line).toMatchObject({
        _aws: {
          CloudWatchMetrics: [
            { Namespace: 'Baton', Dimensions: [['service', 'phase']], Metrics: [{ Name: 'PhaseDuration', Unit: 'Seconds' }] },
          ],
        },
        service: 'web',
        deploymentId: 'deploy-1',
      });
    }
    expect(metrics.filter((line) => 'DeploymentSucceeded' in line)).toEqual([
      {
        _aws: {
          Timestamp: Date.parse(at('09:10:45.250')),
          CloudWatchMetrics: [
            {
              Namespace: 'Baton',
              Dimensions: [['service']],
              Metrics: [
                { Name: 'DeploymentSucceeded', Unit: 'Count' },
                { Name: 'DeploymentDuration', Unit: 'Seconds' },
              ],
            },
          ],
        },
        deploymentId: 'deploy-1',
        service: 'web',
        DeploymentSucceeded: 1,
        DeploymentDuration: 645,
      },
    ]);
    // All at once: one production weight write, one TrafficWeight datapoint per colour.
    expect(metrics.filter((line) => 'TrafficWeight' in line).map((line) => [line.colour, line.TrafficWeight])).toEqual([
      ['blue', 0],
      ['green', 100],
    ]);
    expect(metrics.length).toBe(13);
  });

  it.each([
    ['a rollback', { faults: ['alarm-during-bake'] }, 'DeploymentRolledBack'],
    ['a console typo', { input: { service: 'web', tag: 'v1.4.2' } }, 'DeploymentRejected'],
  ])(
    'counts no execution failed without its outcome after %s, which ends FAILED with its outcome recorded (issue 16, item 9)',
    async (_, options, outcome) => {
      // Act
      const result = await run(options);

      // Assert
      const metrics = metricLines(result);
      expect(result.main.status).toBe('FAILED');
      expect(metrics.filter((line) => outcome in line)).toHaveLength(1);
      expect(metrics.filter((line) => 'ExecutionFailedWithoutOutcome' in line)).toEqual([]);
    },
  );
});
