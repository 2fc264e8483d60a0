/**
 * The invariant checker reads a real run write by write, not only its end:
 * these runs break an invariant in the middle (with today's pipeline), and
 * the checker's own output is asserted (run() would expect none).
 */
import { describe, expect, it } from 'vitest';
import { accessDeniedError } from '../../sim/account/api.ts';
import type { SimulationContext } from '../../sim/context.ts';
import { simulate } from '../../sim/engine.ts';
import { checkInvariants } from '../../sim/invariants.ts';
import { exampleConfig } from '../fixtures/config.ts';
import { exampleAccount, NEW_TAG } from '../fixtures/simulation.ts';

/** From `state` on, the new colour's targets fail their health checks (and so do the tasks that replace them). */
function newColourUnhealthyFrom(state: string) {
  return (ctx: SimulationContext) => {
    ctx.onStateEntered.push((entered) => {
      if (entered !== state) return;
      ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'unhealthy' : behaviour);
      for (const target of ctx.model.targets.get(ctx.service.green.targetGroupArn) ?? []) {
        Object.assign(target, { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out', since: ctx.model.now });
      }
    });
  };
}

describe('the invariant checker during a run', () => {
  it('reports the old colour retired while the new one, carrying all traffic, has turned unhealthy', async () => {
    // Arrange
    const config = exampleConfig();
    const account = exampleAccount();

    // Act
    const result = await simulate({
      config,
      account,
      input: { service: 'web', imageTag: NEW_TAG },
      setup: newColourUnhealthyFrom('Wait before retiring old colour'),
    });

    // Assert: the scale-down and the SUCCEEDED record are reported as they happened; the end state alone shows only the traffic.
    expect(checkInvariants(config, account, result)).toEqual([
      'web: at +660 s (Complete deployment), the old colour blue (web-blue) was scaled to 0 while the new colour green (web-green) could not stand alone: 3 unhealthy targets, 0 healthy targets of 3 desired',
      'web: at +660 s (Complete deployment), record deploy-1 was written SUCCEEDED with green (web-green) not verified healthy: no healthy target, 3 unhealthy targets',
      'web: 100 % of production traffic on green, which has no healthy target',
    ]);
  });

  it('reports a SUCCEEDED record that a later rollback contradicts', async () => {
    // Arrange: Complete writes SUCCEEDED, then releasing the lock is denied, so Complete fails and the deployment rolls back.
    const config = exampleConfig();
    const account = exampleAccount();
    const setup = (ctx: SimulationContext) => {
      ctx.interceptors.push((service, operation) => {
        if (operation === 'DeleteItem' && ctx.currentState === 'Complete deployment') {
          throw accessDeniedError(service, 'not authorized to perform: dynamodb:DeleteItem', 'dynamodb:DeleteItem');
        }
      });
    };

    // Act
    const result = await simulate({ config, account, input: { service: 'web', imageTag: NEW_TAG }, setup });

    // Assert: the rollback's next write to the record finds it still claiming SUCCEEDED with traffic back on blue.
    expect(checkInvariants(config, account, result)).toEqual([
      'web: at +660 s (Roll back), record deploy-1 was updated, still SUCCEEDED, while production is at blue 100 / green 0 (expected 100 % on green)',
    ]);
  });
});
