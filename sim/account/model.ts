/**
 * The in-memory AWS account. State moves on the virtual clock: every API call
 * first advances the model to Date.now(), one simulated second at a time, so
 * tasks start, crash and pass health checks as they would for real.
 */

import { accountSpecOf } from './account-spec.ts';
import { alarmArn, evaluationDelayMs } from './alarm-evaluation.ts';
import { tickService } from './ecs-scheduler.ts';
import { ScalingState } from './scaling.ts';
import type { AccountSpec, ExecutionRecord, ImageBehaviour, TaskDefinitionSpec, Workload } from './schema.ts';
import { type AlarmState, StateChangeListeners } from './state-changes.ts';
import type { FailingChecks } from './target-health.ts';
import { TrafficState } from './traffic-state.ts';

export interface SimTask {
  readonly id: string;
  readonly taskDefinitionArn: string;
  readonly serviceName: string;
  readonly deploymentId: string;
  lastStatus: 'PROVISIONING' | 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  readonly launchedAt: number;
  runningAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
  stopCode?: string;
  exitCode?: number;
  ip: string;
}

export interface SimDeployment {
  readonly id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  readonly taskDefinitionArn: string;
  desiredCount: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  failedTasks: number;
  readonly createdAt: number;
}

export interface SimService {
  readonly cluster: string;
  readonly name: string;
  /** Absent for a worker: no load balancer, so no target health; its tasks count once RUNNING. */
  readonly targetGroupArn?: string;
  taskDefinitionArn: string;
  desiredCount: number;
  deployments: SimDeployment[];
  events: Array<{ id: string; createdAt: number; message: string }>;
  circuitBreaker: boolean;
  /** DescribeServices' deploymentController.type; absent: ECS. */
  readonly deploymentController?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
}

export interface TargetState {
  readonly taskId: string;
  readonly ip: string;
  readonly port: number;
  readonly registeredAt: number;
  state: 'initial' | 'healthy' | 'unhealthy' | 'draining';
  reason?: string;
  description?: string;
  since: number;
  /** Its health checks fail since then; it goes unhealthy at the unhealthy threshold (target-health.ts). */
  failing?: FailingChecks;
}

export interface SimTaskDefinition extends TaskDefinitionSpec {
  readonly arn: string;
}

/** Hooks the fault catalogue uses to bend the account at a given moment. */
export interface ModelHooks {
  /** Overrides how an image behaves (e.g. green-tasks-crash). */
  behaviourOf?: (image: string, defaultBehaviour: ImageBehaviour) => ImageBehaviour;
}

const SECOND = 1000;

export class AccountModel {
  readonly account: string;
  readonly region: string;
  readonly taskStartSeconds: number;
  readonly services = new Map<string, SimService>();
  readonly taskDefinitions = new Map<string, SimTaskDefinition>();
  readonly tasks: SimTask[] = [];
  readonly targets = new Map<string, TargetState[]>();
  readonly targetGroups: AccountSpec['elb']['targetGroups'];
  readonly listeners: AccountSpec['elb']['listeners'];
  readonly repositories: AccountSpec['ecr']['repositories'];
  readonly secrets: AccountSpec['secretsManager']['secrets'];
  /** The VPCs, unchanged by any run: where pipeline.network may point. */
  readonly ec2: AccountSpec['ec2'];
  readonly replicationGroups: AccountSpec['elasticache']['replicationGroups'];
  readonly alarms: AccountSpec['cloudwatch']['alarms'];
  /** The listeners' weights over time, the metrics' seed and the faults' degradations (traffic-metrics.ts). */
  readonly traffic: TrafficState;
  /** The work workers share and the metrics they publish about it (worker-metrics.ts), by name. */
  readonly workloads: Readonly<Record<string, Workload>>;
  /** Application Auto Scaling: scalable targets, policies, and the autoscaler's activities (scaling.ts). */
  readonly scaling: ScalingState;
  readonly table = new Map<string, Record<string, unknown>>();
  /** Step Functions executions started in this account, in start order: their names stay taken for 90 days (execution-names.ts). */
  readonly executions: ExecutionRecord[];
  /** What the handlers put on EventBridge, in order. */
  readonly events: Array<{ at: string; source: string; detailType: string; bus: string; detail: Record<string, unknown> }> = [];
  /** What the handlers published to SNS, in order. */
  readonly notifications: Array<{ at: string; topicArn: string; subject: string; message: string }> = [];
  /** Who the operator's CLI runs as (STS GetCallerIdentity): a session of a Deployer role, until a test makes another operator act. */
  callerArn: string;
  hooks: ModelHooks = {};
  /** Who hears of alarm state changes and stopped tasks (the EventBridge events AWS sends for them). */
  private readonly changes = new StateChangeListeners();
  readonly onAlarmStateChange = this.changes.onAlarmStateChange.bind(this.changes);
  readonly onTaskStopped = this.changes.onTaskStopped.bind(this.changes);
  /** The evaluation each alarm is waiting for (metricSays): a later report of another state replaces it. */
  private readonly pendingAlarms = new Map<string, { readonly state: AlarmState; readonly at: number }>();
  private clock: number;
  /** The last whole simulated second the services moved to (advanceTo). */
  private lastTick: number;
  private scheduled: Array<{ at: number; action: () => void }> = [];
  /** The phase functions whose EventBridge rules an operator disabled (DisableRule): their events go nowhere. */
  readonly disabledRules = new Set<string>();
  private sequence = 0;

  constructor(spec: AccountSpec, now: number) {
    this.account = spec.account;
    this.region = spec.region;
    this.taskStartSeconds = spec.taskStartSeconds;
    this.callerArn = `arn:aws:sts::${spec.account}:assumed-role/Deployer/alice`;
    this.clock = now;
    this.lastTick = now;
    const copy = structuredClone(spec);
    this.targetGroups = copy.elb.targetGroups;
    this.listeners = copy.elb.listeners;
    this.repositories = copy.ecr.repositories;
    this.secrets = copy.secretsManager.secrets;
    this.ec2 = copy.ec2;
    this.replicationGroups = copy.elasticache.replicationGroups;
    this.alarms = copy.cloudwatch.alarms;
    this.traffic = new TrafficState(spec.seed ?? 1);
    this.workloads = copy.ecs.workloads ?? {};
    for (const definition of copy.ecs.taskDefinitions) {
      const arn = this.taskDefinitionArn(definition.family, definition.revision);
      this.taskDefinitions.set(arn, { ...definition, arn });
    }
    for (const item of copy.deploymentTable) this.table.set(tableKey(item), item);
    this.executions = copy.stepFunctions?.executions ?? [];
    for (const tg of Object.keys(this.targetGroups)) this.targets.set(tg, []);
    for (const [cluster, { services }] of Object.entries(copy.ecs.clusters)) {
      for (const [name, spec] of Object.entries(services)) {
        const taskDefinitionArn = this.resolveTaskDefinition(spec.taskDefinition);
        const service: SimService = {
          cluster,
          name,
          ...(spec.targetGroupArn ? { targetGroupArn: spec.targetGroupArn } : {}),
          taskDefinitionArn,
          desiredCount: spec.desiredCount,
          deployments: [],
          events: [],
          circuitBreaker: true,
          ...(spec.deploymentController ? { deploymentController: spec.deploymentController } : {}),
        };
        service.deployments.push(this.newDeployment(taskDefinitionArn, spec.desiredCount, 'COMPLETED'));
        this.services.set(serviceKey(cluster, name), service);
        // Tasks already running and healthy at the start of the simulation.
        for (let i = 0; i < spec.desiredCount; i++) {
          const task = this.launch(service, now - 3600 * SECOND);
          task.lastStatus = 'RUNNING';
          task.runningAt = now - 3500 * SECOND;
          this.register(service, task, now - 3500 * SECOND, 'healthy');
        }
      }
    }
    this.scaling = new ScalingState(this, copy);
  }

  get now(): number {
    return this.clock;
  }

  taskDefinitionArn(family: string, revision: number): string {
    return `arn:aws:ecs:${this.region}:${this.account}:task-definition/${family}:${revision}`;
  }

  resolveTaskDefinition(ref: string): string {
    if (ref.startsWith('arn:')) return ref;
    const [family, revision] = ref.split(':');
    if (revision) return this.taskDefinitionArn(family ?? '', Number(revision));
    const latest = [...this.taskDefinitions.values()].filter((d) => d.family === family).sort((a, b) => b.revision - a.revision)[0];
    return latest?.arn ?? this.taskDefinitionArn(family ?? '', 1);
  }

  service(cluster: string, name: string): SimService | undefined {
    return this.services.get(serviceKey(cluster, name));
  }

  nextId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}${this.sequence.toString(16).padStart(8, '0')}`;
  }

  newDeployment(taskDefinitionArn: string, desiredCount: number, rolloutState: SimDeployment['rolloutState']): SimDeployment {
    return {
      id: `ecs-svc/${this.nextId('9')}`,
      status: 'PRIMARY',
      taskDefinitionArn,
      desiredCount,
      rolloutState,
      rolloutStateReason: rolloutState === 'COMPLETED' ? 'ECS deployment completed.' : 'ECS deployment in progress.',
      failedTasks: 0,
      createdAt: this.clock,
    };
  }

  /**
   * Moves the account to `to` (epoch ms): the services move on whole simulated seconds from the start (calls
   * a few milliseconds apart must not hold the seconds back), what was scheduled happens as soon as it is due.
   */
  advanceTo(to: number): void {
    while (this.lastTick + SECOND <= to) {
      this.lastTick += SECOND;
      this.clock = this.lastTick;
      this.tick(this.clock);
    }
    if (to > this.clock) this.clock = to;
    this.runDue(this.clock);
  }

  imageBehaviour(image: string): ImageBehaviour {
    const digest = image.includes('@') ? image.split('@')[1] : undefined;
    let behaviour: ImageBehaviour = 'healthy';
    for (const repository of Object.values(this.repositories)) {
      const found = repository.images.find((i) => i.digest === digest || image.endsWith(`:${i.tags[0] ?? '\u0000'}`));
      if (found) behaviour = found.behaviour;
    }
    return this.hooks.behaviourOf?.(image, behaviour) ?? behaviour;
  }

  /** Starts a task of the service's current task definition (PROVISIONING). */
  launch(service: SimService, at: number): SimTask {
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    const task: SimTask = {
      id: this.nextId('a1b2c3d4'),
      taskDefinitionArn: service.taskDefinitionArn,
      serviceName: service.name,
      deploymentId: primary?.id ?? '',
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      launchedAt: at,
      ip: `10.0.${(this.sequence >> 8) & 255}.${this.sequence & 255}`,
    };
    this.tasks.push(task);
    return task;
  }

  /** Registers a task's IP in the service's target group (a worker has none). */
  register(service: SimService, task: SimTask, at: number, state: TargetState['state'] = 'initial'): void {
    if (!service.targetGroupArn) return;
    this.targets.get(service.targetGroupArn)?.push({ taskId: task.id, ip: task.ip, port: 8080, registeredAt: at, state, since: at });
  }

  private deregister(service: SimService, task: SimTask): void {
    if (!service.targetGroupArn) return;
    const targets = this.targets.get(service.targetGroupArn) ?? [];
    const index = targets.findIndex((t) => t.taskId === task.id);
    if (index >= 0) targets.splice(index, 1);
  }

  clusterArn = (cluster: string): string => `arn:aws:ecs:${this.region}:${this.account}:cluster/${cluster}`;
  taskArn = (cluster: string, taskId: string): string => `arn:aws:ecs:${this.region}:${this.account}:task/${cluster}/${taskId}`;

  /** The one place a task stops: listeners hear of each stop once. */
  stop(service: SimService, task: SimTask, at: number, reason: string, stopCode: string, exitCode?: number): void {
    if (task.lastStatus === 'STOPPED') return;
    Object.assign(task, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: at, stoppedReason: reason, stopCode });
    if (exitCode !== undefined) task.exitCode = exitCode;
    this.deregister(service, task);
    this.changes.emitTaskStopped({
      clusterArn: this.clusterArn(service.cluster),
      group: `service:${service.name}`,
      taskArn: this.taskArn(service.cluster, task.id),
      stoppedReason: reason,
      stopCode,
      at,
    });
  }

  /**
   * The metric of alarm `name` says `state` from `since` on (default: now): the alarm enters it when CloudWatch
   * would, after its evaluation periods (alarm-evaluation.ts), unless a report of another state comes first (the
   * same state again goes on with the evaluation under way). Returns that moment.
   */
  metricSays(name: string, state: AlarmState, reason: string, since: number = this.clock): number {
    const alarm = this.alarms[name];
    if (!alarm) return since;
    const pending = this.pendingAlarms.get(name);
    if (pending?.state === state) return pending.at;
    const at = since + evaluationDelayMs(alarm);
    const evaluation = { state, at };
    this.pendingAlarms.set(name, evaluation);
    const enter = () => {
      if (this.pendingAlarms.get(name) !== evaluation) return;
      this.pendingAlarms.delete(name);
      this.setAlarmState(name, state, reason, at);
    };
    this.schedule(at, enter);
    this.runDue(this.clock);
    return at;
  }

  /** The one place an alarm changes state: listeners hear of each change once (a reason alone is no change). */
  setAlarmState(name: string, state: AlarmState, reason: string, at: number = this.clock): void {
    const alarm = this.alarms[name];
    if (!alarm) return;
    const previous = alarm.state;
    alarm.reason = reason;
    if (previous === state) return;
    alarm.state = state;
    this.changes.emitAlarmStateChange({
      alarmName: name,
      alarmArn: alarmArn(this.region, this.account, name),
      previous,
      state,
      reason,
      at,
    });
  }

  /** A service event, newest first, as DescribeServices lists them (50 kept). */
  event(service: SimService, at: number, message: string): void {
    service.events.unshift({ id: this.nextId('e'), createdAt: at, message: `(service ${service.name}) ${message}` });
    service.events.length = Math.min(service.events.length, 50);
  }

  /** Runs `action` when the virtual clock reaches `at` (a fault's delayed signal). */
  schedule(at: number, action: () => void): void {
    this.scheduled.push({ at, action });
  }

  private tick(now: number): void {
    this.runDue(now);
    this.scaling.tick(now);
    for (const service of this.services.values()) tickService(this, service, now);
  }

  private runDue(now: number): void {
    const due = this.scheduled.filter((entry) => entry.at <= now);
    this.scheduled = this.scheduled.filter((entry) => entry.at > now);
    for (const entry of due) entry.action();
  }

  /** UpdateService: a new task definition starts a new deployment; a count change only rescales. */
  updateService(service: SimService, update: { taskDefinitionArn?: string; desiredCount?: number; circuitBreaker?: boolean }): void {
    if (update.circuitBreaker !== undefined) service.circuitBreaker = update.circuitBreaker;
    if (update.desiredCount !== undefined) service.desiredCount = update.desiredCount;
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    if (update.taskDefinitionArn && update.taskDefinitionArn !== service.taskDefinitionArn) {
      service.taskDefinitionArn = update.taskDefinitionArn;
      for (const deployment of service.deployments) deployment.status = 'ACTIVE';
      service.deployments.unshift(this.newDeployment(update.taskDefinitionArn, service.desiredCount, 'IN_PROGRESS'));
    } else if (primary) {
      primary.desiredCount = service.desiredCount;
      if (update.desiredCount !== undefined && primary.rolloutState === 'COMPLETED') primary.rolloutState = 'IN_PROGRESS';
    }
  }

  /** The account as an account file, so a run can be inspected or chained. */
  toSpec(): Record<string, unknown> {
    return accountSpecOf(this);
  }
}

export function serviceKey(cluster: string, name: string): string {
  return `${cluster}/${name}`;
}

export function tableKey(item: Record<string, unknown>): string {
  return `${String(item.pk)}|${String(item.sk)}`;
}
