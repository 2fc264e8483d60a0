/**
 * Signals that gate a deployment: target health, ECS counts, CloudWatch
 * alarms and the ElastiCache replication group. Each returns evidence an
 * operator can act on, not just a boolean.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, type Service } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeReplicationGroupsCommand, ReplicationGroupNotFoundFault } from '@aws-sdk/client-elasticache';
import { cloudwatch } from '../clients/cloudwatch.ts';
import { ecs } from '../clients/ecs.ts';
import { cache } from '../clients/elasticache.ts';
import { elb } from '../clients/elb.ts';
import { CacheNotReadyError, CacheNotServingError, ResourceMissingError } from '../errors.ts';

export interface TargetHealthSummary {
  readonly healthy: number;
  readonly total: number;
  /** "10.0.1.5:8080 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])" */
  readonly problems: string[];
}

export async function targetHealth(targetGroupArn: string): Promise<TargetHealthSummary> {
  try {
    const out = await elb().send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    const descriptions = out.TargetHealthDescriptions ?? [];
    const problems: string[] = [];
    let healthy = 0;
    for (const description of descriptions) {
      const state = description.TargetHealth?.State ?? 'unknown';
      if (state === 'healthy') {
        healthy += 1;
        continue;
      }
      if (state === 'draining') continue;
      const target = `${description.Target?.Id ?? '?'}:${description.Target?.Port ?? '?'}`;
      const reason = description.TargetHealth?.Reason;
      const detail = description.TargetHealth?.Description;
      problems.push(`${target} ${state}${reason ? ` (${reason}${detail ? `: ${detail}` : ''})` : ''}`);
    }
    const total = descriptions.filter((d) => d.TargetHealth?.State !== 'draining').length;
    return { healthy, total, problems };
  } catch (error) {
    if (error instanceof TargetGroupNotFoundException) {
      throw new ResourceMissingError(`target group ${targetGroupArn} not found`, { cause: error });
    }
    throw error;
  }
}

export async function describeService(cluster: string, serviceName: string): Promise<Service> {
  const out = await ecs().send(new DescribeServicesCommand({ cluster, services: [serviceName] }));
  const service = out.services?.find((s) => s.serviceName === serviceName);
  if (!service || service.status === 'INACTIVE') {
    const failure = out.failures?.[0]?.reason;
    throw new ResourceMissingError(`ECS service ${serviceName} not found in cluster ${cluster}${failure ? ` (${failure})` : ''}`);
  }
  return service;
}

export interface AlarmSignal {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
}

/**
 * Alarms in ALARM (and in INSUFFICIENT_DATA when the policy is "fail"). A
 * configured alarm that does not exist is a config error, not a pass.
 */
export async function firingAlarms(alarmNames: readonly string[], insufficientData: 'pass' | 'fail' = 'pass'): Promise<AlarmSignal[]> {
  if (alarmNames.length === 0) return [];
  const found = new Map<string, { state: string; reason: string }>();
  // DescribeAlarms takes at most 100 names per call.
  for (let i = 0; i < alarmNames.length; i += 100) {
    const names = alarmNames.slice(i, i + 100);
    let nextToken: string | undefined;
    do {
      const out = await cloudwatch().send(
        new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken }),
      );
      for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName) found.set(alarm.AlarmName, { state: alarm.StateValue ?? 'UNKNOWN', reason: alarm.StateReason ?? '' });
      }
      nextToken = out.NextToken;
    } while (nextToken);
  }
  const missing = alarmNames.filter((name) => !found.has(name));
  if (missing.length > 0) throw new ResourceMissingError(`CloudWatch alarm(s) not found: ${missing.join(', ')}`);
  return alarmNames
    .map((name) => ({ name, ...(found.get(name) ?? { state: 'UNKNOWN', reason: '' }) }))
    .filter((alarm) => alarm.state === 'ALARM' || (insufficientData === 'fail' && alarm.state === 'INSUFFICIENT_DATA'))
    .map(({ name, state, reason }) => ({ name, state, reason }));
}

/** `available` serves; `snapshotting` still serves reads and writes (a backup is running). */
const SERVING_CACHE_STATES = new Set(['available', 'snapshotting']);
/** Changes in progress that end in `available`: worth waiting for, within a bound. */
const TRANSITIONAL_CACHE_STATES = new Set(['modifying', 'creating']);

export async function assertCacheServing(replicationGroupId: string): Promise<string> {
  try {
    const out = await cache().send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId }));
    const status = out.ReplicationGroups?.[0]?.Status ?? 'unknown';
    if (TRANSITIONAL_CACHE_STATES.has(status)) {
      throw new CacheNotReadyError(
        `ElastiCache replication group ${replicationGroupId} is "${status}", not yet available (the deployment waits up to pipeline.cacheWaitSeconds for it)`,
      );
    }
    if (!SERVING_CACHE_STATES.has(status)) {
      throw new CacheNotServingError(`ElastiCache replication group ${replicationGroupId} is "${status}", not available`);
    }
    return status;
  } catch (error) {
    if (error instanceof ReplicationGroupNotFoundFault) {
      throw new CacheNotServingError(`ElastiCache replication group ${replicationGroupId} not found`, { cause: error });
    }
    throw error;
  }
}
