/**
 * Faults in the load that drives Application Auto Scaling (sim/account/autoscaler.ts): the production
 * listener's requests rise or fall from a moment on, as its ALB metrics and the services' CPU see them.
 * They need a scalable target on the service's live colour, and refuse an account without one.
 */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import type { SimulationContext } from '../context.ts';
import { afterShift, type Fault, idleColour } from './fault.ts';

/** The example account with Application Auto Scaling on both colours. */
const SCALED_ACCOUNT = 'examples/autoscaling/sim-account.json';

/** Throws unless the account has a scalable target for the live colour of the fault's service. */
function assertScaled(ctx: SimulationContext, fault: string): void {
  const live = idleColour(ctx) === 'green' ? ctx.service.blue : ctx.service.green;
  const resourceId = `service/${ctx.service.cluster}/${live.serviceName}`;
  const id = { ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount' };
  if (!ctx.model.scaling.target(id)) {
    throw new Error(
      `fault "${fault}" needs Application Auto Scaling on ${ctx.service.name}: the account has no scalable target for ${resourceId} (add an applicationAutoScaling section, e.g. ${SCALED_ACCOUNT})`,
    );
  }
}

/** From now on, the production listener of the fault's service carries `factor` times its requests. */
function loadFactor(ctx: SimulationContext, factor: number): void {
  ctx.model.traffic.setLoad(ctx.service.productionListenerArn, factor, ctx.model.now);
}

export const SCALING_FAULTS: Record<string, Fault> = {
  'scale-out-during-shift': {
    description:
      "From the first listener update of Shift traffic, the production listener's requests triple: the colours' CPU rises above its target and, 3 minutes later, the autoscaler scales out whichever colour takes the traffic (scale-out is never suspended). Needs a scalable target (examples/autoscaling/sim-account.json).",
    expected: 'SUCCEEDED',
    account: SCALED_ACCOUNT,
    apply(ctx) {
      assertScaled(ctx, 'scale-out-during-shift');
      afterShift(ctx, 1, 0, () => loadFactor(ctx, 3));
    },
  },
  'old-colour-scaled-in-during-bake': {
    description:
      "When the deployment enters the bake, the production listener's requests fall to a tenth: the autoscaler wants both colours scaled in (CPU below 90 % of its target for 15 minutes). Baton suspends scale-in from deploy until the bake passed, so the old colour keeps its tasks as the way back. Needs a scalable target (examples/autoscaling/sim-account.json).",
    expected: 'SUCCEEDED',
    account: SCALED_ACCOUNT,
    apply(ctx) {
      assertScaled(ctx, 'old-colour-scaled-in-during-bake');
      let done = false;
      ctx.onStateEntered.push((state) => {
        if (done || state !== S.checkBake) return;
        done = true;
        loadFactor(ctx, 0.1);
      });
    },
  },
};
