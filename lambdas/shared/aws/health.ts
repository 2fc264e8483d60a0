/**
 * Signals that gate a deployment: target health and ECS counts (CloudWatch
 * alarms in alarms.ts, the ElastiCache replication group in cache.ts, so a
 * bundle loads only the SDK clients of the signals it reads). Each returns
 * evidence an operator can act on, not just a boolean.
 */
import { DescribeServicesCommand, type Service } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ecs } from '../clients/ecs.ts';
import { elb } from '../clients/elb.ts';
import { ResourceMissingError } from '../errors.ts';

export interface TargetHealthSummary {
  readonly healthy: number;
  readonly total: number;
  /** "10.0.1.5:8080 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])" */
  readonly problems: string[];
  /**
   * Targets still in their first health checks ("initial"): a task its
   * autoscaler just added. Not healthy yet, and not a failure: a gate that
   * has its healthy count is not failed by a scale-out.
   */
  readonly registering: string[];
}

export async function targetHealth(targetGroupArn: string): Promise<TargetHealthSummary> {
  try {
    const out = await elb().send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    const descriptions = out.TargetHealthDescriptions ?? [];
    const problems: string[] = [];
    const registering: string[] = [];
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
      (state === 'initial' ? registering : problems).push(
        `${target} ${state}${reason ? ` (${reason}${detail ? `: ${detail}` : ''})` : ''}`,
      );
    }
    const total = descriptions.filter((d) => d.TargetHealth?.State !== 'draining').length;
    return { healthy, total, problems, registering };
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
