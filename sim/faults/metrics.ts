/**
 * Faults in what the new colour's requests (a worker's units of work) meet: a
 * subtle regression only its metrics show (its target group's load balancer
 * metrics, sim/account/traffic-metrics.ts; a worker's own, worker-metrics.ts),
 * no alarm and no health check. Without an analysis gate comparing the
 * colours the deployment cannot see it and succeeds; with one it should roll back.
 */
import type { SimulationContext } from '../context.ts';
import { ecsKey, listenerOf } from '../production.ts';
import { type Fault, FaultTargetError, idleColour } from './fault.ts';

/**
 * What the new colour's metrics are drawn for: its target group, or a worker colour's ECS service
 * (`cluster/name`) when a workload of the account publishes its metrics; `fault` names the fault refused otherwise.
 */
function newColourMetrics(ctx: SimulationContext, fault: string): string {
  const colour = idleColour(ctx);
  const web = listenerOf(ctx.service);
  if (web) return web[colour];
  const service = ecsKey(ctx.service, colour);
  if (Object.values(ctx.model.workloads).some((workload) => workload.services.includes(service))) return service;
  throw new FaultTargetError(
    `fault "${fault}" needs the new colour's metrics, and ${ctx.service.name} is a worker whose colour ${service} publishes none: give the account a workload (ecs.workloads) with it among its services`,
  );
}

export const METRIC_FAULTS: Record<string, Fault> = {
  'green-error-rate-1.5pct': {
    description:
      "The new colour's targets answer 1.5 % of their requests with a 5xx (HTTPCode_Target_5XX_Count), the old colour's stay at the listener's errorRate (0.5 % by default); a worker's new colour fails 1.5 % of its units, the old one its workload's errorRate. No alarm fires. Without an analysis (the example config has none) the deployment succeeds; with examples/analysis (a worker: examples/worker-analysis) it rolls back.",
    expected: 'SUCCEEDED',
    apply(ctx) {
      ctx.model.traffic.degrade(newColourMetrics(ctx, 'green-error-rate-1.5pct'), { errorRate: 0.015, since: ctx.model.now });
    },
  },
  'new-colour-latency-20pct': {
    description:
      "The new colour's response times (TargetResponseTime, every percentile; a worker's: its units' duration) are 20 % higher than the old colour's; no alarm fires. Without an analysis (the example config has none) the deployment succeeds; with examples/analysis (p99 within 5 %) it rolls back.",
    expected: 'SUCCEEDED',
    apply(ctx) {
      ctx.model.traffic.degrade(newColourMetrics(ctx, 'new-colour-latency-20pct'), { latencyFactor: 1.2, since: ctx.model.now });
    },
  },
};
