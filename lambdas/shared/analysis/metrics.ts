/**
 * What the two colours served over a window, from CloudWatch (GetMetricData,
 * one call for both): requests, errors, and a latency percentile minute by
 * minute. A web service's from its target groups: Application Load Balancer
 * metrics are dimensioned by TargetGroup and LoadBalancer together, and
 * report a minute only when its value is non-zero (Elastic Load Balancing
 * User Guide, "CloudWatch metrics for your Application Load Balancer"). A
 * worker's from the metrics it publishes per colour (analysis.metrics).
 */
import { type Dimension, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from '../clients/cloudwatch.ts';
import { ContractViolationError } from '../errors.ts';
import type { WorkerMetrics } from './config.ts';

/** The metrics' period: one datapoint per minute. */
export const PERIOD_SECONDS = 60;

export interface ColourTraffic {
  readonly requests: number;
  readonly errors: number;
  /** The latency percentile of each minute that had requests, in milliseconds. */
  readonly latencyMs: number[];
}

/** `targetgroup/<name>/<id>`, the TargetGroup dimension, from the target group's ARN. */
export function targetGroupDimension(targetGroupArn: string): string {
  const dimension = targetGroupArn.split(':').at(-1) ?? '';
  if (!dimension.startsWith('targetgroup/')) throw new ContractViolationError(`not a target group ARN: ${targetGroupArn}`);
  return dimension;
}

/** `app/<name>/<id>`, the LoadBalancer dimension, from the production listener's or listener rule's ARN. */
export function loadBalancerDimension(listenerArn: string): string {
  const match = /:listener(?:-rule)?\/(app\/[^/]+\/[^/]+)\//.exec(listenerArn);
  if (!match?.[1]) throw new ContractViolationError(`not an Application Load Balancer listener or rule ARN: ${listenerArn}`);
  return match[1];
}

/** A metric of one colour: where it is, and what its datapoints are. */
interface ColourMetric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Dimension[];
}

/** One colour's three metrics; the latency's values times `latencyToMs` are milliseconds. */
export interface ColourMetrics {
  readonly requests: ColourMetric;
  readonly errors: ColourMetric;
  readonly latency?: ColourMetric;
  readonly latencyToMs: number;
}

/** A web service's colour: its target group's metrics behind the production listener's load balancer. */
export function targetGroupMetrics(targetGroupArn: string, listenerArn: string): ColourMetrics {
  const dimensions = [
    { Name: 'TargetGroup', Value: targetGroupDimension(targetGroupArn) },
    { Name: 'LoadBalancer', Value: loadBalancerDimension(listenerArn) },
  ];
  const alb = (name: string) => ({ namespace: 'AWS/ApplicationELB', name, dimensions });
  // TargetResponseTime is in seconds.
  return { requests: alb('RequestCount'), errors: alb('HTTPCode_Target_5XX_Count'), latency: alb('TargetResponseTime'), latencyToMs: 1000 };
}

/** A worker's colour: the metrics it publishes, with the colour's ECS service name as `metrics.dimension`. */
export function workerColourMetrics(metrics: WorkerMetrics, serviceName: string): ColourMetrics {
  const own = (name: string) => ({ namespace: metrics.namespace, name, dimensions: [{ Name: metrics.dimension, Value: serviceName }] });
  return {
    requests: own(metrics.processed),
    errors: own(metrics.failed),
    ...(metrics.duration ? { latency: own(metrics.duration.name) } : {}),
    latencyToMs: metrics.duration?.unit === 'Seconds' ? 1000 : 1,
  };
}

function query(id: string, metric: ColourMetric, stat: string): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: metric.namespace, MetricName: metric.name, Dimensions: metric.dimensions },
      Period: PERIOD_SECONDS,
      Stat: stat,
    },
    ReturnData: true,
  };
}

/**
 * Both colours over [from, to) in whole minutes, in one GetMetricData call
 * (six queries; a page has room for 100,800 datapoints, far more than a
 * window of an hour).
 */
export async function colourTraffic(input: {
  newer: ColourMetrics;
  older: ColourMetrics;
  percentile: string;
  from: Date;
  to: Date;
}): Promise<{ newer: ColourTraffic; older: ColourTraffic }> {
  const colours = { newer: input.newer, older: input.older };
  const queries = Object.entries(colours).flatMap(([colour, metrics]) => [
    query(`${colour}_requests`, metrics.requests, 'Sum'),
    query(`${colour}_errors`, metrics.errors, 'Sum'),
    ...(metrics.latency ? [query(`${colour}_latency`, metrics.latency, input.percentile)] : []),
  ]);
  const byId = new Map<string, number[]>();
  let nextToken: string | undefined;
  do {
    const out = await cloudwatch().send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: input.from,
        EndTime: input.to,
        ScanBy: 'TimestampAscending',
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    for (const result of out.MetricDataResults ?? []) {
      if (result.Id) byId.set(result.Id, [...(byId.get(result.Id) ?? []), ...(result.Values ?? [])]);
    }
    nextToken = out.NextToken;
  } while (nextToken);
  const values = (id: string): number[] => byId.get(id) ?? [];
  const sum = (id: string) => values(id).reduce((total, value) => total + value, 0);
  const traffic = (colour: 'newer' | 'older'): ColourTraffic => ({
    requests: sum(`${colour}_requests`),
    errors: sum(`${colour}_errors`),
    latencyMs: values(`${colour}_latency`).map((value) => value * colours[colour].latencyToMs),
  });
  return { newer: traffic('newer'), older: traffic('older') };
}
