/**
 * Issue 19, item 4, as an operator sees it: `baton deploy` and `baton status`
 * of a worker (examples/worker) against the
 * simulation, each call authorized as IAM would with only the stack's
 * operator policy: its split is read from the colours' desired counts
 * (ecs:DescribeServices on the worker's colours).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { runCli } from '../support/cli.ts';
import { ROOT } from '../support/config.ts';
import { accountFile } from '../support/simulation.ts';

const CONFIG_PATH = join(ROOT, 'examples', 'worker', 'baton.config.json');
let open: OpenSimulation | undefined;

afterEach(() => {
  open?.close();
  open = undefined;
});

const baton = (...args: string[]) => runCli(CONFIG_PATH, args, { pause: true, as: 'operator' });

/** The colours' desired counts in the simulated account. */
function desired(simulation: OpenSimulation): Record<string, number | undefined> {
  const services = simulation.simulation.model.services;
  return { blue: services.get('prod/jobs-blue')?.desiredCount, green: services.get('prod/jobs-green')?.desiredCount };
}

describe('baton with a worker', () => {
  it('deploys it onto green, the split read from its task counts', async () => {
    // Arrange
    open = await openSimulation({
      config: loadConfig(CONFIG_PATH),
      account: accountFile('examples/worker/sim-account.json'),
      input: {},
      approval: 'external',
    });

    // Act / Assert: blue -> green
    const deployed = await baton('deploy', 'jobs', '--tag', 'v1.4.2', '--watch', '--interval', '1');
    expect(deployed.out).toContain('SUCCEEDED: v1.4.2 live on green (jobs-green) after a 300 s bake');
    expect(deployed.code).toBe(0);
    expect(desired(open)).toEqual({ blue: 0, green: 4 });
    const status = await baton('status', 'jobs', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ traffic: { blue: 0, green: 100 } });

    // The account holds no earlier deployment of jobs: nothing to roll back to, and nothing changes.
    const back = await baton('rollback', 'jobs');
    expect(back.code).toBe(3);
    expect(back.err).toContain('baton: jobs has nothing to roll back to: the live revision is jobs-v1_4_2-');
    expect(desired(open)).toEqual({ blue: 0, green: 4 });
  });
});
