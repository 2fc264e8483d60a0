/** ECS: services, their deployments and tasks, task definitions (AccountModel keeps them). */
import {
  ClientException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { AccountModel } from '../model.ts';
import { clone, errorMeta, META, type ServiceSetup } from './common.ts';

function assertCluster(m: AccountModel, cluster: string | undefined): string {
  const name = (cluster ?? 'default').split('/').pop() ?? '';
  if (![...m.services.values()].some((s) => s.cluster === name)) {
    throw new ClusterNotFoundException({ message: 'Cluster not found.', ...errorMeta(400) });
  }
  return name;
}

function describeServices(m: AccountModel, input: { cluster?: string; services?: string[] }) {
  const cluster = assertCluster(m, input.cluster);
  const services = [];
  const failures = [];
  for (const ref of input.services ?? []) {
    const name = ref.split('/').pop() ?? ref;
    const service = m.service(cluster, name);
    if (!service) {
      failures.push({ arn: `arn:aws:ecs:${m.region}:${m.account}:service/${cluster}/${name}`, reason: 'MISSING' });
      continue;
    }
    const running = (td: string) =>
      m.tasks.filter((t) => t.serviceName === name && t.taskDefinitionArn === td && t.lastStatus === 'RUNNING').length;
    const pending = (td: string) =>
      m.tasks.filter((t) => t.serviceName === name && t.taskDefinitionArn === td && t.lastStatus === 'PROVISIONING').length;
    services.push({
      serviceArn: `arn:aws:ecs:${m.region}:${m.account}:service/${cluster}/${name}`,
      serviceName: name,
      clusterArn: m.clusterArn(cluster),
      status: 'ACTIVE',
      taskDefinition: service.taskDefinitionArn,
      desiredCount: service.desiredCount,
      runningCount: m.tasks.filter((t) => t.serviceName === name && t.lastStatus === 'RUNNING').length,
      pendingCount: m.tasks.filter((t) => t.serviceName === name && t.lastStatus === 'PROVISIONING').length,
      // A worker is in no target group: ECS lists no load balancer for it.
      loadBalancers: service.targetGroupArn
        ? [{ targetGroupArn: service.targetGroupArn, containerName: containerOf(m, service.taskDefinitionArn), containerPort: 8080 }]
        : [],
      launchType: 'FARGATE',
      deploymentController: { type: service.deploymentController ?? 'ECS' },
      ...networkOf(m),
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: service.circuitBreaker, rollback: false } },
      deployments: service.deployments.map((d) => ({
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinitionArn,
        desiredCount: d.desiredCount,
        runningCount: running(d.taskDefinitionArn),
        pendingCount: pending(d.taskDefinitionArn),
        failedTasks: d.failedTasks,
        rolloutState: d.rolloutState,
        rolloutStateReason: d.rolloutStateReason,
        createdAt: new Date(d.createdAt),
      })),
      events: service.events.slice(0, 10).map((e) => ({ id: e.id, createdAt: new Date(e.createdAt), message: e.message })),
    });
  }
  return { ...META, services, failures };
}

/** The container the load balancer sends to: the task definition's first. */
function containerOf(m: AccountModel, taskDefinitionArn: string): string | undefined {
  return m.taskDefinitions.get(taskDefinitionArn)?.containerDefinitions[0]?.name;
}

/** The services run in the account's first VPC, as awsvpc services name their subnets and security groups. */
function networkOf(m: AccountModel) {
  const vpc = Object.values(m.ec2?.vpcs ?? {})[0];
  if (!vpc) return {};
  return {
    networkConfiguration: {
      awsvpcConfiguration: { subnets: [...vpc.subnetIds], securityGroups: [...vpc.securityGroupIds], assignPublicIp: 'DISABLED' },
    },
  };
}

/** The cluster's service ARNs, a page (at most maxResults, default 10) at a time, as ECS pages them. */
function listServices(m: AccountModel, input: { cluster?: string; nextToken?: string; maxResults?: number }) {
  const cluster = assertCluster(m, input.cluster);
  const all = [...m.services.values()]
    .filter((s) => s.cluster === cluster)
    .map((s) => `arn:aws:ecs:${m.region}:${m.account}:service/${cluster}/${s.name}`);
  const start = Number(input.nextToken ?? '0');
  const end = start + (input.maxResults ?? 10);
  return { ...META, serviceArns: all.slice(start, end), ...(end < all.length ? { nextToken: String(end) } : {}) };
}

/**
 * A task definition by ARN or family[:revision]. ECS answers a missing one
 * with ClientException (not InvalidParameterException): "Unable to describe
 * task definition." from DescribeTaskDefinition, "TaskDefinition not found."
 * from the calls that take one (CreateService, UpdateService).
 */
function findTaskDefinition(m: AccountModel, ref: string | undefined, notFound: string) {
  const arn = m.resolveTaskDefinition(ref ?? '');
  const definition = m.taskDefinitions.get(arn);
  if (!definition) throw new ClientException({ message: notFound, ...errorMeta(400) });
  return definition;
}

function describeTaskDefinition(m: AccountModel, input: { taskDefinition?: string; include?: string[] }) {
  const { arn, tags, ...definition } = findTaskDefinition(m, input.taskDefinition, 'Unable to describe task definition.');
  return {
    ...META,
    taskDefinition: clone({ ...definition, taskDefinitionArn: arn, status: 'ACTIVE' }),
    ...(input.include?.includes('TAGS') ? { tags: clone(tags) } : {}),
  };
}

function registerTaskDefinition(m: AccountModel, input: Record<string, unknown>) {
  const family = String(input.family ?? '');
  const revision = Math.max(0, ...[...m.taskDefinitions.values()].filter((d) => d.family === family).map((d) => d.revision)) + 1;
  const arn = m.taskDefinitionArn(family, revision);
  const { tags, family: _family, ...rest } = input as { tags?: Array<{ key: string; value: string }>; family: string };
  const definition = { ...clone(rest), family, revision, arn, tags: clone(tags ?? []) } as Parameters<
    AccountModel['taskDefinitions']['set']
  >[1];
  m.taskDefinitions.set(arn, definition);
  return {
    ...META,
    taskDefinition: { ...clone(rest), family, revision, taskDefinitionArn: arn, status: 'ACTIVE' },
    tags: clone(tags ?? []),
  };
}

interface UpdateServiceInput {
  cluster?: string;
  service?: string;
  taskDefinition?: string;
  desiredCount?: number;
  deploymentConfiguration?: { deploymentCircuitBreaker?: { enable?: boolean } };
}

function updateService(m: AccountModel, input: UpdateServiceInput) {
  const cluster = assertCluster(m, input.cluster);
  const service = m.service(cluster, input.service ?? '');
  if (!service) throw new ServiceNotFoundException({ message: 'Service not found.', ...errorMeta(400) });
  const taskDefinitionArn = input.taskDefinition ? findTaskDefinition(m, input.taskDefinition, 'TaskDefinition not found.').arn : undefined;
  m.updateService(service, {
    ...(taskDefinitionArn ? { taskDefinitionArn } : {}),
    ...(input.desiredCount !== undefined ? { desiredCount: input.desiredCount } : {}),
    ...(input.deploymentConfiguration?.deploymentCircuitBreaker?.enable !== undefined
      ? { circuitBreaker: input.deploymentConfiguration.deploymentCircuitBreaker.enable }
      : {}),
  });
  return describeServices(m, { cluster, services: [service.name] });
}

function listTasks(m: AccountModel, input: { cluster?: string; serviceName?: string; desiredStatus?: string }) {
  const cluster = assertCluster(m, input.cluster);
  const wanted = input.desiredStatus ?? 'RUNNING';
  const taskArns = m.tasks
    .filter((t) => (!input.serviceName || t.serviceName === input.serviceName) && t.desiredStatus === wanted)
    .sort((a, b) => (b.stoppedAt ?? b.launchedAt) - (a.stoppedAt ?? a.launchedAt))
    .map((t) => m.taskArn(cluster, t.id));
  return { ...META, taskArns };
}

function describeTasks(m: AccountModel, input: { cluster?: string; tasks?: string[] }) {
  const cluster = assertCluster(m, input.cluster);
  const ids = new Set((input.tasks ?? []).map((ref) => ref.split('/').pop()));
  const tasks = m.tasks
    .filter((t) => ids.has(t.id))
    .map((t) => ({
      taskArn: m.taskArn(cluster, t.id),
      taskDefinitionArn: t.taskDefinitionArn,
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      stoppedReason: t.stoppedReason,
      stopCode: t.stopCode,
      containers: t.exitCode !== undefined ? [{ name: 'app', exitCode: t.exitCode }] : [],
    }));
  return { ...META, tasks, failures: [] };
}

export function installEcs({ model: m, stubs, route }: ServiceSetup): void {
  const ecs = stubs.stub(ECSClient);
  ecs
    .on(DescribeServicesCommand)
    .callsFake(route('ecs', 'DescribeServices', (input: { cluster?: string; services?: string[] }) => describeServices(m, input)));
  ecs
    .on(DescribeTaskDefinitionCommand)
    .callsFake(
      route('ecs', 'DescribeTaskDefinition', (input: { taskDefinition?: string; include?: string[] }) => describeTaskDefinition(m, input)),
    );
  ecs
    .on(RegisterTaskDefinitionCommand)
    .callsFake(route('ecs', 'RegisterTaskDefinition', (input: Record<string, unknown>) => registerTaskDefinition(m, input)));
  ecs.on(UpdateServiceCommand).callsFake(route('ecs', 'UpdateService', (input: UpdateServiceInput) => updateService(m, input)));
  ecs
    .on(ListServicesCommand)
    .callsFake(
      route('ecs', 'ListServices', (input: { cluster?: string; nextToken?: string; maxResults?: number }) => listServices(m, input)),
    );
  ecs
    .on(ListTasksCommand)
    .callsFake(
      route('ecs', 'ListTasks', (input: { cluster?: string; serviceName?: string; desiredStatus?: string }) => listTasks(m, input)),
    );
  ecs
    .on(DescribeTasksCommand)
    .callsFake(route('ecs', 'DescribeTasks', (input: { cluster?: string; tasks?: string[] }) => describeTasks(m, input)));
}
