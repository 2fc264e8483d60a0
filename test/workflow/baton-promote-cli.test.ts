/**
 * `baton promote` end to end against the simulation: the CLI reads the lock
 * and the record, writes the promotion on the lock as the stack's operator
 * policy allows it (each call authorized as IAM would), and the hold that
 * waits for it reads it within a second.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { type Run, runCli } from '../support/cli.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from '../support/config.ts';
import { exampleAccount } from '../support/simulation.ts';

const BOB_ARN = 'arn:aws:sts::123456789012:assumed-role/Deployer/bob';
/** 10 % waits for promotion up to 4 h (the example's executionTimeoutSeconds of 6 h holds it), then 50 % for 60 s. */
const STRATEGY = JSON.stringify({
  type: 'steps',
  steps: [
    { weight: 10, pause: 'approval', timeoutSeconds: 14_400 },
    { weight: 50, pauseSeconds: 60 },
  ],
});
let open: OpenSimulation | undefined;

afterEach(() => {
  open?.close();
  open = undefined;
});

function baton(...args: string[]): Promise<Run> {
  return runCli(EXAMPLE_CONFIG_PATH, args, { pause: true, as: 'operator' });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  if (!condition()) throw new Error('condition not reached');
}

function waiting(sim: OpenSimulation): Record<string, unknown> | undefined {
  return [...sim.simulation.model.table.values()].find((item) => item.awaitingPromotion !== undefined);
}

describe('baton promote against the simulation', () => {
  it('ends the wait of the step at 10 %: the deployment goes on and its record says who promoted it, and why', async () => {
    // Arrange: alice deploys; the first step waits for promotion
    const sim = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {} });
    open = sim;
    const started = await baton('deploy', 'web', '--tag', 'v1.4.2', '--strategy', STRATEGY, '--json');
    expect(started.code).toBe(0);
    const { name } = JSON.parse(started.out) as { name: string };
    await until(() => waiting(sim) !== undefined);

    // Act: bob promotes it
    sim.simulation.model.callerArn = BOB_ARN;
    const promoted = await baton('promote', 'web', '--reason', 'canary error rate flat');

    // Assert
    expect(promoted.code).toBe(0);
    expect(promoted.out).toBe(
      `Promoted ${name} as Deployer/bob: the hold at 10 % (step 1 of 3, waiting for promotion) ends within a second;\n` +
        'the next step follows once the gates pass. Follow it with: baton watch web\n',
    );
    const watched = await baton('watch', 'web', '--interval', '1');
    expect(watched.code).toBe(0);
    expect(watched.out).toContain('SUCCEEDED: v1.4.2 live on green (web-green) after a 300 s bake');
    const stored = sim.simulation.model.table.get(`DEPLOYMENT#${name}|RECORD`) ?? {};
    expect(stored.promotions).toEqual([
      { step: 1, weight: 10, full: false, by: BOB_ARN, at: expect.any(String), reason: 'canary error rate flat' },
    ]);
    expect(stored).not.toHaveProperty('awaitingPromotion');
    // The lock went with the deployment: nothing of the promotion stays behind.
    expect(sim.simulation.model.table.get('LOCK#web|LOCK')).toBeUndefined();
  });

  it('refuses a reason the record could not keep as text (exit 2), before reading anything', async () => {
    // Arrange
    const sim = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {} });
    open = sim;

    // Act
    const result = await baton('promote', 'web', '--reason', 'looks fine\u0007');

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^baton: --reason: /);
    expect(sim.simulation.apis.calls).toEqual([]);
  });

  it('answers exit 3 when no deployment of the service runs', async () => {
    // Arrange
    open = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {} });

    // Act
    const result = await baton('promote', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe('baton: no deployment of web is running\n');
  });

  it('answers exit 4 when the running deployment holds no step, and writes nothing', async () => {
    // Arrange: an all-at-once deployment waits for approval (no traffic step yet)
    const sim = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {}, approval: 'external' });
    open = sim;
    const { name } = JSON.parse((await baton('deploy', 'web', '--tag', 'v1.4.2', '--approval', '--json')).out) as { name: string };
    await until(() => [...sim.simulation.model.table.values()].some((item) => item.awaitingApproval === true));

    // Act
    const result = await baton('promote', 'web', '--full');

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(
      `baton: deployment ${name} of web holds no traffic step now (strategy all-at-once): there is nothing to promote; see "baton status web"\n`,
    );
    expect(sim.simulation.model.table.get('LOCK#web|LOCK')).not.toHaveProperty('promotion');
  });
});
