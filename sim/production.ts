/**
 * What production a service has in the simulated account, as the pipeline
 * reads it: a web service's is the weights of its production listener over
 * the colours' target groups; a worker's (no load balancer) is the colours'
 * shares of the tasks, from their ECS desired counts, computed by the same
 * countWeights the Lambda side uses, so the checks cannot round differently.
 */
import { countWeights } from '../lambdas/shared/aws/worker-counts.ts';
import type { ServiceConfig } from '../lambdas/shared/config-schema.ts';
import type { AccountModel } from './account/model.ts';

export type Colour = 'blue' | 'green';
export type Weights = Readonly<Record<Colour, number>>;

/** Listener or rule ARN → target group ARN → weight. */
export type Forwards = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** ECS services by `cluster/name`, with the desired count each has. */
export type DesiredCounts = Readonly<Record<string, { readonly desiredCount: number } | undefined>>;

export const COLOURS: readonly Colour[] = ['blue', 'green'];

/** The ECS service of a colour, keyed as the account keys it (`cluster/name`). */
export function ecsKey(service: ServiceConfig, colour: Colour): string {
  return `${service.cluster}/${service[colour].serviceName}`;
}

/** A web service's production listener and target groups; undefined for a worker. */
export function listenerOf(service: ServiceConfig): { listener: string; blue: string; green: string } | undefined {
  const { productionListenerArn: listener } = service;
  const blue = service.blue.targetGroupArn;
  const green = service.green.targetGroupArn;
  if (service.kind === 'worker' || !listener || !blue || !green) return undefined;
  return { listener, blue, green };
}

/**
 * The weights of a service at one moment: its production listener's (a
 * missing listener or target group weighs 0), or a worker's desired counts
 * (no task on either colour weighs 0 on both).
 */
export function weightsOf(service: ServiceConfig, listeners: Forwards, services: DesiredCounts): Weights {
  if (service.kind === 'worker') {
    const counts = {
      blue: services[ecsKey(service, 'blue')]?.desiredCount ?? 0,
      green: services[ecsKey(service, 'green')]?.desiredCount ?? 0,
    };
    return counts.blue + counts.green === 0 ? { blue: 0, green: 0 } : countWeights(service, counts);
  }
  const web = listenerOf(service);
  const forward = (web && listeners[web.listener]) ?? {};
  return { blue: web ? (forward[web.blue] ?? 0) : 0, green: web ? (forward[web.green] ?? 0) : 0 };
}

/** The weights of a service as the simulated account stands now. */
export function modelWeights(model: AccountModel, service: ServiceConfig): Weights {
  const listeners = Object.fromEntries(Object.entries(model.listeners).map(([arn, listener]) => [arn, listener.forward]));
  return weightsOf(service, listeners, Object.fromEntries(model.services));
}

/** The colour that is idle (no production) as the account stands now: green while blue has any. */
export function idleColourOf(model: AccountModel, service: ServiceConfig): Colour {
  return modelWeights(model, service).blue > 0 ? 'green' : 'blue';
}

export function otherColour(colour: Colour): Colour {
  return colour === 'blue' ? 'green' : 'blue';
}

export function describeWeights(weights: Weights): string {
  return `blue ${weights.blue} / green ${weights.green}`;
}
