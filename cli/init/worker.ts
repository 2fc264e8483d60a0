/**
 * `baton init` for a worker: an ECS service with no load balancer (a queue
 * consumer, a scheduler), which Baton deploys by its colours' task counts
 * (docs/configuration.md, "Workers: services without a listener"). Its twin
 * is the service of the same cluster named as its other colour
 * (jobs-blue <-> jobs-green; any other name gets a -green twin); it has no
 * target group, so no alarm can be found from one.
 */
import type { SetupContext } from '../context.ts';
import { appConfigReview, type ConfigChoices, chosenConfig, pipelineReview, TAGS_REVIEW, taskFields } from './config.ts';
import { type TaskFacts, taskFacts } from './discover.ts';
import { twinServiceCdk, twinServiceCli } from './missing.ts';
import { taskProblems, twinName } from './plan.ts';
import { type DiscoveredService, describeOptional } from './services.ts';

export interface WorkerDiscovery extends TaskFacts {
  readonly twin?: DiscoveredService;
}

export interface WorkerPlan {
  readonly blue: string;
  readonly green: string;
  /** The colour discovered, and its twin (found or to create). */
  readonly own: 'blue' | 'green';
  readonly twin: 'blue' | 'green';
  readonly twinMissing: boolean;
  readonly problems: readonly string[];
}

export async function discoverWorker(ctx: SetupContext, cluster: string, service: DiscoveredService): Promise<WorkerDiscovery> {
  const twin = await describeOptional(ctx, cluster, twinName(service.name));
  return { ...(await taskFacts(ctx, cluster, service, twin)), ...(twin ? { twin } : {}) };
}

export function workerPlanFor(d: WorkerDiscovery): WorkerPlan {
  const own = d.service.name.endsWith('-green') ? 'green' : 'blue';
  const twin = own === 'blue' ? 'green' : 'blue';
  const twinServiceName = d.twin?.name ?? twinName(d.service.name);
  const problems = [
    ...taskProblems(d),
    ...(d.twin?.targetGroupArn
      ? [`${d.twin.name} registers in target group ${d.twin.targetGroupArn}: a worker's colours have no load balancer, so both or neither`]
      : []),
    ...(d.twin && d.twin.desiredCount > 0 && d.service.desiredCount > 0
      ? [
          `${d.service.name} and ${d.twin.name} both run tasks (${d.service.desiredCount} and ${d.twin.desiredCount}): a deployment starts from one colour, the other at 0`,
        ]
      : []),
    ...(d.scaled.length > 0
      ? [
          `${d.scaled.join(' and ')} ${d.scaled.length === 1 ? 'has a scalable target' : 'have scalable targets'}: Baton moves a worker by its desired counts, which an autoscaler would change behind its back (deregister them to deploy it with Baton)`,
        ]
      : []),
  ];
  return {
    blue: own === 'blue' ? d.service.name : twinServiceName,
    green: own === 'green' ? d.service.name : twinServiceName,
    own,
    twin,
    twinMissing: d.twin === undefined,
    problems,
  };
}

/** The worker's config as it will be written (defaults left out). */
export function workerConfig(d: WorkerDiscovery, plan: WorkerPlan, choices: ConfigChoices) {
  return chosenConfig(
    d,
    { kind: 'worker', blue: { serviceName: plan.blue }, green: { serviceName: plan.green }, ...taskFields(d), alarms: [] },
    choices,
  );
}

export function workerReviewLines(d: WorkerDiscovery, choices: ConfigChoices): string[] {
  return [
    pipelineReview(choices),
    'kind "worker": no load balancer; production is the colours\' shares of the running tasks (docs/configuration.md, Workers)',
    TAGS_REVIEW,
    ...appConfigReview(d),
    "alarms: none (a worker has no target group to find them on); name the alarms that must gate a deployment: its queue's age or depth, the errors it counts",
    'strategy all-at-once, bakeSeconds 300, approval false: the defaults; a small canary first suits a worker, whose new tasks take work as soon as they start',
  ];
}

export function workerLines(d: WorkerDiscovery, plan: WorkerPlan): string[] {
  return [
    `${d.service.name} in cluster ${d.cluster} (account ${d.account}, ${d.region}):`,
    `  kind             worker (no load balancer)`,
    `  colour           ${plan.own}; twin: ${d.twin ? `${d.twin.name} (${d.twin.desiredCount} tasks)` : 'none'}`,
    `  tasks            ${d.service.desiredCount}`,
    `  task definition  ${d.family}, container ${d.containerName}`,
    `  roles            ${d.taskRoleArn ?? 'no task role'}, ${d.executionRoleArn ?? 'no execution role'}`,
    `  repository       ${d.repositoryName ?? `none (${d.image})`}`,
    `  app config       ${d.appConfig ? `${d.appConfig.secretArn} (${d.appConfig.keys.join(', ')})` : 'none'}`,
  ];
}

/** The twin service to create, as a CDK snippet and as an AWS CLI command. */
export function workerTwinSnippets(d: WorkerDiscovery, plan: WorkerPlan): { cdk: string; cli: string } {
  const twin = { d, serviceName: plan[plan.twin] };
  const cdk = [
    `// Baton: the twin of ${d.service.name} (cluster ${d.cluster}). In the stack that owns ${d.service.name}.`,
    "import * as ecs from 'aws-cdk-lib/aws-ecs';",
    '',
    ...twinServiceCdk(twin),
  ];
  return { cdk: `${cdk.join('\n')}\n`, cli: `${twinServiceCli(twin)}\n` };
}
