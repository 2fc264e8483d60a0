/**
 * Where a service's production traffic lives, by its kind: a web service's
 * in its production listener's weights (listener.ts), a worker's in its
 * colours' desired counts (worker-counts.ts). The phases read and write it
 * here and never ask which.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ServiceConfig } from '../config-schema.ts';
import type { Colour } from '../contract.ts';
import { productionListenerOf } from '../service-resources.ts';
import { liveColourOf, readWeights, setWeights, type Weights } from './listener.ts';
import { readCountWeights, setCountWeights } from './worker-counts.ts';

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
  if (service.kind === 'worker') return readCountWeights(service, clients.ecs);
  return readWeights(service, productionListenerOf(service), clients.elb);
}

/** The colour with 100 % of production; a split has none. */
export function liveColourOfProduction(weights: Weights, service: ServiceConfig): Colour {
  return liveColourOf(weights, productionName(service));
}

export interface ProductionWrite {
  /** A worker's tasks to share (the count its old colour ran); unused for a web service. */
  readonly capacity: number;
  /** How long a worker's write may wait for the tasks it raised (ms); unused for a web service. */
  readonly waitMillis: number;
}

export async function writeProduction(service: ServiceConfig, weights: Weights, write: ProductionWrite): Promise<void> {
  if (service.kind === 'worker') {
    await setCountWeights({ service, weights, capacity: write.capacity, waitMillis: write.waitMillis });
    return;
  }
  await setWeights(service, weights, productionListenerOf(service));
}
