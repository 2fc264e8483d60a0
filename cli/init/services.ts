/**
 * ECS services as `baton init` sees them: the one named, and the one of the
 * cluster that registers its tasks in a target group (ListServices, then
 * DescribeServices ten at a time).
 */
import { ClusterNotFoundException, DescribeServicesCommand, ListServicesCommand, type Service } from '@aws-sdk/client-ecs';
import type { SetupContext } from '../context.ts';
import { NotFoundError } from '../errors.ts';
import { allPages } from './pages.ts';

export interface DiscoveredService {
  readonly name: string;
  readonly desiredCount: number;
  readonly taskDefinitionArn: string;
  readonly targetGroupArn: string;
  readonly deploymentController: string;
  readonly launchType: string;
  /** The container and port the load balancer sends to. */
  readonly containerName?: string;
  readonly containerPort?: number;
  readonly network?: { readonly subnets: string[]; readonly securityGroups: string[]; readonly assignPublicIp: string };
}

export function serviceFacts(service: Service): DiscoveredService {
  const balancer = service.loadBalancers?.find((entry) => entry.targetGroupArn);
  const vpc = service.networkConfiguration?.awsvpcConfiguration;
  return {
    name: service.serviceName ?? '',
    desiredCount: service.desiredCount ?? 0,
    taskDefinitionArn: service.taskDefinition ?? '',
    targetGroupArn: balancer?.targetGroupArn ?? '',
    deploymentController: service.deploymentController?.type ?? 'ECS',
    launchType: service.launchType ?? 'FARGATE',
    ...(balancer?.containerName ? { containerName: balancer.containerName } : {}),
    ...(balancer?.containerPort !== undefined ? { containerPort: balancer.containerPort } : {}),
    ...(vpc
      ? {
          network: {
            subnets: vpc.subnets ?? [],
            securityGroups: vpc.securityGroups ?? [],
            assignPublicIp: vpc.assignPublicIp ?? 'DISABLED',
          },
        }
      : {}),
  };
}

/** The named service of the cluster, if it is there (not INACTIVE); not found (exit 3) when the cluster is not. */
export async function describeOptional(ctx: SetupContext, cluster: string, name: string): Promise<DiscoveredService | undefined> {
  let found: Service | undefined;
  try {
    const out = await ctx.ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
    found = out.services?.find((service) => service.serviceName === name && service.status !== 'INACTIVE');
  } catch (error) {
    if (error instanceof ClusterNotFoundException)
      throw new NotFoundError(`ECS cluster ${cluster} not found in ${ctx.region}`, { cause: error });
    throw error;
  }
  return found ? serviceFacts(found) : undefined;
}

/** The named service of the cluster: not found (exit 3) when the cluster or the service is not there. */
export async function describeNamed(ctx: SetupContext, cluster: string, name: string): Promise<DiscoveredService> {
  const found = await describeOptional(ctx, cluster, name);
  if (!found) throw new NotFoundError(`ECS service ${name} not found in cluster ${cluster} (${ctx.region})`);
  return found;
}

/** 100 pages of 100: more services than any cluster holds (5,000 is ECS's quota); a bound, not a limit anyone meets. */
const MAX_PAGES = 100;
/** DescribeServices takes at most 10 services a call. */
const DESCRIBE_BATCH = 10;

function serviceArns(ctx: SetupContext, cluster: string): Promise<string[]> {
  return allPages(MAX_PAGES, async (nextToken) => {
    const out = await ctx.ecs.send(new ListServicesCommand({ cluster, nextToken, maxResults: 100 }));
    return { items: out.serviceArns ?? [], next: out.nextToken };
  });
}

export async function serviceInTargetGroup(
  ctx: SetupContext,
  cluster: string,
  targetGroupArn: string,
  except: string,
): Promise<DiscoveredService | undefined> {
  const arns = (await serviceArns(ctx, cluster)).filter((arn) => arn.split('/').pop() !== except);
  for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
    const out = await ctx.ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + DESCRIBE_BATCH) }));
    const found = out.services?.find(
      (service) => service.status !== 'INACTIVE' && service.loadBalancers?.some((entry) => entry.targetGroupArn === targetGroupArn),
    );
    if (found) return serviceFacts(found);
  }
  return undefined;
}
