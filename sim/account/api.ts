/**
 * The AWS APIs the handlers call, answered from the in-memory account with
 * the shapes and error classes of the real services. Installed by mocking the
 * SDK v3 client classes (aws-sdk-client-mock), so handler code is unchanged.
 */
import { createRequire } from 'node:module';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  InvalidLoadBalancerActionException,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeReplicationGroupsCommand, ElastiCacheClient, ReplicationGroupNotFoundFault } from '@aws-sdk/client-elasticache';
import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient, InvalidParameterException as SnsInvalidParameterException } from '@aws-sdk/client-sns';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { SinonSandbox } from 'sinon';
import { applyUpdate, evaluateCondition } from './dynamo-expressions.ts';
import {
  executionArnOf,
  getSecretValueVersionIdViolation,
  itemSizeViolation,
  keySizeViolation,
  type LimitViolation,
  type PutEventsEntry,
  publishViolation,
  putEventsEntryFailure,
  putEventsViolation,
} from './limits.ts';
import { type AccountModel, tableKey } from './model.ts';
import { type AccountSnapshot, type AccountWrite, snapshotAccount, writeOf } from './writes.ts';

const META = { $metadata: { httpStatusCode: 200, requestId: 'sim' } };
const errorMeta = (status: number) => ({ $metadata: { httpStatusCode: status, requestId: 'sim' } });

/** An execution as the simulated Step Functions service reports it. */
export interface SfnExecutionView {
  readonly name: string;
  readonly arn: string;
  readonly status: string;
  readonly input: unknown;
  readonly startDate: number;
  readonly stopDate?: number;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** The execution history in the shape of GetExecutionHistory. */
  readonly history?: () => Array<Record<string, unknown>>;
}

/** The Step Functions service behind the SFN client (the simulation's engine). */
export interface SfnBackend {
  readonly stateMachineArn: string;
  readonly executions: ReadonlyMap<string, SfnExecutionView>;
  startExecution(name: string, input: unknown): SfnExecutionView;
  stopExecution(name: string, reason?: { readonly error?: string; readonly cause?: string }): boolean;
  sendTaskSuccess(token: string, output: unknown): void;
  sendTaskFailure(token: string, error: string, cause: string): void;
}

/** Called before every API call: advances the model and may inject a fault. */
export type CallInterceptor = (service: string, operation: string, input: unknown) => void;

export interface ApiCall {
  readonly at: number;
  readonly service: string;
  readonly operation: string;
  readonly input: unknown;
  readonly error?: string;
  /** The state machine state whose handler made the call. */
  readonly state?: string;
  /** The deployed function (its phase) that made the call; none for the operator's CLI. */
  readonly caller?: string;
}

/** IAM's answer for a call: undefined when allowed, else AWS's message. */
export type Authorize = (service: string, operation: string, input: unknown) => Promise<{ message: string; action: string } | undefined>;

/**
 * The error code each service answers a denied call with: AccessDeniedException
 * (HTTP 400), the common error of every API reference (e.g. Elastic Load
 * Balancing API Reference, "Common Errors"), except SNS, whose Publish
 * answers AuthorizationError (HTTP 403).
 */
const ACCESS_DENIED: Readonly<Record<string, { name: string; status: number }>> = {
  sns: { name: 'AuthorizationError', status: 403 },
};

export function accessDeniedError(service: string, message: string, action = ''): Error {
  // SNS answers a publisher the topic's key refuses with KMSAccessDenied (Publish, "Errors").
  if (service === 'sns' && action.startsWith('kms:')) {
    return new ECSServiceException({ name: 'KMSAccessDeniedException', $fault: 'client', message, ...errorMeta(400) });
  }
  const shape = ACCESS_DENIED[service] ?? { name: 'AccessDeniedException', status: 400 };
  return new ECSServiceException({ name: shape.name, $fault: 'client', message, ...errorMeta(shape.status) });
}

/**
 * sinon as aws-sdk-client-mock requires it (CommonJS): the matchers its stubs
 * are given come from that copy, and sinon's ES module build is another copy,
 * whose stubs would not recognize them.
 */
const sinon = createRequire(createRequire(import.meta.url).resolve('aws-sdk-client-mock'))('sinon') as typeof import('sinon');

export class SimulatedApis {
  readonly calls: ApiCall[] = [];
  private stubs: Array<AwsClientStub<ECSClient> | AwsClientStub<object>> = [];
  /**
   * The sinon sandbox of this installation's stubs. Without one, aws-sdk-client-mock
   * stubs in sinon's process-wide default sandbox, which keeps every stub it made
   * (and each stub every call it recorded: the SDK clients of the functions'
   * containers, the fakes routing to this account) after the stub is restored.
   */
  private sandbox: SinonSandbox | undefined;
  interceptors: CallInterceptor[] = [];
  sfn: SfnBackend | undefined;
  /** Which state is running, for the call log (set by the simulation). */
  currentState: () => string | undefined = () => undefined;
  /** Which function is calling, for the call log (set by the simulation). */
  currentCaller: () => string | undefined = () => undefined;
  /** IAM, evaluated before the service acts (set by the simulation; none: everything allowed). */
  authorize: Authorize | undefined;
  /** The account as the first call found it, and the writes the invariants watch, in order (writes.ts). */
  start: AccountSnapshot | undefined;
  readonly writes: AccountWrite[] = [];

  constructor(private readonly model: AccountModel) {}

  install(): void {
    const sandbox = sinon.createSandbox();
    this.sandbox = sandbox;
    const ecs = mockClient(ECSClient, { sandbox });
    const elb = mockClient(ElasticLoadBalancingV2Client, { sandbox });
    const ecr = mockClient(ECRClient, { sandbox });
    const secrets = mockClient(SecretsManagerClient, { sandbox });
    const cache = mockClient(ElastiCacheClient, { sandbox });
    const cloudwatch = mockClient(CloudWatchClient, { sandbox });
    const dynamo = mockClient(DynamoDBDocumentClient, { sandbox });
    const sfn = mockClient(SFNClient, { sandbox });
    const events = mockClient(EventBridgeClient, { sandbox });
    const sns = mockClient(SNSClient, { sandbox });
    this.stubs = [ecs, elb, ecr, secrets, cache, cloudwatch, dynamo, sfn, events, sns] as typeof this.stubs;
    const unmodelled = () => new Error('the simulated account does not model this API call');
    ecs.onAnyCommand().rejects(unmodelled());
    elb.onAnyCommand().rejects(unmodelled());
    ecr.onAnyCommand().rejects(unmodelled());
    secrets.onAnyCommand().rejects(unmodelled());
    cache.onAnyCommand().rejects(unmodelled());
    cloudwatch.onAnyCommand().rejects(unmodelled());
    dynamo.onAnyCommand().rejects(unmodelled());
    sfn.onAnyCommand().rejects(unmodelled());
    events.onAnyCommand().rejects(unmodelled());
    sns.onAnyCommand().rejects(unmodelled());
    const m = this.model;
    const route =
      <I, O>(service: string, operation: string, fn: (input: I) => O) =>
      (input: I) =>
        this.call(service, operation, input, () => fn(input));

    ecs
      .on(DescribeServicesCommand)
      .callsFake(route('ecs', 'DescribeServices', (input: { cluster?: string; services?: string[] }) => describeServices(m, input)));
    ecs
      .on(DescribeTaskDefinitionCommand)
      .callsFake(
        route('ecs', 'DescribeTaskDefinition', (input: { taskDefinition?: string; include?: string[] }) =>
          describeTaskDefinition(m, input),
        ),
      );
    ecs
      .on(RegisterTaskDefinitionCommand)
      .callsFake(route('ecs', 'RegisterTaskDefinition', (input: Record<string, unknown>) => registerTaskDefinition(m, input)));
    ecs.on(UpdateServiceCommand).callsFake(route('ecs', 'UpdateService', (input: UpdateServiceInput) => updateService(m, input)));
    ecs
      .on(ListTasksCommand)
      .callsFake(
        route('ecs', 'ListTasks', (input: { cluster?: string; serviceName?: string; desiredStatus?: string }) => listTasks(m, input)),
      );
    ecs
      .on(DescribeTasksCommand)
      .callsFake(route('ecs', 'DescribeTasks', (input: { cluster?: string; tasks?: string[] }) => describeTasks(m, input)));
    elb
      .on(DescribeListenersCommand)
      .callsFake(route('elb', 'DescribeListeners', (input: { ListenerArns?: string[] }) => describeListeners(m, input)));
    elb.on(DescribeRulesCommand).callsFake(route('elb', 'DescribeRules', (input: { RuleArns?: string[] }) => describeRules(m, input)));
    elb
      .on(ModifyListenerCommand)
      .callsFake(
        route('elb', 'ModifyListener', (input: ModifyInput) => modifyForward(m, input.ListenerArn, input.DefaultActions, 'listener')),
      );
    elb
      .on(ModifyRuleCommand)
      .callsFake(route('elb', 'ModifyRule', (input: ModifyRuleInput) => modifyForward(m, input.RuleArn, input.Actions, 'rule')));
    elb
      .on(DescribeTargetHealthCommand)
      .callsFake(route('elb', 'DescribeTargetHealth', (input: { TargetGroupArn?: string }) => describeTargetHealth(m, input)));
    ecr.on(DescribeImagesCommand).callsFake(route('ecr', 'DescribeImages', (input: DescribeImagesInput) => describeImages(m, input)));
    events.on(PutEventsCommand).callsFake(route('events', 'PutEvents', (input: PutEventsInput) => putEvents(m, input)));
    sns.on(PublishCommand).callsFake(route('sns', 'Publish', (input: PublishInput) => publish(m, input)));
    secrets
      .on(DescribeSecretCommand)
      .callsFake(route('secretsmanager', 'DescribeSecret', (input: { SecretId?: string }) => describeSecret(m, input)));
    secrets
      .on(GetSecretValueCommand)
      .callsFake(
        route('secretsmanager', 'GetSecretValue', (input: { SecretId?: string; VersionId?: string; VersionStage?: string }) =>
          getSecretValue(m, input),
        ),
      );
    cache
      .on(DescribeReplicationGroupsCommand)
      .callsFake(
        route('elasticache', 'DescribeReplicationGroups', (input: { ReplicationGroupId?: string }) => describeReplicationGroups(m, input)),
      );
    cloudwatch
      .on(DescribeAlarmsCommand)
      .callsFake(
        route('cloudwatch', 'DescribeAlarms', (input: { AlarmNames?: string[]; AlarmTypes?: string[] }) => describeAlarms(m, input)),
      );
    dynamo.on(GetCommand).callsFake(route('dynamodb', 'GetItem', (input: KeyInput) => getItem(m, input)));
    dynamo.on(PutCommand).callsFake(route('dynamodb', 'PutItem', (input: PutInput) => putItem(m, input)));
    dynamo.on(UpdateCommand).callsFake(route('dynamodb', 'UpdateItem', (input: UpdateInput) => updateItem(m, input)));
    dynamo.on(DeleteCommand).callsFake(route('dynamodb', 'DeleteItem', (input: DeleteInput) => deleteItem(m, input)));
    const backend = () => {
      if (!this.sfn) throw new Error('no Step Functions backend in this simulation');
      return this.sfn;
    };
    sfn
      .on(StartExecutionCommand)
      .callsFake(
        route('sfn', 'StartExecution', (input: { stateMachineArn?: string; name?: string; input?: string }) =>
          startExecution(backend(), input),
        ),
      );
    sfn
      .on(DescribeExecutionCommand)
      .callsFake(route('sfn', 'DescribeExecution', (input: { executionArn?: string }) => describeExecution(backend(), input)));
    sfn.on(GetExecutionHistoryCommand).callsFake(
      route('sfn', 'GetExecutionHistory', (input: { executionArn?: string; reverseOrder?: boolean }) => {
        const events = executionNamed(backend(), input.executionArn).history?.() ?? [];
        return { ...META, events: input.reverseOrder ? [...events].reverse() : events };
      }),
    );
    sfn
      .on(ListExecutionsCommand)
      .callsFake(
        route('sfn', 'ListExecutions', (input: { statusFilter?: string; maxResults?: number }) => listExecutions(backend(), input)),
      );
    sfn
      .on(StopExecutionCommand)
      .callsFake(
        route('sfn', 'StopExecution', (input: { executionArn?: string; error?: string; cause?: string }) =>
          stopExecution(backend(), input),
        ),
      );
    sfn
      .on(SendTaskSuccessCommand)
      .callsFake(
        route('sfn', 'SendTaskSuccess', (input: { taskToken?: string; output?: string }) =>
          taskAnswer(() => backend().sendTaskSuccess(input.taskToken ?? '', JSON.parse(input.output ?? '{}'))),
        ),
      );
    sfn
      .on(SendTaskFailureCommand)
      .callsFake(
        route('sfn', 'SendTaskFailure', (input: { taskToken?: string; error?: string; cause?: string }) =>
          taskAnswer(() => backend().sendTaskFailure(input.taskToken ?? '', input.error ?? 'TaskFailed', input.cause ?? '')),
        ),
      );
    dynamo.on(QueryCommand).callsFake(route('dynamodb', 'Query', (input: QueryInput) => queryByService(m, input)));
  }

  private stateField(): { state?: string; caller?: string } {
    const state = this.currentState();
    const caller = this.currentCaller();
    return { ...(state ? { state } : {}), ...(caller ? { caller } : {}) };
  }

  /**
   * Restores the SDK clients and lets go of the stubs (and what their calls
   * recorded). Not AwsStub.reset(): it stubs the client again, in sinon's default sandbox.
   */
  uninstall(): void {
    this.sandbox?.restore();
    this.sandbox = undefined;
    this.stubs = [];
  }

  private async call<O>(service: string, operation: string, input: unknown, run: () => O): Promise<O> {
    const denial = await this.authorize?.(service, operation, input);
    this.model.advanceTo(Date.now());
    this.start ??= snapshotAccount(this.model);
    try {
      if (denial) throw accessDeniedError(service, denial.message, denial.action);
      for (const interceptor of this.interceptors) interceptor(service, operation, input);
      const out = run();
      this.calls.push({ at: this.model.now, service, operation, input, ...this.stateField() });
      const write = writeOf(this.model, operation, input, this.stateField().state);
      if (write) this.writes.push(write);
      return out;
    } catch (error) {
      this.calls.push({
        at: this.model.now,
        service,
        operation,
        input,
        error: error instanceof Error ? error.name : String(error),
        ...this.stateField(),
      });
      throw error;
    }
  }
}

/** A throttling error as ECS and ELB send it. */
export function throttlingError(service: string): Error {
  return new ECSServiceException({
    name: service === 'elb' ? 'Throttling' : 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    ...errorMeta(400),
  });
}

export function internalError(): Error {
  return new ECSServiceException({
    name: 'InternalFailure',
    $fault: 'server',
    message: 'We encountered an internal error. Please try again.',
    ...errorMeta(500),
  });
}

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

// ECS -----------------------------------------------------------------------

function clusterArn(m: AccountModel, cluster: string) {
  return `arn:aws:ecs:${m.region}:${m.account}:cluster/${cluster}`;
}

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
      clusterArn: clusterArn(m, cluster),
      status: 'ACTIVE',
      taskDefinition: service.taskDefinitionArn,
      desiredCount: service.desiredCount,
      runningCount: m.tasks.filter((t) => t.serviceName === name && t.lastStatus === 'RUNNING').length,
      pendingCount: m.tasks.filter((t) => t.serviceName === name && t.lastStatus === 'PROVISIONING').length,
      loadBalancers: [{ targetGroupArn: service.targetGroupArn, containerPort: 8080 }],
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

function findTaskDefinition(m: AccountModel, ref: string | undefined) {
  const arn = m.resolveTaskDefinition(ref ?? '');
  const definition = m.taskDefinitions.get(arn);
  if (!definition) throw new InvalidParameterException({ message: 'Unable to describe task definition.', ...errorMeta(400) });
  return definition;
}

function describeTaskDefinition(m: AccountModel, input: { taskDefinition?: string; include?: string[] }) {
  const { arn, tags, ...definition } = findTaskDefinition(m, input.taskDefinition);
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
  const taskDefinitionArn = input.taskDefinition ? findTaskDefinition(m, input.taskDefinition).arn : undefined;
  m.updateService(service, {
    ...(taskDefinitionArn ? { taskDefinitionArn } : {}),
    ...(input.desiredCount !== undefined ? { desiredCount: input.desiredCount } : {}),
    ...(input.deploymentConfiguration?.deploymentCircuitBreaker?.enable !== undefined
      ? { circuitBreaker: input.deploymentConfiguration.deploymentCircuitBreaker.enable }
      : {}),
  });
  return describeServices(m, { cluster, services: [service.name] });
}

function taskArn(m: AccountModel, cluster: string, id: string) {
  return `arn:aws:ecs:${m.region}:${m.account}:task/${cluster}/${id}`;
}

function listTasks(m: AccountModel, input: { cluster?: string; serviceName?: string; desiredStatus?: string }) {
  const cluster = assertCluster(m, input.cluster);
  const wanted = input.desiredStatus ?? 'RUNNING';
  const taskArns = m.tasks
    .filter((t) => (!input.serviceName || t.serviceName === input.serviceName) && t.desiredStatus === wanted)
    .sort((a, b) => (b.stoppedAt ?? b.launchedAt) - (a.stoppedAt ?? a.launchedAt))
    .map((t) => taskArn(m, cluster, t.id));
  return { ...META, taskArns };
}

function describeTasks(m: AccountModel, input: { cluster?: string; tasks?: string[] }) {
  const cluster = assertCluster(m, input.cluster);
  const ids = new Set((input.tasks ?? []).map((ref) => ref.split('/').pop()));
  const tasks = m.tasks
    .filter((t) => ids.has(t.id))
    .map((t) => ({
      taskArn: taskArn(m, cluster, t.id),
      taskDefinitionArn: t.taskDefinitionArn,
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      stoppedReason: t.stoppedReason,
      stopCode: t.stopCode,
      containers: t.exitCode !== undefined ? [{ name: 'app', exitCode: t.exitCode }] : [],
    }));
  return { ...META, tasks, failures: [] };
}

// ELBv2 ---------------------------------------------------------------------

interface ForwardAction {
  Type?: string;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups?: Array<{ TargetGroupArn?: string; Weight?: number }> };
  AuthenticateOidcConfig?: { ClientSecret?: string; UseExistingClientSecret?: boolean } & Record<string, unknown>;
  Order?: number;
}

type Listener = AccountModel['listeners'][string];
interface ModifyInput {
  ListenerArn?: string;
  DefaultActions?: ForwardAction[];
}
interface ModifyRuleInput {
  RuleArn?: string;
  Actions?: ForwardAction[];
}

/** The actions of a listener or rule as Describe returns them: the authentication actions, then the forward. */
function forwardActions(listener: Listener): ForwardAction[] {
  const before = (listener.actionsBeforeForward ?? []).map((action, index) => ({ ...clone(action), Order: index + 1 }));
  return [
    ...before,
    {
      Type: 'forward',
      Order: before.length + 1,
      ForwardConfig: { TargetGroups: Object.entries(listener.forward).map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) },
    },
  ];
}

/**
 * The authentication actions of a ModifyListener or ModifyRule, checked as ELB
 * checks them: an authenticate-oidc action needs its ClientSecret or
 * UseExistingClientSecret: true (Describe never returns the secret), and not
 * both. Returned as Describe will show them.
 */
function authenticationActions(actions: ForwardAction[]): NonNullable<Listener['actionsBeforeForward']> {
  return actions
    .filter((action) => action.Type === 'authenticate-oidc' || action.Type === 'authenticate-cognito')
    .map((action) => {
      const { Order: _order, ...rest } = action;
      if (action.Type !== 'authenticate-oidc') return rest as NonNullable<Listener['actionsBeforeForward']>[number];
      const { ClientSecret, UseExistingClientSecret, ...config } = action.AuthenticateOidcConfig ?? {};
      if (ClientSecret !== undefined && UseExistingClientSecret === true) {
        throw new InvalidLoadBalancerActionException({
          message: 'You cannot both specify a client secret and set UseExistingClientSecret to true',
          ...errorMeta(400),
        });
      }
      if (ClientSecret === undefined && UseExistingClientSecret !== true) {
        throw new InvalidLoadBalancerActionException({
          message: 'You must specify a client secret for an authenticate-oidc action, or set UseExistingClientSecret to true',
          ...errorMeta(400),
        });
      }
      return { ...rest, Type: 'authenticate-oidc', AuthenticateOidcConfig: config };
    });
}

function describeListeners(m: AccountModel, input: { ListenerArns?: string[] }) {
  const listeners = (input.ListenerArns ?? []).map((arn) => {
    const listener = m.listeners[arn];
    if (!listener) throw new ListenerNotFoundException({ message: 'One or more listeners not found', ...errorMeta(400) });
    return { ListenerArn: arn, Port: 443, Protocol: 'HTTPS', DefaultActions: forwardActions(listener) };
  });
  return { ...META, Listeners: listeners };
}

function describeRules(m: AccountModel, input: { RuleArns?: string[] }) {
  const rules = (input.RuleArns ?? []).map((arn) => {
    const rule = m.listeners[arn];
    if (!rule) throw new RuleNotFoundException({ message: 'One or more rules not found', ...errorMeta(400) });
    return { RuleArn: arn, Priority: '10', Actions: forwardActions(rule), IsDefault: false };
  });
  return { ...META, Rules: rules };
}

function modifyForward(m: AccountModel, arn: string | undefined, actions: ForwardAction[] | undefined, kind: 'listener' | 'rule') {
  const listener = arn ? m.listeners[arn] : undefined;
  if (!listener || !arn) {
    if (kind === 'rule') throw new RuleNotFoundException({ message: 'One or more rules not found', ...errorMeta(400) });
    throw new ListenerNotFoundException({ message: 'One or more listeners not found', ...errorMeta(400) });
  }
  const authentication = authenticationActions(actions ?? []);
  const forward = actions?.find((a) => a.Type === 'forward');
  const groups =
    forward?.ForwardConfig?.TargetGroups ?? (forward?.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  const next: Record<string, number> = {};
  for (const group of groups) {
    if (!group.TargetGroupArn || !m.targetGroups[group.TargetGroupArn]) {
      throw new TargetGroupNotFoundException({ message: `Target group '${group.TargetGroupArn}' not found`, ...errorMeta(400) });
    }
    next[group.TargetGroupArn] = group.Weight ?? 1;
  }
  listener.forward = next;
  if (authentication.length > 0) listener.actionsBeforeForward = authentication;
  else delete listener.actionsBeforeForward;
  return kind === 'listener' ? describeListeners(m, { ListenerArns: [arn] }) : describeRules(m, { RuleArns: [arn] });
}

function describeTargetHealth(m: AccountModel, input: { TargetGroupArn?: string }) {
  const targets = input.TargetGroupArn ? m.targets.get(input.TargetGroupArn) : undefined;
  if (!targets) throw new TargetGroupNotFoundException({ message: 'One or more target groups not found', ...errorMeta(400) });
  return {
    ...META,
    TargetHealthDescriptions: targets.map((t) => ({
      Target: { Id: t.ip, Port: t.port },
      HealthCheckPort: String(t.port),
      TargetHealth: {
        State: t.state,
        ...(t.state === 'initial' ? { Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' } : {}),
        ...(t.reason ? { Reason: t.reason } : {}),
        ...(t.description ? { Description: t.description } : {}),
      },
    })),
  };
}

// ECR, Secrets Manager, ElastiCache, CloudWatch ------------------------------

interface DescribeImagesInput {
  repositoryName?: string;
  imageIds?: Array<{ imageTag?: string; imageDigest?: string }>;
}

function describeImages(m: AccountModel, input: DescribeImagesInput) {
  const repository = m.repositories[input.repositoryName ?? ''];
  if (!repository) {
    throw new RepositoryNotFoundException({
      message: `The repository with name '${input.repositoryName}' does not exist in the registry with id '${m.account}'`,
      ...errorMeta(400),
    });
  }
  const imageDetails = (input.imageIds ?? []).map((id) => {
    const image = repository.images.find((i) => (id.imageDigest ? i.digest === id.imageDigest : i.tags.includes(id.imageTag ?? '')));
    if (!image) {
      throw new ImageNotFoundException({
        message: `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${input.repositoryName}' in the registry with id '${m.account}'`,
        ...errorMeta(400),
      });
    }
    return {
      registryId: m.account,
      repositoryName: input.repositoryName,
      imageDigest: image.digest,
      imageTags: [...image.tags],
      ...(image.pushedAt ? { imagePushedAt: new Date(image.pushedAt) } : {}),
    };
  });
  return { ...META, imageDetails };
}

// EventBridge and SNS --------------------------------------------------------

interface PutEventsInput {
  Entries?: PutEventsEntry[];
}

function putEvents(m: AccountModel, input: PutEventsInput) {
  const entries = input.Entries ?? [];
  const invalid = putEventsViolation(entries, m.region);
  if (invalid) throw new EventBridgeServiceException({ ...invalid, $fault: 'client', ...errorMeta(400) });
  // Each entry succeeds or fails on its own; the request succeeds and counts the failed ones.
  const results = entries.map((entry) => {
    const failure = putEventsEntryFailure(entry);
    if (failure) return failure;
    m.events.push({
      at: new Date(m.now).toISOString(),
      source: entry.Source ?? '',
      detailType: entry.DetailType ?? '',
      bus: entry.EventBusName ?? 'default',
      detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>,
    });
    return { EventId: `event-${m.events.length}` };
  });
  return { ...META, FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
}

interface PublishInput {
  TopicArn?: string;
  Subject?: string;
  Message?: string;
}

function publish(m: AccountModel, input: PublishInput) {
  if (!input.TopicArn || !input.Message) throw new Error('Publish needs TopicArn and Message');
  const invalid = publishViolation(input);
  if (invalid) throw new SnsInvalidParameterException({ message: invalid.message, ...errorMeta(400) });
  m.notifications.push({
    at: new Date(m.now).toISOString(),
    topicArn: input.TopicArn,
    subject: input.Subject ?? '',
    message: input.Message,
  });
  return { ...META, MessageId: `message-${m.notifications.length}` };
}

function secretNamed(m: AccountModel, secretId: string | undefined) {
  const secret = m.secrets[secretId ?? ''];
  if (!secret) throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...errorMeta(400) });
  return secret;
}

function describeSecret(m: AccountModel, input: { SecretId?: string }) {
  const secret = secretNamed(m, input.SecretId);
  return {
    ...META,
    ARN: input.SecretId,
    Name: input.SecretId?.split(':').pop(),
    ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
    VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.versionId, [...v.stages]])),
  };
}

function getSecretValue(m: AccountModel, input: { SecretId?: string; VersionId?: string; VersionStage?: string }) {
  // Input validation comes before any look-up: a malformed VersionId fails even for a secret that does not exist.
  const invalid = getSecretValueVersionIdViolation(input.VersionId);
  if (invalid) throw new SecretsManagerServiceException({ ...invalid, $fault: 'client', ...errorMeta(400) });
  const secret = secretNamed(m, input.SecretId);
  const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
  const version = secret.versions.find((v) => (input.VersionId ? v.versionId === input.VersionId : v.stages.includes(stage ?? '')));
  if (!version)
    throw new ResourceNotFoundException({
      message: input.VersionId
        ? `Secrets Manager can't find the specified secret value for VersionId: ${input.VersionId}`
        : `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      ...errorMeta(400),
    });
  return {
    ...META,
    ARN: input.SecretId,
    Name: input.SecretId?.split(':').pop(),
    VersionId: version.versionId,
    VersionStages: [...version.stages],
    SecretString: JSON.stringify(version.value),
  };
}

function describeReplicationGroups(m: AccountModel, input: { ReplicationGroupId?: string }) {
  const group = m.replicationGroups[input.ReplicationGroupId ?? ''];
  if (!group)
    throw new ReplicationGroupNotFoundFault({ message: `ReplicationGroup ${input.ReplicationGroupId} not found.`, ...errorMeta(404) });
  return { ...META, ReplicationGroups: [{ ReplicationGroupId: input.ReplicationGroupId, Status: group.status }] };
}

/** Like CloudWatch, metric alarms only unless AlarmTypes asks for composite alarms too. */
function describeAlarms(m: AccountModel, input: { AlarmNames?: string[]; AlarmTypes?: string[] }) {
  const types = input.AlarmTypes ?? ['MetricAlarm'];
  const named = (input.AlarmNames ?? []).flatMap((name) => {
    const alarm = m.alarms[name];
    return alarm ? [{ AlarmName: name, StateValue: alarm.state, StateReason: alarm.reason, type: alarm.type }] : [];
  });
  const ofType = (type: string, wanted: string) =>
    types.includes(wanted) ? named.filter((alarm) => alarm.type === type).map(({ type: _type, ...alarm }) => alarm) : [];
  return { ...META, MetricAlarms: ofType('metric', 'MetricAlarm'), CompositeAlarms: ofType('composite', 'CompositeAlarm') };
}

// DynamoDB (document client) -------------------------------------------------

type Item = Record<string, unknown>;
interface ConditionParts {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}
interface KeyInput {
  Key?: Item;
}
interface PutInput extends ConditionParts {
  Item?: Item;
}
interface UpdateInput extends ConditionParts {
  Key?: Item;
  UpdateExpression?: string;
  ReturnValues?: string;
}
interface DeleteInput extends ConditionParts {
  Key?: Item;
}
interface QueryInput {
  IndexName?: string;
  KeyConditionExpression?: string;
  ExpressionAttributeValues?: Record<string, unknown>;
  ScanIndexForward?: boolean;
  Limit?: number;
}

function keyOf(key: Item | undefined): string {
  return tableKey(key ?? {});
}

/** The deployment table's key schema (lib/constructs/deployment-table.ts). */
const TABLE_KEY = { partitionKey: 'pk', sortKey: 'sk' } as const;

function dynamoValidation(violation: LimitViolation): Error {
  return new DynamoDBServiceException({ ...violation, $fault: 'client', ...errorMeta(400) });
}

/** A key value over DynamoDB's key size limits is refused before anything is read or written. */
function assertKeySize(key: Item | undefined): void {
  const violation = keySizeViolation(key ?? {}, TABLE_KEY);
  if (violation) throw dynamoValidation(violation);
}

/** DynamoDB refuses a request whose ExpressionAttributeNames or Values hold a placeholder no expression uses. */
function assertPlaceholdersUsed(input: ConditionParts & { UpdateExpression?: string; KeyConditionExpression?: string }) {
  const expressions = [input.ConditionExpression, input.UpdateExpression, input.KeyConditionExpression].filter(Boolean).join(' ');
  const used = new Set(expressions.match(/[#:][A-Za-z0-9_]+/g) ?? []);
  const unused = [...Object.keys(input.ExpressionAttributeNames ?? {}), ...Object.keys(input.ExpressionAttributeValues ?? {})].filter(
    (placeholder) => !used.has(placeholder),
  );
  if (unused.length > 0) {
    throw new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      message: `Value provided in ExpressionAttributeNames or ExpressionAttributeValues unused in expressions: keys: {${unused.join(', ')}}`,
      ...errorMeta(400),
    });
  }
}

function check(existing: Item | undefined, input: ConditionParts) {
  assertPlaceholdersUsed(input);
  if (
    input.ConditionExpression &&
    !evaluateCondition(input.ConditionExpression, existing, input.ExpressionAttributeNames, input.ExpressionAttributeValues)
  ) {
    throw new ConditionalCheckFailedException({ message: 'The conditional request failed', ...errorMeta(400) });
  }
}

function getItem(m: AccountModel, input: KeyInput) {
  assertKeySize(input.Key);
  return { ...META, Item: clone(m.table.get(keyOf(input.Key))) };
}

function putItem(m: AccountModel, input: PutInput) {
  const item = clone(input.Item ?? {});
  assertKeySize(item);
  // The item's size is checked with the request, before the condition is evaluated.
  const tooLarge = itemSizeViolation(item, 'PutItem');
  if (tooLarge) throw dynamoValidation(tooLarge);
  const key = keyOf(item);
  check(m.table.get(key), input);
  m.table.set(key, item);
  return { ...META };
}

function updateItem(m: AccountModel, input: UpdateInput) {
  assertKeySize(input.Key);
  const key = keyOf(input.Key);
  // DynamoDB refuses an update that sets a key attribute.
  const keyNames = Object.keys(input.Key ?? {});
  const setsKey = Object.entries(input.ExpressionAttributeNames ?? {}).some(
    ([placeholder, name]) => keyNames.includes(name) && new RegExp(`${placeholder}\\s*=`).test(input.UpdateExpression ?? ''),
  );
  if (setsKey) {
    throw new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      message: 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key',
      ...errorMeta(400),
    });
  }
  const existing = m.table.get(key);
  check(existing, input);
  const updated = applyUpdate(
    { ...(clone(existing) ?? {}), ...clone(input.Key ?? {}) },
    input.UpdateExpression ?? '',
    input.ExpressionAttributeNames,
    input.ExpressionAttributeValues,
  );
  // UpdateItem measures the item as it would be after the update.
  const tooLarge = itemSizeViolation(updated, 'UpdateItem');
  if (tooLarge) throw dynamoValidation(tooLarge);
  m.table.set(key, updated);
  if (input.ReturnValues === 'ALL_NEW') return { ...META, Attributes: clone(updated) };
  if (input.ReturnValues === 'ALL_OLD') return { ...META, ...(existing ? { Attributes: clone(existing) } : {}) };
  if (input.ReturnValues && input.ReturnValues !== 'NONE') throw new Error(`ReturnValues ${input.ReturnValues} is not modelled`);
  return { ...META };
}

function deleteItem(m: AccountModel, input: DeleteInput) {
  assertKeySize(input.Key);
  const key = keyOf(input.Key);
  check(m.table.get(key), input);
  m.table.delete(key);
  return { ...META };
}

function queryByService(m: AccountModel, input: QueryInput) {
  const pk = input.ExpressionAttributeValues?.[':pk'];
  const items = [...m.table.values()].filter((item) => item.gsi1pk === pk).sort((a, b) => String(a.gsi1sk).localeCompare(String(b.gsi1sk)));
  if (input.ScanIndexForward === false) items.reverse();
  return { ...META, Items: clone(items.slice(0, input.Limit ?? items.length)) };
}

// Step Functions ------------------------------------------------------------

function executionNamed(sfn: SfnBackend, arn: string | undefined): SfnExecutionView {
  const name = arn?.split(':').pop() ?? '';
  const execution = sfn.executions.get(name);
  if (!execution || arn !== execution.arn)
    throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, ...errorMeta(400) });
  return execution;
}

function startExecution(sfn: SfnBackend, input: { stateMachineArn?: string; name?: string; input?: string }) {
  if (input.stateMachineArn !== sfn.stateMachineArn) {
    throw new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${input.stateMachineArn}'`, ...errorMeta(400) });
  }
  const name = input.name ?? `sim-${sfn.executions.size + 1}`;
  // Step Functions names the execution by its ARN.
  if (sfn.executions.has(name)) {
    throw new ExecutionAlreadyExists({
      message: `Execution Already Exists: '${executionArnOf(sfn.stateMachineArn, name)}'`,
      ...errorMeta(400),
    });
  }
  const execution = sfn.startExecution(name, JSON.parse(input.input ?? '{}'));
  return { ...META, executionArn: execution.arn, startDate: new Date(execution.startDate) };
}

function view(execution: SfnExecutionView, stateMachineArn: string) {
  return {
    executionArn: execution.arn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: new Date(execution.startDate),
    ...(execution.stopDate ? { stopDate: new Date(execution.stopDate) } : {}),
  };
}

function describeExecution(sfn: SfnBackend, input: { executionArn?: string }) {
  const execution = executionNamed(sfn, input.executionArn);
  return {
    ...META,
    ...view(execution, sfn.stateMachineArn),
    input: JSON.stringify(execution.input),
    ...(execution.output !== undefined ? { output: JSON.stringify(execution.output) } : {}),
    ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
  };
}

function listExecutions(sfn: SfnBackend, input: { statusFilter?: string; maxResults?: number }) {
  const executions = [...sfn.executions.values()]
    .filter((e) => !input.statusFilter || e.status === input.statusFilter)
    .sort((a, b) => b.startDate - a.startDate)
    .slice(0, input.maxResults ?? 100)
    .map((e) => view(e, sfn.stateMachineArn));
  return { ...META, executions };
}

function stopExecution(sfn: SfnBackend, input: { executionArn?: string; error?: string; cause?: string }) {
  const execution = executionNamed(sfn, input.executionArn);
  sfn.stopExecution(execution.name, { ...(input.error ? { error: input.error } : {}), ...(input.cause ? { cause: input.cause } : {}) });
  return { ...META, stopDate: new Date() };
}

function taskAnswer(answer: () => void) {
  try {
    answer();
  } catch (error) {
    if (error instanceof Error && error.name === 'TaskDoesNotExist')
      throw new TaskDoesNotExist({ message: 'Task Does Not Exist', ...errorMeta(400) });
    throw error;
  }
  return { ...META };
}
