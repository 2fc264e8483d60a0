/**
 * `baton init`'s discovery: from a cluster and an ECS service, what fronts
 * it and what it runs, with read-only calls only (Describe*, List*). The
 * twin is the other target group of a forward action that includes the
 * service's, and the service of the same cluster that registers in it.
 */
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetGroupsCommand, type TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DIMENSION, NAMESPACE, resourceId } from '../../lambdas/shared/scaling/snapshot.ts';
import { parseValueFrom } from '../../lambdas/shared/secret-refs.ts';
import type { SetupContext } from '../context.ts';
import { alarmsOn } from './alarms.ts';
import { type ForwardSite, forwardSites } from './listeners.ts';
import { type DiscoveredService, serviceInTargetGroup } from './services.ts';

/** What a service's task definition says Baton needs: its family, the container to replace, its roles, its image. */
export interface TaskFacts {
  readonly account: string;
  readonly region: string;
  readonly cluster: string;
  readonly service: DiscoveredService;
  readonly family: string;
  readonly containerName: string;
  readonly image: string;
  readonly repositoryName?: string;
  readonly taskRoleArn?: string;
  readonly executionRoleArn?: string;
  /** The secret most of the container's secrets come from, and the JSON keys they read. */
  readonly appConfig?: { readonly secretArn: string; readonly keys: string[] };
  /** The ECS services of the pair that have an Application Auto Scaling target (services[].autoscaling). */
  readonly scaled: string[];
}

export interface Discovery extends TaskFacts {
  readonly targetGroup: TargetGroupFacts;
  /** Every listener and rule whose forward includes the service's target group. */
  readonly sites: ForwardSite[];
  /** The other target group of those forwards, if any. */
  readonly twinTargetGroupArn?: string;
  /** The service registering in the twin target group. */
  readonly twin?: DiscoveredService;
  readonly alarms: string[];
}

export interface TargetGroupFacts {
  readonly arn: string;
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly targetType: string;
  readonly vpcId: string;
  readonly healthCheckPath: string;
  readonly loadBalancerArns: string[];
}

/** An ECR image URI's repository: <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]. */
export function ecrRepositoryOf(image: string): string | undefined {
  return /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image)?.[1];
}

function targetGroupFacts(group: TargetGroup | undefined, arn: string): TargetGroupFacts {
  return {
    arn,
    name: group?.TargetGroupName ?? arn.split('/')[1] ?? '',
    port: group?.Port ?? 80,
    protocol: group?.Protocol ?? 'HTTP',
    targetType: group?.TargetType ?? 'ip',
    vpcId: group?.VpcId ?? '',
    healthCheckPath: group?.HealthCheckPath ?? '/',
    loadBalancerArns: group?.LoadBalancerArns ?? [],
  };
}

/** The secret most of the container's secrets come from, with the JSON keys they read. */
function appConfigOf(valueFroms: readonly string[]): Discovery['appConfig'] {
  const bySecret = new Map<string, Set<string>>();
  for (const valueFrom of valueFroms) {
    const parsed = parseValueFrom(valueFrom);
    if (!parsed?.jsonKey) continue;
    bySecret.set(parsed.arn, (bySecret.get(parsed.arn) ?? new Set()).add(parsed.jsonKey));
  }
  const [best] = [...bySecret].sort((a, b) => b[1].size - a[1].size);
  return best ? { secretArn: best[0], keys: [...best[1]].sort() } : undefined;
}

/**
 * The service's task definition as Baton needs it, and which of the pair (the service and its twin, when there is
 * one) Application Auto Scaling scales.
 */
export async function taskFacts(
  ctx: SetupContext,
  cluster: string,
  service: DiscoveredService,
  twin: DiscoveredService | undefined,
): Promise<TaskFacts> {
  const [definitionOut, scaled] = await Promise.all([
    ctx.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinitionArn })),
    scaledServices(ctx, cluster, [service.name, ...(twin ? [twin.name] : [])]),
  ]);
  const definition = definitionOut.taskDefinition;
  const containers = definition?.containerDefinitions ?? [];
  // The container the load balancer sends to (a web service's) is the one whose image Baton replaces; else the essential one.
  const container =
    containers.find((c) => c.name === service.containerName) ?? containers.find((c) => c.essential !== false) ?? containers[0];
  const image = container?.image ?? '';
  const repositoryName = ecrRepositoryOf(image);
  const appConfig = appConfigOf((container?.secrets ?? []).map((secret) => secret.valueFrom ?? ''));
  return {
    account: service.taskDefinitionArn.split(':')[4] ?? '',
    region: ctx.region,
    cluster,
    service,
    family: definition?.family ?? '',
    containerName: container?.name ?? '',
    image,
    ...(repositoryName ? { repositoryName } : {}),
    ...(definition?.taskRoleArn ? { taskRoleArn: definition.taskRoleArn } : {}),
    ...(definition?.executionRoleArn ? { executionRoleArn: definition.executionRoleArn } : {}),
    ...(appConfig ? { appConfig } : {}),
    scaled,
  };
}

/** The rest, once the service is known to be one Baton can deploy: its task definition, its traffic, its twin, its alarms. */
export async function discoverAround(ctx: SetupContext, cluster: string, service: DiscoveredService): Promise<Discovery> {
  const groupsOut = await ctx.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [service.targetGroupArn] }));
  const targetGroup = targetGroupFacts(groupsOut.TargetGroups?.[0], service.targetGroupArn);
  const sites = await forwardSites(ctx, targetGroup.loadBalancerArns, service.targetGroupArn);
  const twinTargetGroupArn = sites.flatMap((site) => Object.keys(site.weights)).find((arn) => arn !== service.targetGroupArn);
  const twin = twinTargetGroupArn ? await serviceInTargetGroup(ctx, cluster, twinTargetGroupArn, service.name) : undefined;
  const [facts, alarms] = await Promise.all([
    taskFacts(ctx, cluster, service, twin),
    alarmsOn(ctx, [service.targetGroupArn, ...(twinTargetGroupArn ? [twinTargetGroupArn] : [])]),
  ]);
  return {
    ...facts,
    targetGroup,
    sites,
    ...(twinTargetGroupArn ? { twinTargetGroupArn } : {}),
    ...(twin ? { twin } : {}),
    alarms,
  };
}

/** Which of the services have a scalable target for their desired count. */
async function scaledServices(ctx: SetupContext, cluster: string, names: readonly string[]): Promise<string[]> {
  const ids = names.map((name) => resourceId(cluster, name));
  const out = await ctx.scaling.send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE, ResourceIds: ids, ScalableDimension: DIMENSION }),
  );
  const registered = new Set((out.ScalableTargets ?? []).map((target) => target.ResourceId));
  return names.filter((_, index) => registered.has(ids[index]));
}
