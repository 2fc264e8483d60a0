/**
 * Faults in what the new colour's requests meet: a subtle regression only its
 * load balancer metrics show (sim/account/traffic-metrics.ts), no alarm and no
 * health check. Without an analysis gate comparing the colours' target groups
 * the deployment cannot see it and succeeds; with one it should roll back.
 */
import type { SimulationContext } from '../context.ts';
import { type Fault, idleColour, loadBalancerOf } from './fault.ts';

/** The target group of the colour the deployment deploys to; `fault` names the fault refused for a worker. */
function newColourTargetGroup(ctx: SimulationContext, fault: string): string {
  return loadBalancerOf(ctx, `fault "${fault}"`)[idleColour(ctx)];
}

export const METRIC_FAULTS: Record<string, Fault> = {
  'green-error-rate-1.5pct': {
    description:
      "The new colour's targets answer 1.5 % of their requests with a 5xx (HTTPCode_Target_5XX_Count), the old colour's stay at the listener's errorRate (0.5 % by default); no alarm fires. Without an analysis (the example config has none) the deployment succeeds; with examples/analysis it rolls back.",
    expected: 'SUCCEEDED',
    apply(ctx) {
      ctx.model.traffic.degrade(newColourTargetGroup(ctx, 'green-error-rate-1.5pct'), { errorRate: 0.015, since: ctx.model.now });
    },
  },
  'new-colour-latency-20pct': {
    description:
      "The new colour's response times (TargetResponseTime, every percentile) are 20 % higher than the old colour's; no alarm fires. Without an analysis (the example config has none) the deployment succeeds; with examples/analysis (p99 within 5 %) it rolls back.",
    expected: 'SUCCEEDED',
    apply(ctx) {
      ctx.model.traffic.degrade(newColourTargetGroup(ctx, 'new-colour-latency-20pct'), { latencyFactor: 1.2, since: ctx.model.now });
    },
  },
};
