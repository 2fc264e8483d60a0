/**
 * The target tracking autoscaler of the simulated account, once a simulated
 * minute (ScalingState.tick). For each scalable target, each
 * TargetTrackingScaling policy's metric over the minute just ended feeds the
 * two alarms Application Auto Scaling creates for it: AlarmHigh, above the
 * target for 3 datapoints of a minute, and AlarmLow, below 90 % of the target
 * for 15 (the alarms target tracking creates and manages, as DescribeAlarms
 * shows them; e.g. hashicorp/terraform-provider-aws#42553). A policy in
 * alarm wants ceil(capacity x metric / target) tasks; "Application Auto
 * Scaling scales based on the policy that provides the largest capacity for
 * both scale in and scale out" (User Guide, "Target tracking scaling
 * policies"), within MinCapacity and MaxCapacity.
 *
 * The load model (not AWS's, ours): a task serves `requestsPerTask` requests/s
 * at 100 % CPU, so the service's CPU is the requests its target group gets
 * from the listeners (their requestsPerSecond, times a fault's load factor,
 * times its share of the forward weights over the minute) over running tasks
 * x requestsPerTask. Memory is a fixed model: 40 % + 0.3 x CPU. Step scaling,
 * predictive scaling and customized metrics are stored and returned, never
 * evaluated.
 */
import type { AccountModel } from './model.ts';
import type { ScalableTarget, ScalingPolicy, ScalingState } from './scaling.ts';
import { targetKey } from './scaling-schema.ts';
import { expectedRequests, MINUTE } from './traffic-metrics.ts';

/** A policy's alarms: how many minutes in a row its metric was above the target, and below 90 % of it. */
export interface PolicyAlarms {
  high: number;
  low: number;
}

export const HIGH_DATAPOINTS = 3;
export const LOW_DATAPOINTS = 15;
/** AlarmLow's threshold, as a share of the target value. */
export const LOW_THRESHOLD = 0.9;
/** ScaleInCooldown and ScaleOutCooldown of an ECS service when the policy gives none (API Reference, TargetTrackingScalingPolicyConfiguration). */
export const DEFAULT_COOLDOWN_SECONDS = 300;

/** A policy's metric over the minute, and the capacity it is an average over; undefined without datapoints (no running task). */
export function policyMetric(
  model: AccountModel,
  scaling: ScalingState,
  policy: ScalingPolicy,
  minuteStart: number,
): { value: number; capacity: number } | undefined {
  const service = scaling.serviceOf(policy);
  const metric = policy.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification;
  if (!service || !metric) return undefined;
  if (metric.PredefinedMetricType === 'ALBRequestCountPerTarget') {
    // ResourceLabel: app/<load balancer>/<id>/targetgroup/<target group>/<id>.
    const [, loadBalancer, targetGroup] = /^(app\/[^/]+\/[^/]+)\/(targetgroup\/[^/]+\/[^/]+)$/.exec(metric.ResourceLabel ?? '') ?? [];
    const targetGroupArn = Object.keys(model.targetGroups).find((arn) => targetGroup !== undefined && arn.endsWith(`:${targetGroup}`));
    if (!loadBalancer || !targetGroupArn) return undefined;
    const healthy = (model.targets.get(targetGroupArn) ?? []).filter((target) => target.state === 'healthy').length;
    if (healthy === 0) return undefined;
    return { value: expectedRequests(model, targetGroupArn, loadBalancer, minuteStart) / healthy, capacity: healthy };
  }
  const running = model.tasks.filter((task) => task.serviceName === service.name && task.lastStatus === 'RUNNING').length;
  // The load model is the listeners' requests: a service no listener reaches (a worker) has none to report.
  if (running === 0 || !service.targetGroupArn) return undefined;
  const perSecond = expectedRequests(model, service.targetGroupArn, undefined, minuteStart) / (MINUTE / 1000);
  const cpu = (perSecond / (running * scaling.requestsPerTask(`${service.cluster}/${service.name}`))) * 100;
  return { value: metric.PredefinedMetricType === 'ECSServiceAverageCPUUtilization' ? cpu : 40 + 0.3 * cpu, capacity: running };
}

/**
 * What one policy wants after this minute's datapoint: more than `current` when AlarmHigh fires, less when AlarmLow
 * does (capacity still starting can make a firing alarm ask for no change), else nothing.
 */
function wantedBy(model: AccountModel, scaling: ScalingState, policy: ScalingPolicy, current: number, now: number): number | undefined {
  const config = policy.TargetTrackingScalingPolicyConfiguration;
  if (!config) return undefined;
  const alarms = scaling.alarms.get(policy.PolicyARN) ?? { high: 0, low: 0 };
  scaling.alarms.set(policy.PolicyARN, alarms);
  const metric = policyMetric(model, scaling, policy, now - MINUTE);
  // No datapoint: the alarms go to INSUFFICIENT_DATA, and target tracking neither scales out nor in on it.
  alarms.high = metric && metric.value > config.TargetValue ? alarms.high + 1 : 0;
  alarms.low = metric && metric.value < config.TargetValue * LOW_THRESHOLD ? alarms.low + 1 : 0;
  if (!metric) return undefined;
  const wanted = Math.ceil((metric.capacity * metric.value) / config.TargetValue);
  if (alarms.high >= HIGH_DATAPOINTS) return wanted > current ? wanted : undefined;
  if (alarms.low >= LOW_DATAPOINTS) return wanted < current ? wanted : undefined;
  return undefined;
}

/** Whether the target may move from `from` to `to` now: suspension, DisableScaleIn, cooldowns, a deployment in progress. */
function allowed(
  model: AccountModel,
  scaling: ScalingState,
  target: ScalableTarget,
  policy: ScalingPolicy,
  from: number,
  to: number,
): boolean {
  const config = policy.TargetTrackingScalingPolicyConfiguration;
  const last = scaling.lastScaled.get(targetKey(target)) ?? {};
  const now = model.now;
  if (to > from) {
    // A scale-in cooldown does not hold a scale out back (API Reference, TargetTrackingScalingPolicyConfiguration, ScaleInCooldown).
    const cooldown = (config?.ScaleOutCooldown ?? DEFAULT_COOLDOWN_SECONDS) * 1000;
    return !target.SuspendedState.DynamicScalingOutSuspended && (last.out === undefined || now - last.out >= cooldown);
  }
  const cooldown = (config?.ScaleInCooldown ?? DEFAULT_COOLDOWN_SECONDS) * 1000;
  // "Application Auto Scaling turns off scale-in processes while Amazon ECS deployments are in progress"
  // (Amazon ECS Developer Guide, "Use a target metric to scale Amazon ECS services").
  const deploying = scaling.serviceOf(target)?.deployments.some((deployment) => deployment.rolloutState === 'IN_PROGRESS') ?? false;
  return (
    !target.SuspendedState.DynamicScalingInSuspended &&
    config?.DisableScaleIn !== true &&
    !deploying &&
    (last.in === undefined || now - last.in >= cooldown)
  );
}

/** The minute ending at `now`: each target's policies are evaluated, and the largest capacity asked for wins. */
export function evaluateMinute(model: AccountModel, scaling: ScalingState, now: number): void {
  for (const target of scaling.targets()) {
    const live = scaling.target(target);
    const service = scaling.serviceOf(target);
    if (!live || !service) continue;
    const current = service.desiredCount;
    let best: { to: number; policy: ScalingPolicy } | undefined;
    let holding = false;
    for (const policy of scaling.policiesOf(live)) {
      if (policy.PolicyType !== 'TargetTrackingScaling') continue;
      const wanted = wantedBy(model, scaling, policy, current, now);
      // A policy whose alarms are quiet holds the current capacity: no scale in unless every policy asks for it.
      if (wanted === undefined) {
        holding = true;
        continue;
      }
      // Within the bounds, a scale out never lowers the count (a count above MaxCapacity stays) nor a scale in raises it.
      const bounded = Math.min(Math.max(wanted, live.MinCapacity), live.MaxCapacity);
      const keep =
        wanted > current
          ? bounded <= current
          : bounded >= current || policy.TargetTrackingScalingPolicyConfiguration?.DisableScaleIn === true;
      const to = keep ? current : bounded;
      if (!best || to > best.to) best = { to, policy };
    }
    // Only a firing alarm moves the count; a quiet policy keeps a count a scale in would lower.
    if (best && holding && best.to < current) continue;
    if (!best || best.to === current || !allowed(model, scaling, live, best.policy, current, best.to)) continue;
    const direction = best.to > current ? 'out' : 'in';
    const alarm = best.policy.Alarms[direction === 'out' ? 0 : 1]?.AlarmName ?? '';
    scaling.scale(
      live,
      best.to,
      `monitor alarm ${alarm} in state ALARM triggered policy ${best.policy.PolicyName}`,
      best.policy.PolicyName,
    );
    const key = targetKey(live);
    scaling.lastScaled.set(key, { ...scaling.lastScaled.get(key), [direction]: now });
  }
}
