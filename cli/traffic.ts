/**
 * The traffic split production serves now, read from the service's
 * production listener (or rule), or a worker's task counts, as the handlers read it: the truth after a
 * rollback, where the payload of an execution's last step still names the
 * split it was holding when it failed.
 */
import type { Weights } from '../lambdas/shared/aws/listener.ts';
import { readProduction } from '../lambdas/shared/aws/production.ts';
import type { CliContext } from './context.ts';

/**
 * The weights, or why they could not be read (no permission to describe, a
 * listener that forwards elsewhere): a view still draws without them.
 */
export interface ProductionTraffic {
  readonly traffic?: Weights;
  readonly trafficUnknown?: string;
}

/** Nothing for a service the config does not name (a release's execution has no one service). */
export async function productionTraffic(ctx: CliContext, serviceName: string | undefined): Promise<ProductionTraffic> {
  const service = ctx.config.services.find((candidate) => candidate.name === serviceName);
  if (!service) return {};
  try {
    return { traffic: await readProduction(service, { elb: ctx.elb, ecs: ctx.ecs }) };
  } catch (error) {
    if (error instanceof Error) return { trafficUnknown: `${error.name}: ${error.message}` };
    throw error;
  }
}

/** The split a view already holds. */
export function pickTraffic(view: ProductionTraffic): ProductionTraffic {
  if (view.trafficUnknown) return { trafficUnknown: view.trafficUnknown };
  return view.traffic ? { traffic: view.traffic } : {};
}
