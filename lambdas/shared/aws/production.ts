/**
 * Where a service's production traffic lives, by its kind: a web service's
 * in its production listener's weights (listener.ts), a worker's in its
 * colours' desired counts (worker-counts.ts). The phases read it here and
 * write it through production-weights.ts, and never ask which.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ServiceConfig } from '../config-schema.ts';
import type { Colour } from '../contract.ts';
import { productionListenerOf } from '../service-resources.ts';
import { liveColourOf, readWeights, type Weights } from './listener.ts';

/**
 * Loaded on a worker's first read: a web-only pipeline's functions never load
 * the ECS client for it (each bundle loads only what its role may call:
 * test/stack/bundles.test.ts).
 */
const workerCounts = () => import('./worker-counts.ts');

/** What production is, in words an operator can look up: the listener's ARN, or the worker's two ECS services. */
export function productionName(service: ServiceConfig): string {
  return service.kind === 'worker'
    ? `worker ${service.name} (ECS services ${service.blue.serviceName} and ${service.green.serviceName})`
    : productionListenerOf(service);
}

/** The clients a reader outside the functions (the CLI) brings; the functions use their own. */
export interface ProductionClients {
  readonly elb?: ElasticLoadBalancingV2Client;
  readonly ecs?: ECSClient;
}

export async function readProduction(service: ServiceConfig, clients: ProductionClients = {}): Promise<Weights> {
  if (service.kind === 'worker') return (await workerCounts()).readCountWeights(service, clients.ecs);
  return readWeights(service, productionListenerOf(service), clients.elb);
}

/** The colour with 100 % of production; a split has none. */
export function liveColourOfProduction(weights: Weights, service: ServiceConfig): Colour {
  return liveColourOf(weights, productionName(service));
}
