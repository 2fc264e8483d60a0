/**
 * The load balancer resources of a service, which only a web service has
 * (config-schema.ts `kind`): the code that reaches for them is web-only, and
 * asking on a worker is a contract violation, not a missing value.
 */
import type { ServiceConfig } from './config-schema.ts';
import { ContractViolationError } from './errors.ts';

/** The production listener (or rule) of a web service; a worker has none. */
export function productionListenerOf(service: ServiceConfig): string {
  if (!service.productionListenerArn) throw new ContractViolationError(`${service.kind} ${service.name} has no production listener`);
  return service.productionListenerArn;
}

/** A colour's target group; a worker's colours have none. */
export function targetGroupOf(colour: { readonly serviceName: string; readonly targetGroupArn?: string | undefined }): string {
  if (!colour.targetGroupArn) throw new ContractViolationError(`${colour.serviceName} has no target group`);
  return colour.targetGroupArn;
}

/** Both colours' target groups of a web service. */
export function targetGroupsOf(service: ServiceConfig): { readonly blue: string; readonly green: string } {
  return { blue: targetGroupOf(service.blue), green: targetGroupOf(service.green) };
}

/**
 * What an operator checks when a rollback could not finish: the listener's
 * weights of a web service, the desired counts of a worker's two ECS services.
 * A name alone (the service's config unknown) gets the listener's words.
 */
export function productionToCheck(service: ServiceConfig | string): string {
  if (typeof service === 'string') return `the listener weights of ${service}`;
  return service.kind === 'worker'
    ? `the desired counts of ${service.blue.serviceName} and ${service.green.serviceName} (worker ${service.name})`
    : `the listener weights of ${service.name}`;
}
