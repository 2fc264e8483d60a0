/**
 * CloudWatch GetMetricData over the Application Load Balancer metrics of the
 * simulated traffic (traffic-metrics.ts): RequestCount, HTTPCode_Target_5XX_Count
 * and TargetResponseTime of a target group on its load balancer, per minute;
 * and over the metrics workers publish per colour (worker-metrics.ts: units
 * processed and failed, their duration), which exist only for a minute with
 * a unit to count, as a custom metric exists only when published.
 * Shapes as in the CloudWatch API Reference (GetMetricData); which datapoints
 * exist as the ALB's metrics documentation says: Elastic Load Balancing reports
 * a metric only when requests flow, and RequestCount and HTTPCode_Target_5XX_Count
 * have the reporting criterion "There is a nonzero value"
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
 */
import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import type { AccountModel } from '../model.ts';
import { MINUTE, type MinuteMetrics, minuteMetrics, percentileOf } from '../traffic-metrics.ts';
import { workerMeasureOf, workerSeriesOf, workerValue } from '../worker-metrics.ts';
import { errorMeta, META } from './common.ts';

interface Dimension {
  Name?: string;
  Value?: string;
}
export interface MetricDataQuery {
  Id?: string;
  Label?: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: { Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] }; Period?: number; Stat?: string };
}
export interface GetMetricDataInput {
  MetricDataQueries?: MetricDataQuery[];
  StartTime?: Date;
  EndTime?: Date;
  ScanBy?: 'TimestampDescending' | 'TimestampAscending';
  NextToken?: string;
  MaxDatapoints?: number;
}

/** GetMetricData's limits (CloudWatch API Reference): queries per call, datapoints per call. */
const MAX_QUERIES = 500;
const MAX_DATAPOINTS = 100_800;

/** The value of a metric in a minute: undefined is no datapoint. */
const METRICS: Readonly<Record<string, (minute: MinuteMetrics, stat: string) => number | undefined>> = {
  RequestCount: (minute) => minute.requests || undefined,
  HTTPCode_Target_5XX_Count: (minute) => minute.errors || undefined,
  TargetResponseTime: (minute, stat) => minute.latencySeconds(stat),
};

/**
 * The statistics the simulated account computes per metric: Sum of the counts; Average or a percentile of
 * the response time and of a worker's duration.
 */
function statProblem(model: AccountModel, namespace: string | undefined, metricName: string, stat: string): string | undefined {
  const measure = workerMeasureOf(model, namespace, metricName);
  if (metricName === 'TargetResponseTime' || measure === 'duration') {
    return stat === 'Average' || percentileOf(stat) !== undefined ? undefined : 'Average or a percentile (p50, p99, p99.9)';
  }
  return (Object.hasOwn(METRICS, metricName) || measure) && stat !== 'Sum' ? 'Sum' : undefined;
}

export function validationError(message: string): Error {
  return new CloudWatchServiceException({ name: 'ValidationError', $fault: 'client', message, ...errorMeta(400) });
}

/** The query checked as CloudWatch checks it, and what the simulated account refuses to model (metric math, periods but 60 s). */
function checkQuery(model: AccountModel, query: MetricDataQuery, seen: Set<string>): asserts query is MetricDataQuery & { Id: string } {
  const id = query.Id ?? '';
  if (!/^[a-z][a-zA-Z0-9_]{0,254}$/.test(id)) {
    throw validationError(
      `The value ${id} for parameter MetricDataQueries.member.Id is invalid: it must start with a lowercase letter and contain only letters, numbers and underscores.`,
    );
  }
  if (seen.has(id)) throw validationError(`The value ${id} for parameter MetricDataQueries.member.Id is duplicated.`);
  seen.add(id);
  if (query.Expression !== undefined) {
    throw validationError(
      `Query ${id}: the simulated account does not evaluate metric math expressions; ask for each metric with MetricStat and combine them.`,
    );
  }
  const stat = query.MetricStat;
  if (!stat?.Metric?.MetricName || !stat.Stat || stat.Period === undefined) {
    throw validationError(
      `Query ${id}: exactly one of Expression and MetricStat must be given, and MetricStat needs Metric.MetricName, Period and Stat.`,
    );
  }
  if (stat.Period !== 60) {
    throw validationError(`Query ${id}: the simulated account models 60-second periods only (Period ${stat.Period}).`);
  }
  const wanted = statProblem(model, stat.Metric.Namespace, stat.Metric.MetricName, stat.Stat);
  if (wanted)
    throw validationError(`Query ${id}: the simulated account computes ${wanted} of ${stat.Metric.MetricName}, not ${stat.Stat}.`);
}

/** The target group ARN and the load balancer a query's dimensions name, when they are exactly TargetGroup and LoadBalancer of a known group. */
function targetGroupOf(model: AccountModel, query: MetricDataQuery): { arn: string; loadBalancer: string } | undefined {
  const metric = query.MetricStat?.Metric;
  const dimensions = metric?.Dimensions ?? [];
  if (metric?.Namespace !== 'AWS/ApplicationELB' || dimensions.length !== 2) return undefined;
  const value = (name: string) => dimensions.find((dimension) => dimension.Name === name)?.Value;
  const targetGroup = value('TargetGroup');
  const loadBalancer = value('LoadBalancer');
  if (!targetGroup || !loadBalancer) return undefined;
  const arn = Object.keys(model.targetGroups).find((candidate) => candidate.endsWith(`:${targetGroup}`));
  return arn ? { arn, loadBalancer } : undefined;
}

/** The value of the query's metric in the minute from `start` with a statistic: a target group's or a worker colour's; undefined if neither. */
function seriesOf(model: AccountModel, query: MetricDataQuery): ((start: number, stat: string) => number | undefined) | undefined {
  const metricName = query.MetricStat?.Metric?.MetricName ?? '';
  const group = targetGroupOf(model, query);
  const measure = Object.hasOwn(METRICS, metricName) ? METRICS[metricName] : undefined;
  if (group && measure) return (start, stat) => measure(minuteMetrics(model, group.arn, group.loadBalancer, start), stat);
  const worker = workerSeriesOf(model, query.MetricStat?.Metric ?? {});
  return worker ? (start, stat) => workerValue(model, worker, start, stat) : undefined;
}

/**
 * The datapoints of each query with ReturnData (default true), one a minute from StartTime rounded down to
 * the minute up to EndTime (exclusive), only of minutes that have ended; newest first unless ScanBy
 * TimestampAscending. A metric, target group, load balancer or worker the account does not have: no datapoints.
 */
export function getMetricData(model: AccountModel, input: GetMetricDataInput) {
  const queries = input.MetricDataQueries ?? [];
  if (queries.length === 0 || queries.length > MAX_QUERIES) {
    throw validationError(`The collection MetricDataQueries must contain between 1 and ${MAX_QUERIES} items (it has ${queries.length}).`);
  }
  if (!(input.StartTime instanceof Date) || !(input.EndTime instanceof Date)) {
    throw validationError('The parameters StartTime and EndTime are required.');
  }
  if (input.StartTime.getTime() >= input.EndTime.getTime()) {
    throw validationError('The parameter StartTime must be less than the parameter EndTime.');
  }
  const seen = new Set<string>();
  for (const query of queries) checkQuery(model, query, seen);
  const first = Math.floor(input.StartTime.getTime() / MINUTE) * MINUTE;
  const returned = queries.filter((query) => query.ReturnData !== false);
  const asked = Math.ceil((input.EndTime.getTime() - first) / MINUTE) * returned.length;
  if (asked > MAX_DATAPOINTS) {
    throw validationError(`The simulated account does not paginate: ask for at most ${MAX_DATAPOINTS} datapoints (here ${asked}).`);
  }
  const end = Math.min(input.EndTime.getTime(), model.now - MINUTE + 1);
  const minutes: number[] = [];
  for (let start = first; start < end; start += MINUTE) minutes.push(start);
  if (input.ScanBy !== 'TimestampAscending') minutes.reverse();
  const results = returned.map((query) => {
    const metricName = query.MetricStat?.Metric?.MetricName ?? '';
    const stat = query.MetricStat?.Stat ?? '';
    const series = seriesOf(model, query);
    const points = series
      ? minutes.flatMap((start) => {
          const value = series(start, stat);
          return value === undefined ? [] : [{ at: new Date(start), value }];
        })
      : [];
    return {
      Id: query.Id,
      Label: query.Label ?? metricName,
      Timestamps: points.map((point) => point.at),
      Values: points.map((point) => point.value),
      StatusCode: 'Complete' as const,
    };
  });
  return { ...META, MetricDataResults: results, Messages: [] };
}
