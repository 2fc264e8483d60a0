/**
 * A worker's own metrics in the simulated account, per colour and minute: the
 * units of its workload (schema.ts, ecs.workloads) each of its ECS services
 * takes, shared by their RUNNING tasks second by second as a listener's
 * requests are shared by its weights, and drawn as a target group's minute is
 * (traffic-metrics.ts drawMinute: Poisson units, binomial failures, lognormal
 * duration, seeded noise, and a fault's degradation keyed by the colour's
 * `cluster/name`). What a worker's analysis reads (workerColourMetrics).
 */
import type { AccountModel, SimTask } from './model.ts';
import type { Workload } from './schema.ts';
import { drawMinute, MINUTE, type MinuteMetrics } from './traffic-metrics.ts';

const SECOND = 1000;

export type WorkerMeasure = 'processed' | 'failed' | 'duration';

/** One series of a workload's metrics: one of its ECS services and what is measured. */
export interface WorkerSeries {
  readonly workload: Workload;
  /** `cluster/name`: the key of the colour's noise and of a fault's degradation. */
  readonly service: string;
  readonly measure: WorkerMeasure;
}

interface MetricName {
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: ReadonlyArray<{ readonly Name?: string; readonly Value?: string }>;
}

const serviceName = (key: string): string => key.slice(key.indexOf('/') + 1);

function measureOf(workload: Workload, namespace: string | undefined, metricName: string | undefined): WorkerMeasure | undefined {
  const { metrics } = workload;
  if (namespace !== metrics.namespace || metricName === undefined) return undefined;
  if (metricName === metrics.processed) return 'processed';
  if (metricName === metrics.failed) return 'failed';
  return metricName === metrics.duration?.name ? 'duration' : undefined;
}

/** What a metric (namespace and name) measures in the account's workloads, whatever its dimensions: which statistics it has. */
export function workerMeasureOf(
  model: AccountModel,
  namespace: string | undefined,
  metricName: string | undefined,
): WorkerMeasure | undefined {
  for (const workload of Object.values(model.workloads)) {
    const measure = measureOf(workload, namespace, metricName);
    if (measure) return measure;
  }
  return undefined;
}

/**
 * The series a metric names: a workload's namespace and metric with exactly its dimension, valued with the
 * name of one of its ECS services (a name alone, as the application publishes it: the cluster is not in it).
 */
export function workerSeriesOf(model: AccountModel, metric: MetricName): WorkerSeries | undefined {
  const dimensions = metric.Dimensions ?? [];
  const [dimension] = dimensions;
  if (dimensions.length !== 1 || !dimension?.Value) return undefined;
  for (const workload of Object.values(model.workloads)) {
    const measure = measureOf(workload, metric.Namespace, metric.MetricName);
    if (!measure || dimension.Name !== workload.metrics.dimension) continue;
    const service = workload.services.find((key) => serviceName(key) === dimension.Value);
    if (service) return { workload, service, measure };
  }
  return undefined;
}

const runsAt = (task: SimTask, at: number): boolean =>
  task.runningAt !== undefined && task.runningAt <= at && (task.stoppedAt === undefined || task.stoppedAt > at);

/**
 * The mean units `service` takes in the minute from `start`: each second's unitsPerSecond split between
 * the workload's services by their RUNNING tasks (a second without any: the work waits, and is not
 * counted later either).
 */
export function expectedUnits(model: AccountModel, workload: Workload, service: string, start: number): number {
  const names = new Set(workload.services.map(serviceName));
  const own = serviceName(service);
  const end = start + MINUTE;
  const tasks = model.tasks.filter(
    (task) =>
      names.has(task.serviceName) &&
      task.runningAt !== undefined &&
      task.runningAt < end &&
      (task.stoppedAt === undefined || task.stoppedAt > start),
  );
  let share = 0;
  for (let at = start; at < end; at += SECOND) {
    const running = tasks.filter((task) => runsAt(task, at));
    if (running.length > 0) share += running.filter((task) => task.serviceName === own).length / running.length;
  }
  return workload.unitsPerSecond * share;
}

/** The series' colour's minute from `start`, drawn around its expected units. */
export function workerMinute(model: AccountModel, series: WorkerSeries, start: number): MinuteMetrics {
  const { workload } = series;
  return drawMinute(model, series.service, start, {
    requests: expectedUnits(model, workload, series.service, start),
    errorRate: workload.errorRate,
    p50Ms: workload.durationMs.p50,
    p99Ms: workload.durationMs.p99,
  });
}

/**
 * The series' datapoint for the minute from `start` with the statistic `stat` (Sum of the counts; Average
 * or a percentile of the duration, in the unit it is published in): undefined when nothing was published,
 * a minute without a unit processed, or without one failed.
 */
export function workerValue(model: AccountModel, series: WorkerSeries, start: number, stat: string): number | undefined {
  const minute = workerMinute(model, series, start);
  if (series.measure === 'processed') return minute.requests || undefined;
  if (series.measure === 'failed') return minute.errors || undefined;
  const seconds = minute.latencySeconds(stat);
  return seconds === undefined || series.workload.metrics.duration?.unit === 'Seconds' ? seconds : seconds * 1000;
}
