/**
 * The invariant checker reads a real run write by write, not only its end:
 * these runs are bent so that an invariant breaks in the middle (a race after
 * the last gate check, a hand on the listener), and the checker's own output
 * is asserted (run() would expect none).
 */
import { describe, expect, it } from 'vitest';
import { productionListenerOf, targetGroupOf } from '../../lambdas/shared/service-resources.ts';
import type { SimulationContext } from '../../sim/context.ts';
import { newColourFails } from '../../sim/faults/fault.ts';
import { simulate } from '../../sim/harness.ts';
import { checkInvariants } from '../../sim/invariants.ts';
import { exampleConfig } from '../support/config.ts';
import { exampleAccount, NEW_TAG } from '../support/simulation.ts';

/**
 * The new colour's (green's) targets have failed their health checks for the unhealthy threshold: they are
 * unhealthy from now on, and so are the tasks that replace them.
 */
function newColourUnhealthy(ctx: SimulationContext): void {
  const targetGroupArn = targetGroupOf(ctx.service.green);
  newColourFails(ctx, targetGroupArn);
  for (const target of ctx.model.targets.get(targetGroupArn) ?? []) {
    if (target.state !== 'healthy') continue;
    delete target.failing;
    Object.assign(target, { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out', since: ctx.model.now });
  }
}

/** From `state` on, the new colour is unhealthy. */
function newColourUnhealthyFrom(state: string) {
  return (ctx: SimulationContext) => {
    ctx.onStateEntered.push((entered) => {
      if (entered === state) newColourUnhealthy(ctx);
    });
  };
}

const REPORTED_RACE = [
  'web: at +645 s (Complete deployment), the old colour blue (web-blue) was scaled to 0 while the new colour green (web-green) could not stand alone: 3 unhealthy targets, 0 healthy targets of 3 desired',
  'web: at +645 s (Complete deployment), record deploy-1 was written SUCCEEDED with green (web-green) not verified healthy: no healthy target, 3 unhealthy targets',
  'web: 100 % of production traffic on green, which has no healthy target',
];
const REPORTED_CONTRADICTION = [
  'web: at +645 s (Complete deployment), record deploy-1 was updated, still SUCCEEDED, while production is at blue 100 / green 0 (expected 100 % on green)',
];

describe('the invariant checker during a run', () => {
  it('reports the old colour retired while the new one, carrying all traffic, turned unhealthy after the last gate check', async () => {
    // Arrange: Complete's gates pass; between them and its scale-down the new colour's targets fail (a race no poll can close).
    const config = exampleConfig();
    const account = exampleAccount();
    const setup = (ctx: SimulationContext) => {
      ctx.interceptors.push((_service, operation, input) => {
        const update = input as { service?: string; desiredCount?: number };
        if (operation === 'UpdateService' && ctx.currentState === 'Complete deployment' && update.desiredCount === 0) {
          newColourUnhealthy(ctx);
        }
      });
    };

    // Act
    const result = await simulate({ config, account, input: { service: 'web', imageTag: NEW_TAG }, setup });

    // Assert: the scale-down and the SUCCEEDED record are reported as they happened; the end state alone shows only the traffic.
    expect(checkInvariants(config, account, result)).toEqual(REPORTED_RACE);
  });

  it('reports a SUCCEEDED record that the traffic contradicts by the end of the run', async () => {
    // Arrange: once Complete wrote SUCCEEDED, someone moves production back to blue by hand.
    const config = exampleConfig();
    const account = exampleAccount();
    const setup = (ctx: SimulationContext) => {
      ctx.interceptors.push((_service, operation) => {
        if (operation === 'DeleteItem' && ctx.currentState === 'Complete deployment') {
          const listener = ctx.model.listeners[productionListenerOf(ctx.service)];
          if (listener) listener.forward = { [targetGroupOf(ctx.service.blue)]: 100, [targetGroupOf(ctx.service.green)]: 0 };
        }
      });
    };

    // Act
    const result = await simulate({ config, account, input: { service: 'web', imageTag: NEW_TAG }, setup });

    // Assert
    expect(checkInvariants(config, account, result)).toEqual(REPORTED_CONTRADICTION);
  });

  it('finds nothing when the new colour turns unhealthy in the scale-down delay: the pipeline rolls back', async () => {
    // Arrange
    const config = exampleConfig();
    const account = exampleAccount();

    // Act
    const result = await simulate({
      config,
      account,
      input: { service: 'web', imageTag: NEW_TAG },
      setup: newColourUnhealthyFrom('Check before retiring old colour'),
    });

    // Assert
    expect(checkInvariants(config, account, result)).toEqual([]);
    expect(result.model.table.get(`DEPLOYMENT#${result.main.name}|RECORD`)).toMatchObject({ status: 'ROLLED_BACK' });
  });
});
