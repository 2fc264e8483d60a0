/**
 * Whether the colours' scaling can follow the deployment, and what the new
 * colour's policies become: the old colour's, with what names the old colour
 * (its service, its target group) naming the new one. Pure: Validate refuses
 * on problems() before anything changes; Deploy applies copyPlan().
 */
import type { ColourState } from '../contract.ts';
import { targetGroupOf } from '../service-resources.ts';
import { type ColourScaling, describeScaling, type RegisteredScaling, type ScalingPolicy, type TargetTrackingPolicy } from './snapshot.ts';

/** The `targetgroup/<name>/<id>` part of a target group ARN: how ALBRequestCountPerTarget's ResourceLabel and the TargetGroup dimension name it. */
export function targetGroupLabel(targetGroupArn: string): string {
  return targetGroupArn.split(':').slice(5).join(':');
}

interface Colour extends ColourState {
  readonly scaling: ColourScaling;
  /** The names of its scheduled actions, when read (Validate). */
  readonly scheduledActions?: readonly string[];
}

interface Colours {
  readonly live: Colour;
  readonly idle: Colour;
}

const named = (colour: ColourState) => `${colour.colour} (${colour.serviceName})`;

/**
 * Why Baton cannot move this service's scaling with its colours, one line
 * each; empty when it can. `managed` is services[].autoscaling.
 */
export function scalingProblems(service: string, managed: boolean, { live, idle }: Colours): string[] {
  if (!managed) {
    return [live, idle]
      .filter((colour) => colour.scaling.registered)
      .map(
        (colour) =>
          `${named(colour)} has a scalable target (${describeScaling(colour.scaling)}), and services[${service}].autoscaling is not true: Baton would scale that colour behind its autoscaler's back. Set "autoscaling": true for ${service} in the config, or deregister the target`,
      );
  }
  if (!live.scaling.registered) {
    return [
      `services[${service}].autoscaling is true, but ${named(live)}, which serves production, has no scalable target for ecs:service:DesiredCount; Baton copies that colour's scaling to the new one. Register one, or set "autoscaling": false`,
    ];
  }
  const problems: string[] = [];
  for (const colour of [live, idle]) {
    if (!colour.scheduledActions?.length) continue;
    problems.push(
      `${named(colour)} has scheduled actions (${colour.scheduledActions.join(', ')}), which Baton does not move between colours: after a deployment they would act on the wrong one. Delete them and scale on policies, or set "autoscaling": false`,
    );
  }
  if (live.scaling.max === 0) {
    problems.push(
      `${named(live)} serves production with MaxCapacity 0: its autoscaler would scale it to nothing; give it the maximum it should have`,
    );
  }
  const idlePolicies = idle.scaling.registered ? idle.scaling.policies : [];
  for (const policy of live.scaling.policies) {
    if (policy.type === 'TargetTrackingScaling') {
      const label = policy.targetTracking.PredefinedMetricSpecification?.ResourceLabel;
      if (label !== undefined && !label.endsWith(targetGroupLabel(targetGroupOf(live)))) {
        problems.push(
          `policy ${policy.name} of ${named(live)} tracks ResourceLabel ${label}, not ${named(live)}'s target group ${targetGroupLabel(targetGroupOf(live))}: Baton cannot tell which target group the new colour's copy should track`,
        );
      }
      continue;
    }
    // A step or predictive policy acts through alarms or forecasts Baton does not copy: the new colour must have its own.
    if (!idlePolicies.some((mine) => mine.name === policy.name && mine.type === policy.type)) {
      problems.push(
        `policy ${policy.name} of ${named(live)} is a ${policy.type} policy, which Baton does not copy (its alarms or forecasts are the service's own); give ${named(idle)} a ${policy.type} policy named ${policy.name} too, or use target tracking`,
      );
    }
  }
  for (const policy of idlePolicies) {
    if (policy.type === 'TargetTrackingScaling') continue;
    if (!live.scaling.policies.some((theirs) => theirs.name === policy.name && theirs.type === policy.type)) {
      problems.push(
        `${named(idle)} has ${policy.type} policy ${policy.name}, which ${named(live)} has not; Baton gives the new colour the old colour's policies and would not know whether to keep it. Delete it, or give ${named(live)} the same`,
      );
    }
  }
  return problems;
}

/** The new colour's target tracking policies (the old colour's, translated) and those of its own to delete. */
export function copyPlan({ live, idle }: Colours & { live: { scaling: RegisteredScaling } }): {
  readonly put: TargetTrackingPolicy[];
  readonly remove: string[];
} {
  const put = live.scaling.policies.filter(isTargetTracking).map((policy) => translated(policy, live, idle));
  const idlePolicies = idle.scaling.registered ? idle.scaling.policies : [];
  const remove = idlePolicies.filter((policy) => isTargetTracking(policy) && !put.some((p) => p.name === policy.name)).map((p) => p.name);
  return { put, remove };
}

export function isTargetTracking(policy: ScalingPolicy): policy is TargetTrackingPolicy {
  return policy.type === 'TargetTrackingScaling';
}

/**
 * A policy of `from` as `to` should have it: a metric dimension naming
 * `from`'s service or target group names `to`'s, and ALBRequestCountPerTarget
 * tracks `to`'s target group. Everything else (the target value, cooldowns,
 * a queue's metric) stays: both colours scale on the same signal.
 */
export function translated(policy: TargetTrackingPolicy, from: ColourState, to: ColourState): TargetTrackingPolicy {
  const fromGroup = targetGroupLabel(targetGroupOf(from));
  const toGroup = targetGroupLabel(targetGroupOf(to));
  const rename = (value: string): string => {
    if (value === from.serviceName) return to.serviceName;
    if (value.endsWith(fromGroup)) return `${value.slice(0, value.length - fromGroup.length)}${toGroup}`;
    return value;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== 'object' || node === null) return node;
    const entries = Object.entries(node).map(([key, value]) => {
      const renames = (key === 'Value' && 'Name' in node) || key === 'ResourceLabel';
      return [key, renames && typeof value === 'string' ? rename(value) : walk(value)];
    });
    return Object.fromEntries(entries);
  };
  // walk keeps the shape it is given: the API's own TargetTrackingScalingPolicyConfiguration.
  return { ...policy, targetTracking: walk(policy.targetTracking) as TargetTrackingPolicy['targetTracking'] };
}
