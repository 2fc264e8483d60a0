/**
 * Faults in the load that drives Application Auto Scaling (sim/account/autoscaler.ts): the production
 * listener's requests rise or fall from a moment on, as its ALB metrics and the services' CPU see them.
 * They need a scalable target on the service's live colour, and refuse an account without one.
 */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import { LOW_DATAPOINTS } from '../account/autoscaler.ts';
import type { TargetId } from '../account/scaling-schema.ts';
import type { SimulationContext } from '../context.ts';
import { afterShift, type Fault, FaultTargetError, idleColour, loadBalancerOf } from './fault.ts';

/** The example account with Application Auto Scaling on both colours, and the config that says so. */
const SCALED_ACCOUNT = 'examples/autoscaling/sim-account.json';
const SCALED_CONFIG = 'examples/autoscaling/baton.config.json';

/** The scalable target of one colour's ECS service. */
function ecsTarget(ctx: SimulationContext, serviceName: string): TargetId {
  return {
    ServiceNamespace: 'ecs',
    ResourceId: `service/${ctx.service.cluster}/${serviceName}`,
    ScalableDimension: 'ecs:service:DesiredCount',
  };
}

/** Throws unless the account has a scalable target for the live colour of the fault's service. */
function assertScaled(ctx: SimulationContext, fault: string): void {
  const live = idleColour(ctx) === 'green' ? ctx.service.blue : ctx.service.green;
  const id = ecsTarget(ctx, live.serviceName);
  const resourceId = id.ResourceId;
  if (!ctx.model.scaling.target(id)) {
    throw new FaultTargetError(
      `fault "${fault}" needs Application Auto Scaling on ${ctx.service.name}: the account has no scalable target for ${resourceId} (add an applicationAutoScaling section, e.g. ${SCALED_ACCOUNT})`,
    );
  }
}

/** From now on, the production listener `listener` carries `factor` times its requests. */
function loadFactor(ctx: SimulationContext, listener: string, factor: number): void {
  ctx.model.traffic.setLoad(listener, factor, ctx.model.now);
}

export const SCALING_FAULTS: Record<string, Fault> = {
  'scale-out-during-shift': {
    description:
      "From the first listener update of Shift traffic, the production listener's requests triple: the colours' CPU rises above its target and, 3 minutes later, the autoscaler scales out whichever colour takes the traffic (scale-out is never suspended). Needs a scalable target (examples/autoscaling/sim-account.json).",
    expected: 'SUCCEEDED',
    account: SCALED_ACCOUNT,
    config: SCALED_CONFIG,
    apply(ctx) {
      const { listener } = loadBalancerOf(ctx, 'fault "scale-out-during-shift"');
      assertScaled(ctx, 'scale-out-during-shift');
      afterShift(ctx, 1, 0, () => loadFactor(ctx, listener, 3));
    },
  },
  'old-colour-scaled-in-during-bake': {
    description:
      "When the deployment enters the bake, the production listener's requests fall to a tenth, and have been low long enough that the next minute fires both colours' AlarmLow (14 of its 15 datapoints already breaching): the autoscaler wants both scaled in, the old colour (no traffic) to its MinCapacity. Baton suspends scale-in from deploy until the bake passed, so the old colour keeps its tasks as the way back. Needs a scalable target (examples/autoscaling/sim-account.json).",
    expected: 'SUCCEEDED',
    account: SCALED_ACCOUNT,
    config: SCALED_CONFIG,
    apply(ctx) {
      const { listener } = loadBalancerOf(ctx, 'fault "old-colour-scaled-in-during-bake"');
      assertScaled(ctx, 'old-colour-scaled-in-during-bake');
      let done = false;
      ctx.onStateEntered.push((state) => {
        if (done || state !== S.checkBake) return;
        done = true;
        loadFactor(ctx, listener, 0.1);
        // As if the load had been low for a while: the next low minute fires AlarmLow, well inside the example's 5-minute bake.
        for (const colour of [ctx.service.blue, ctx.service.green]) {
          ctx.model.scaling.primeAlarms(ecsTarget(ctx, colour.serviceName), 'low', LOW_DATAPOINTS - 1);
        }
      });
    },
  },
};
