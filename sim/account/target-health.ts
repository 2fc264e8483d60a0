/**
 * The health checks of a target, as an Application Load Balancer runs them
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html):
 * a check every HealthCheckIntervalSeconds from the target's registration;
 * "after your target is registered, it must pass one health check to be
 * considered healthy"; a target in service goes out of it after
 * UnhealthyThresholdCount consecutive failed checks. (HealthyThresholdCount
 * only brings an unhealthy target back, which no target here does: ECS
 * replaces it first.)
 */
import type { TargetState } from './model.ts';
import type { AccountSpec } from './schema.ts';

type HealthCheck = AccountSpec['elb']['targetGroups'][string];

const SECOND = 1000;

/** What a target group's health check has a target answer until it passes again. */
export interface FailingChecks {
  /** When the checks started failing (epoch ms). */
  readonly since: number;
  readonly reason: string;
  readonly description: string;
}

const RESPONSE_CODE_MISMATCH = { reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' };

/** Milliseconds of failed checks that take a target out of service: UnhealthyThresholdCount checks, one interval apart. */
export function unhealthyAfterMs(check: HealthCheck): number {
  return check.intervalSeconds * check.unhealthyThreshold * SECOND;
}

/** One simulated second of a registered target's checks; `passes` is whether its task answers them. Initial and healthy targets move. */
export function checkTarget(target: TargetState, check: HealthCheck, passes: boolean, now: number): void {
  const interval = check.intervalSeconds * SECOND;
  if (target.state === 'initial') {
    if (passes && now >= target.registeredAt + interval) {
      Object.assign(target, { state: 'healthy', since: now });
    } else if (!passes && now >= target.registeredAt + unhealthyAfterMs(check)) {
      Object.assign(target, { state: 'unhealthy', since: now, ...RESPONSE_CODE_MISMATCH });
    }
    return;
  }
  if (target.state !== 'healthy') return;
  if (passes) {
    delete target.failing;
    return;
  }
  target.failing ??= { since: now, ...RESPONSE_CODE_MISMATCH };
  if (now >= target.failing.since + unhealthyAfterMs(check)) {
    const { reason, description } = target.failing;
    delete target.failing;
    Object.assign(target, { state: 'unhealthy', since: now, reason, description });
  }
}
