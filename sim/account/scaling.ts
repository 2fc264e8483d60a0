/**
 * Application Auto Scaling in the simulated account: the scalable targets and
 * scaling policies of ECS services (the account file's applicationAutoScaling
 * section, then the API: services/application-auto-scaling.ts), what the
 * autoscaler did (autoscaler.ts), and the registration's effect on a
 * service's desired count. Without a section nothing here acts.
 */
import { evaluateMinute, type PolicyAlarms } from './autoscaler.ts';
import type { AccountModel, SimService } from './model.ts';
import {
  hexId,
  NOT_SUSPENDED,
  type ScalableTargetSpec,
  type ScalingPolicySpec,
  type ScheduledActionSpec,
  type SuspendedState,
  scalableTargetArn,
  type TargetId,
  type TargetTrackingSpec,
  targetKey,
} from './scaling-schema.ts';
import type { AccountSpec } from './schema.ts';

const MINUTE = 60_000;

export interface ScalableTarget extends TargetId {
  MinCapacity: number;
  MaxCapacity: number;
  SuspendedState: SuspendedState;
  readonly ScalableTargetARN: string;
  readonly CreationTime: number;
}

export interface ScalingPolicy extends TargetId {
  readonly PolicyName: string;
  readonly PolicyType: ScalingPolicySpec['PolicyType'];
  readonly PolicyARN: string;
  readonly CreationTime: number;
  readonly Alarms: ReadonlyArray<{ readonly AlarmName: string; readonly AlarmARN: string }>;
  readonly TargetTrackingScalingPolicyConfiguration?: TargetTrackingSpec;
  readonly StepScalingPolicyConfiguration?: Record<string, unknown>;
  readonly PredictiveScalingPolicyConfiguration?: Record<string, unknown>;
}

/** One change of a service's desired count by Application Auto Scaling (DescribeScalingActivities). */
export interface ScalingActivity {
  readonly id: string;
  readonly at: number;
  readonly resourceId: string;
  readonly from: number;
  readonly to: number;
  /** Why, as the activity's Cause says it. */
  readonly cause: string;
  /** The policy that asked for it; none for a registration that moved the count into its new bounds. */
  readonly policyName?: string;
}

/** A target as tests compare it before and after a run. */
export interface ScalingSummaryEntry {
  readonly min: number;
  readonly max: number;
  readonly scaleInSuspended: boolean;
  readonly scaleOutSuspended: boolean;
  readonly scheduledSuspended: boolean;
  /** Its policies' names, sorted. */
  readonly policies: string[];
  /** The ECS service's desired count. */
  readonly desiredCount: number;
}

/** Per ResourceId (`service/<cluster>/<name>`). */
export type ScalingSummary = Readonly<Record<string, ScalingSummaryEntry>>;

/** A UUID-shaped id from the text. */
function uuidOf(text: string): string {
  const hex = hexId(text);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export class ScalingState {
  private readonly byKey = new Map<string, ScalableTarget>();
  private readonly policyList: ScalingPolicy[] = [];
  /** Oldest first. */
  readonly activities: ScalingActivity[] = [];
  /** Per policy (by ARN): the alarms' consecutive breaching minutes (autoscaler.ts). */
  readonly alarms = new Map<string, PolicyAlarms>();
  /** Per target key: when it last scaled out and in (for the cooldowns). */
  readonly lastScaled = new Map<string, { out?: number; in?: number }>();
  /** Per ECS service `cluster/name`: requests/s one task serves at 100 % CPU. */
  private readonly perTask = new Map<string, number>();
  /** The account's scheduled actions, as its file gives them: returned by DescribeScheduledActions, never run. */
  readonly scheduledActions: ScheduledActionSpec[];
  private readonly model: AccountModel;

  constructor(model: AccountModel, spec: AccountSpec) {
    this.model = model;
    for (const [cluster, { services }] of Object.entries(spec.ecs.clusters)) {
      for (const [name, service] of Object.entries(services)) {
        if (service.requestsPerTask !== undefined) this.perTask.set(`${cluster}/${name}`, service.requestsPerTask);
      }
    }
    const section = spec.applicationAutoScaling;
    this.scheduledActions = structuredClone(section?.ScheduledActions ?? []);
    const now = model.now;
    for (const target of section?.ScalableTargets ?? []) this.store(target, target.SuspendedState, now);
    for (const policy of section?.ScalingPolicies ?? []) this.putPolicy(policy, now);
  }

  /** Requests/s one task of the service (`cluster/name`) serves at 100 % CPU: the account's, or 25. */
  requestsPerTask(service: string): number {
    return this.perTask.get(service) ?? 25;
  }

  /** The service's requestsPerTask as the account file gave it (toSpec). */
  serviceSpec(service: string): { requestsPerTask?: number } {
    const perTask = this.perTask.get(service);
    return perTask === undefined ? {} : { requestsPerTask: perTask };
  }

  /** True when any target is registered: the autoscaler has something to do. */
  get active(): boolean {
    return this.byKey.size > 0;
  }

  /** The registered targets, in registration order (copies). */
  targets(): ScalableTarget[] {
    return [...this.byKey.values()].map((target) => structuredClone(target));
  }

  /** The policies, in creation order (copies). */
  policies(): ScalingPolicy[] {
    return this.policyList.map((policy) => structuredClone(policy));
  }

  /** The registered target itself (not a copy), or undefined. */
  target(id: TargetId): ScalableTarget | undefined {
    return this.byKey.get(targetKey(id));
  }

  policiesOf(id: TargetId): ScalingPolicy[] {
    const key = targetKey(id);
    return this.policyList.filter((policy) => targetKey(policy) === key);
  }

  /** Per ResourceId: bounds, suspension, policy names and the service's desired count. */
  summary(): ScalingSummary {
    const entries = [...this.byKey.values()].map((target) => {
      const entry: ScalingSummaryEntry = {
        min: target.MinCapacity,
        max: target.MaxCapacity,
        scaleInSuspended: target.SuspendedState.DynamicScalingInSuspended,
        scaleOutSuspended: target.SuspendedState.DynamicScalingOutSuspended,
        scheduledSuspended: target.SuspendedState.ScheduledScalingSuspended,
        policies: this.policiesOf(target)
          .map((policy) => policy.PolicyName)
          .sort(),
        desiredCount: this.serviceOf(target)?.desiredCount ?? 0,
      };
      return [target.ResourceId, entry] as const;
    });
    return Object.fromEntries(entries);
  }

  /** The ECS service a target scales (`service/<cluster>/<name>`). */
  serviceOf(id: TargetId): SimService | undefined {
    const [, cluster = '', name = ''] = id.ResourceId.split('/');
    return this.model.service(cluster, name);
  }

  /**
   * RegisterScalableTarget: creates the target, or changes only the fields given. Then, as AWS documents it
   * (Application Auto Scaling API Reference, RegisterScalableTarget): "If you call the RegisterScalableTarget API
   * operation to update an existing scalable target, Application Auto Scaling retrieves the current capacity of the
   * resource. If it's below the minimum capacity or above the maximum capacity, Application Auto Scaling adjusts
   * the capacity of the scalable target to place it within these bounds" (and a new target's capacity is placed
   * "inside of this range" too). The caller checked the input (the service module).
   */
  register(
    id: TargetId,
    changes: { MinCapacity?: number; MaxCapacity?: number; SuspendedState?: Partial<SuspendedState> },
  ): ScalableTarget {
    const existing = this.target(id);
    const target = existing
      ? Object.assign(existing, {
          ...(changes.MinCapacity !== undefined ? { MinCapacity: changes.MinCapacity } : {}),
          ...(changes.MaxCapacity !== undefined ? { MaxCapacity: changes.MaxCapacity } : {}),
          SuspendedState: { ...existing.SuspendedState, ...changes.SuspendedState },
        })
      : this.store(
          { ...id, MinCapacity: changes.MinCapacity ?? 0, MaxCapacity: changes.MaxCapacity ?? 0 },
          { ...NOT_SUSPENDED, ...changes.SuspendedState },
          this.model.now,
        );
    const service = this.serviceOf(target);
    if (service) {
      const within = Math.min(Math.max(service.desiredCount, target.MinCapacity), target.MaxCapacity);
      if (within !== service.desiredCount) {
        const bound =
          within < service.desiredCount
            ? `maximum capacity was set to ${target.MaxCapacity}`
            : `minimum capacity was set to ${target.MinCapacity}`;
        this.scale(target, within, `${bound} by a call to RegisterScalableTarget`);
      }
    }
    return target;
  }

  /** DeregisterScalableTarget: the target and its policies go ("Deregistering a scalable target deletes the scaling policies ... associated with it"). */
  deregister(id: TargetId): boolean {
    const key = targetKey(id);
    if (!this.byKey.delete(key)) return false;
    for (const policy of this.policiesOf(id)) this.deletePolicy(policy);
    this.lastScaled.delete(key);
    return true;
  }

  /** PutScalingPolicy: creates the policy or replaces the one of that name on that target (its alarms start over). */
  putPolicy(spec: Omit<ScalingPolicySpec, 'PolicyARN' | 'Alarms' | 'CreationTime'>, now: number = this.model.now): ScalingPolicy {
    const existing = this.policiesOf(spec).find((policy) => policy.PolicyName === spec.PolicyName);
    const { region, account } = this.model;
    const uuid = uuidOf(`${targetKey(spec)}|${spec.PolicyName}`);
    const alarm = (kind: string) => {
      const name = `TargetTracking-${spec.ResourceId}-${kind}-${uuidOf(`${uuid}|${kind}`)}`;
      return { AlarmName: name, AlarmARN: `arn:aws:cloudwatch:${region}:${account}:alarm:${name}` };
    };
    const policy: ScalingPolicy = {
      PolicyName: spec.PolicyName,
      ServiceNamespace: spec.ServiceNamespace,
      ResourceId: spec.ResourceId,
      ScalableDimension: spec.ScalableDimension,
      PolicyType: spec.PolicyType,
      PolicyARN: `arn:aws:autoscaling:${region}:${account}:scalingPolicy:${uuid}:resource/${spec.ServiceNamespace}/${spec.ResourceId}:policyName/${spec.PolicyName}`,
      CreationTime: existing?.CreationTime ?? now,
      // Target tracking creates and manages its two alarms; other types name alarms of the user's.
      Alarms: spec.PolicyType === 'TargetTrackingScaling' ? [alarm('AlarmHigh'), alarm('AlarmLow')] : [],
      ...(spec.TargetTrackingScalingPolicyConfiguration
        ? { TargetTrackingScalingPolicyConfiguration: structuredClone(spec.TargetTrackingScalingPolicyConfiguration) }
        : {}),
      ...(spec.StepScalingPolicyConfiguration
        ? { StepScalingPolicyConfiguration: structuredClone(spec.StepScalingPolicyConfiguration) }
        : {}),
      ...(spec.PredictiveScalingPolicyConfiguration
        ? { PredictiveScalingPolicyConfiguration: structuredClone(spec.PredictiveScalingPolicyConfiguration) }
        : {}),
    };
    if (existing) this.deletePolicy(existing);
    this.policyList.push(policy);
    return policy;
  }

  /** DeleteScalingPolicy (and a deregistration): the policy and its alarms go. */
  deletePolicy(policy: ScalingPolicy): void {
    const index = this.policyList.findIndex((candidate) => candidate.PolicyARN === policy.PolicyARN);
    if (index >= 0) this.policyList.splice(index, 1);
    this.alarms.delete(policy.PolicyARN);
  }

  /**
   * A fault's shortcut: the target's target tracking policies have seen `minutes` breaching datapoints of one alarm
   * already (a load that has been low or high that long), so the next breaching minute may be the one that fires it.
   */
  primeAlarms(id: TargetId, alarm: keyof PolicyAlarms, minutes: number): void {
    for (const policy of this.policiesOf(id)) {
      if (policy.PolicyType === 'TargetTrackingScaling') this.alarms.set(policy.PolicyARN, { high: 0, low: 0, [alarm]: minutes });
    }
  }

  /** Sets the service's desired count (the ECS scheduler then starts or stops tasks), with a service event and an activity. */
  scale(target: ScalableTarget, to: number, cause: string, policyName?: string): void {
    const service = this.serviceOf(target);
    if (!service) return;
    const from = service.desiredCount;
    const at = this.model.now;
    this.model.updateService(service, { desiredCount: to });
    this.activities.push({
      id: uuidOf(`${target.ResourceId}|${at}|${this.activities.length}`),
      at,
      resourceId: target.ResourceId,
      from,
      to,
      cause,
      ...(policyName ? { policyName } : {}),
    });
    this.model.event(service, at, `desired count changed by Application Auto Scaling from ${from} to ${to}: ${cause}.`);
  }

  /** One simulated second: on each whole minute, the autoscaler evaluates its policies' alarms. */
  tick(now: number): void {
    if (this.byKey.size > 0 && now % MINUTE === 0) evaluateMinute(this.model, this, now);
  }

  /** The section as the account file would hold it (toSpec); undefined when nothing is registered. */
  toSpec(): Record<string, unknown> | undefined {
    if (this.byKey.size === 0) return undefined;
    return {
      ScalableTargets: [...this.byKey.values()].map(({ ScalableTargetARN: _arn, CreationTime: _at, ...target }) => structuredClone(target)),
      ScalingPolicies: this.policyList.map(({ PolicyARN: _arn, Alarms: _alarms, CreationTime: _at, ...policy }) => structuredClone(policy)),
    };
  }

  private store(
    spec: ScalableTargetSpec | (TargetId & { MinCapacity: number; MaxCapacity: number }),
    suspended: SuspendedState,
    now: number,
  ) {
    const target: ScalableTarget = {
      ServiceNamespace: spec.ServiceNamespace,
      ResourceId: spec.ResourceId,
      ScalableDimension: spec.ScalableDimension,
      MinCapacity: spec.MinCapacity,
      MaxCapacity: spec.MaxCapacity,
      SuspendedState: { ...suspended },
      ScalableTargetARN: scalableTargetArn(this.model.region, this.model.account, spec),
      CreationTime: now,
    };
    this.byKey.set(targetKey(spec), target);
    return target;
  }
}
