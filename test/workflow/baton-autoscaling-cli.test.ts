/**
 * Issue 19, item 1, as an operator sees it: `baton deploy` and `baton
 * rollback` of a service with autoscaling (examples/autoscaling) against the
 * simulation, IAM-checked. The rollback is a second deployment, back onto
 * the colour the first one retired: its scaling comes back from the other
 * colour, and `baton status` shows each colour before and after.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { runCli } from '../support/cli.ts';
import { ROOT } from '../support/config.ts';
import { accountFile } from '../support/simulation.ts';

const CONFIG_PATH = join(ROOT, 'examples', 'autoscaling', 'baton.config.json');
let open: OpenSimulation | undefined;

afterEach(() => {
  open?.close();
  open = undefined;
});

const baton = (...args: string[]) => runCli(CONFIG_PATH, args, { pause: true, as: 'operator' });

describe('baton with a service scaled by Application Auto Scaling', () => {
  it('deploys onto the retired colour and back, the scaling following production each time', async () => {
    // Arrange
    open = await openSimulation({
      config: loadConfig(CONFIG_PATH),
      account: accountFile('examples/autoscaling/sim-account.json'),
      input: {},
      approval: 'external',
    });
    const model = open.simulation.model;

    // Act / Assert: blue -> green
    expect((await baton('deploy', 'web', '--tag', 'v1.4.2', '--watch', '--interval', '1')).code).toBe(0);
    const status = (await baton('status', 'web')).out.split('\n');
    expect(status.filter((line) => line.includes('scaling'))).toEqual([
      '    scaling before: blue (min 2, max 10, policies cpu-60), green (min 0, max 0, policies cpu-60)',
      '    scaling after: blue (min 0, max 0, all scaling suspended, policies cpu-60), green (min 2, max 10, policies cpu-60)',
    ]);

    // Act / Assert: green -> blue, the release before it
    expect((await baton('rollback', 'web', '--watch', '--interval', '1')).code).toBe(0);
    const back = (await baton('status', 'web')).out.split('\n');
    expect(back.filter((line) => line.includes('scaling'))).toEqual([
      '    scaling before: blue (min 0, max 0, all scaling suspended, policies cpu-60), green (min 2, max 10, policies cpu-60)',
      '    scaling after: blue (min 2, max 10, policies cpu-60), green (min 0, max 0, all scaling suspended, policies cpu-60)',
    ]);
    expect(model.scaling.summary()).toEqual({
      'service/prod/web-blue': {
        min: 2,
        max: 10,
        scaleInSuspended: false,
        scaleOutSuspended: false,
        scheduledSuspended: false,
        policies: ['cpu-60'],
        desiredCount: 4,
      },
      'service/prod/web-green': {
        min: 0,
        max: 0,
        scaleInSuspended: true,
        scaleOutSuspended: true,
        scheduledSuspended: true,
        policies: ['cpu-60'],
        desiredCount: 0,
      },
    });
  });
});
