/**
 * The writes that matter to the invariants (docs/architecture.md I1, I2,
 * I8), as the simulated account answered them: production traffic (ELBv2 ModifyListener / ModifyRule),
 * records (DynamoDB PutItem / UpdateItem on DEPLOYMENT#…|RECORD and
 * RELEASE#…|RECORD), ECS UpdateService, and a RegisterScalableTarget whose
 * new bounds moved a desired count. Each carries a snapshot of what the
 * invariant checker (sim/write-invariants.ts) reads, taken right after the
 * write: the model keeps moving, so it cannot be read back later.
 */
import type { AccountModel } from './model.ts';

/** An ECS service as it stood: tasks counted by task definition. */
export interface ServiceSnapshot {
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  /** RUNNING tasks of the service's current task definition. */
  readonly running: number;
  /** Tasks of another task definition not yet stopped (a rollout in progress). */
  readonly stale: number;
}

export interface TargetCounts {
  readonly healthy: number;
  readonly unhealthy: number;
}

/** What the checker reads of the account at one moment. */
export interface AccountSnapshot {
  /** Virtual time (epoch ms). */
  readonly at: number;
  /** Listener or rule ARN → target group ARN → weight. */
  readonly listeners: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** `cluster/name` → the ECS service. */
  readonly services: Readonly<Record<string, ServiceSnapshot>>;
  /** Target group ARN → target health. */
  readonly targets: Readonly<Record<string, TargetCounts>>;
  /** Alarm name → state. */
  readonly alarms: Readonly<Record<string, string>>;
  /** Service name → the deployment id holding its lock. */
  readonly locks: Readonly<Record<string, string>>;
}

interface WriteBase {
  /** The state whose handler wrote, when known. */
  readonly state?: string;
  readonly after: AccountSnapshot;
}

export type AccountWrite =
  | (WriteBase & { readonly kind: 'listener'; readonly arn: string })
  | (WriteBase & { readonly kind: 'record'; readonly key: string; readonly item: Readonly<Record<string, unknown>> })
  | (WriteBase & {
      readonly kind: 'service';
      /** `cluster/name`. */
      readonly service: string;
      /** The desired count the call asked for, if it asked. */
      readonly desiredCount?: number;
    });

export function snapshotAccount(model: AccountModel): AccountSnapshot {
  const services: Record<string, ServiceSnapshot> = {};
  for (const [key, service] of model.services) {
    const live = model.tasks.filter((t) => t.serviceName === service.name && t.lastStatus !== 'STOPPED');
    services[key] = {
      taskDefinitionArn: service.taskDefinitionArn,
      desiredCount: service.desiredCount,
      running: live.filter((t) => t.taskDefinitionArn === service.taskDefinitionArn && t.lastStatus === 'RUNNING').length,
      stale: live.filter((t) => t.taskDefinitionArn !== service.taskDefinitionArn).length,
    };
  }
  const targets: Record<string, TargetCounts> = {};
  for (const [arn, list] of model.targets) {
    targets[arn] = {
      healthy: list.filter((t) => t.state === 'healthy').length,
      unhealthy: list.filter((t) => t.state === 'unhealthy').length,
    };
  }
  const locks: Record<string, string> = {};
  for (const [key, item] of model.table) {
    if (key.startsWith('LOCK#') && key.endsWith('|LOCK')) locks[key.slice('LOCK#'.length, -'|LOCK'.length)] = String(item.deploymentId);
  }
  return {
    at: model.now,
    listeners: Object.fromEntries(Object.entries(model.listeners).map(([arn, listener]) => [arn, { ...listener.forward }])),
    services,
    targets,
    alarms: Object.fromEntries(Object.entries(model.alarms).map(([name, alarm]) => [name, alarm.state])),
    locks,
  };
}

const RECORD_KEY = /^(DEPLOYMENT|RELEASE)#.+\|RECORD$/;

/** The write a successful call made, with the account right after it; undefined for any other call. */
export function writeOf(model: AccountModel, operation: string, input: unknown, state: string | undefined): AccountWrite | undefined {
  const base = () => ({ ...(state ? { state } : {}), after: snapshotAccount(model) });
  const fields = (input ?? {}) as Record<string, unknown>;
  if (operation === 'ModifyListener' || operation === 'ModifyRule') {
    return { kind: 'listener', arn: String(fields.ListenerArn ?? fields.RuleArn), ...base() };
  }
  if (operation === 'PutItem' || operation === 'UpdateItem') {
    const keyItem = (operation === 'PutItem' ? fields.Item : fields.Key) as Record<string, unknown> | undefined;
    const key = `${String(keyItem?.pk)}|${String(keyItem?.sk)}`;
    const item = model.table.get(key);
    if (!RECORD_KEY.test(key) || !item) return undefined;
    return { kind: 'record', key, item: structuredClone(item), ...base() };
  }
  if (operation === 'UpdateService') {
    const cluster =
      String(fields.cluster ?? 'default')
        .split('/')
        .pop() ?? '';
    const name =
      String(fields.service ?? '')
        .split('/')
        .pop() ?? '';
    return {
      kind: 'service',
      service: `${cluster}/${name}`,
      ...(typeof fields.desiredCount === 'number' ? { desiredCount: fields.desiredCount } : {}),
      ...base(),
    };
  }
  if (operation === 'RegisterScalableTarget') {
    // New bounds that moved the desired count (ScalingState.register) scale the service as an UpdateService would.
    const activity = model.scaling.activities.at(-1);
    if (!activity || activity.policyName !== undefined || activity.at !== model.now || activity.resourceId !== fields.ResourceId)
      return undefined;
    return { kind: 'service', service: activity.resourceId.slice('service/'.length), desiredCount: activity.to, ...base() };
  }
  return undefined;
}
