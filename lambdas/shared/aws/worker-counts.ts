/**
 * A worker's production: it has no listener, so what each colour serves is
 * its share of the tasks that take work (from a queue, a stream, a
 * schedule). The weights are read from the colours' ECS desired counts;
 * worker-shift.ts writes them.
 */
import { DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import { ecs } from '../clients/ecs.ts';
import type { ServiceConfig } from '../config-schema.ts';
import type { Colour } from '../contract.ts';
import { GateFailedError, ListenerSplitError, ResourceMissingError } from '../errors.ts';
import type { Weights } from './listener.ts';

export const COLOURS: readonly Colour[] = ['blue', 'green'];

/** Both colours' ECS services, as DescribeServices returns them. */
export async function describeColours(service: ServiceConfig, client: ECSClient = ecs()): Promise<Record<Colour, Service>> {
  const names = COLOURS.map((colour) => service[colour].serviceName);
  const out = await client.send(new DescribeServicesCommand({ cluster: service.cluster, services: names }));
  const found = (name: string) => {
    const described = out.services?.find((candidate) => candidate.serviceName === name);
    if (!described || described.status === 'INACTIVE') {
      const failure = out.failures?.find((candidate) => candidate.arn?.endsWith(`/${name}`))?.reason;
      throw new ResourceMissingError(`ECS service ${name} not found in cluster ${service.cluster}${failure ? ` (${failure})` : ''}`);
    }
    return described;
  };
  return { blue: found(service.blue.serviceName), green: found(service.green.serviceName) };
}

/** The split of desired counts in percent, rounded as a listener's weights are (any task is traffic). */
export function countWeights(service: ServiceConfig, counts: Record<Colour, number>): Weights {
  const total = counts.blue + counts.green;
  if (total === 0) {
    throw new ListenerSplitError(
      `worker ${service.name} runs no tasks on either colour (${service.blue.serviceName} and ${service.green.serviceName} both at desired count 0)`,
    );
  }
  const rounded = Math.round((counts.blue * 100) / total);
  const blue = Math.min(Math.max(rounded, counts.blue > 0 ? 1 : 0), counts.green > 0 ? 99 : 100);
  return { blue, green: 100 - blue };
}

export async function readCountWeights(service: ServiceConfig, client: ECSClient = ecs()): Promise<Weights> {
  const colours = await describeColours(service, client);
  return countWeights(service, { blue: colours.blue.desiredCount ?? 0, green: colours.green.desiredCount ?? 0 });
}

/**
 * The desired counts that give these weights of `capacity` tasks: a colour
 * with weight runs at least one task, and a colour without runs none.
 */
export function countsFor(weights: Weights, capacity: number): Record<Colour, number> {
  if (weights.blue === 0) return { blue: 0, green: capacity };
  if (weights.green === 0) return { blue: capacity, green: 0 };
  if (capacity < 2) {
    throw new GateFailedError(
      `a split of blue ${weights.blue} % / green ${weights.green} % needs at least 2 tasks; the worker runs ${capacity}`,
    );
  }
  const green = Math.min(Math.max(Math.round((capacity * weights.green) / 100), 1), capacity - 1);
  return { blue: capacity - green, green };
}

/** Why a colour does not yet run its desired count of its current task definition; undefined once it does. */
export function notRunning(described: Service): string | undefined {
  const desired = described.desiredCount ?? 0;
  const primary = described.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  const running = primary?.runningCount ?? described.runningCount ?? 0;
  const others = (described.deployments ?? []).filter(
    (deployment) => deployment.status !== 'PRIMARY' && (deployment.runningCount ?? 0) > 0,
  );
  if (primary?.rolloutState === 'FAILED') {
    return `${described.serviceName}: its ECS deployment failed (${primary.rolloutStateReason ?? 'no reason given'})`;
  }
  if (running < desired || (described.runningCount ?? 0) < desired) return `${described.serviceName} runs ${running}/${desired} tasks`;
  if (others.length > 0) return `${described.serviceName} still runs tasks of an earlier task definition`;
  return undefined;
}
