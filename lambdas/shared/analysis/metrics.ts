/**
 * What the two colours' target groups served over a window, from CloudWatch
 * (GetMetricData, one call for both): requests, 5xx responses, and a latency
 * percentile minute by minute. Application Load Balancer metrics are
 * dimensioned by TargetGroup and LoadBalancer together, and report a minute
 * only when its value is non-zero (Elastic Load Balancing User Guide,
 * "CloudWatch metrics for your Application Load Balancer").
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from '../clients/cloudwatch.ts';
import { ContractViolationError } from '../errors.ts';

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

const METRICS = [
  ['requests', 'RequestCount', 'Sum'],
  ['errors', 'HTTPCode_Target_5XX_Count', 'Sum'],
] as const;

function query(id: string, metricName: string, stat: string, targetGroup: string, loadBalancer: string): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: metricName,
        Dimensions: [
          { Name: 'TargetGroup', Value: targetGroup },
          { Name: 'LoadBalancer', Value: loadBalancer },
        ],
      },
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
  newTargetGroupArn: string;
  oldTargetGroupArn: string;
  listenerArn: string;
  percentile: string;
  from: Date;
  to: Date;
}): Promise<{ newer: ColourTraffic; older: ColourTraffic }> {
  const loadBalancer = loadBalancerDimension(input.listenerArn);
  const colours = { newer: targetGroupDimension(input.newTargetGroupArn), older: targetGroupDimension(input.oldTargetGroupArn) };
  const queries = Object.entries(colours).flatMap(([colour, targetGroup]) => [
    ...METRICS.map(([key, name, stat]) => query(`${colour}_${key}`, name, stat, targetGroup, loadBalancer)),
    query(`${colour}_latency`, 'TargetResponseTime', input.percentile, targetGroup, loadBalancer),
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
  const traffic = (colour: string): ColourTraffic => ({
    requests: sum(`${colour}_requests`),
    errors: sum(`${colour}_errors`),
    // TargetResponseTime is in seconds.
    latencyMs: values(`${colour}_latency`).map((seconds) => seconds * 1000),
  });
  return { newer: traffic('newer'), older: traffic('older') };
}
