/**
 * A worker's own metrics in the simulated account (examples/worker-analysis:
 * the workload jobs, 100 units a second shared by jobs-blue's and jobs-green's
 * RUNNING tasks), through GetMetricData as a handler calls it: per colour by
 * the ServiceName dimension, Sum of units processed and failed, a percentile
 * of their duration, no datapoint for a minute with nothing to count, a
 * fault's degradation keyed by the colour's ECS service, and the statistics
 * it does not model refused.
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { colourTraffic, workerColourMetrics } from '../../../../lambdas/shared/analysis/metrics.ts';
import { SimulatedApis } from '../../../../sim/account/api.ts';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema, type AccountSpec } from '../../../../sim/account/schema.ts';
import { expectedUnits, workerSeriesOf, workerValue } from '../../../../sim/account/worker-metrics.ts';
import { accountFile } from '../../../support/simulation.ts';

const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const MINUTE = 60_000;
const ACCOUNT = 'examples/worker-analysis/sim-account.json';

let model: AccountModel;
let apis: SimulatedApis;
const cloudwatch = new CloudWatchClient({ region: 'eu-west-1' });

function start(spec: AccountSpec = accountFile(ACCOUNT)): void {
  model = new AccountModel(spec, T0);
  apis = new SimulatedApis(model);
  apis.install();
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['Date'] });
  start();
});

afterEach(() => {
  apis.uninstall();
  vi.useRealTimers();
});

/** Moves the virtual clock, and the account with it. */
function elapse(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
  model.advanceTo(Date.now());
}

const workload = () => {
  const jobs = model.workloads.jobs;
  if (!jobs) throw new Error(`${ACCOUNT} has no workload jobs`);
  return jobs;
};

function query(id: string, service: string, metricName: string, stat: string, dimensions = [{ Name: 'ServiceName', Value: service }]) {
  return { Id: id, MetricStat: { Metric: { Namespace: 'Jobs', MetricName: metricName, Dimensions: dimensions }, Period: 60, Stat: stat } };
}

async function ask(queries: MetricDataQuery[], from = 0, to = 10): Promise<Record<string, number[]>> {
  const out = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(T0 + from * MINUTE),
      EndTime: new Date(T0 + to * MINUTE),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: queries,
    }),
  );
  return Object.fromEntries((out.MetricDataResults ?? []).map((result) => [result.Id, result.Values ?? []]));
}

/** Green raised to 1 task a minute in (the 25 % canary of 4 tasks), as Shift traffic raises a worker's colour. */
async function canary(): Promise<number> {
  elapse(MINUTE);
  const ecs = new ECSClient({ region: 'eu-west-1' });
  await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'jobs-green', desiredCount: 1 }));
  elapse(MINUTE);
  const runningAt = model.tasks.find((task) => task.serviceName === 'jobs-green')?.runningAt;
  if (runningAt === undefined) throw new Error('the green task is not running');
  return runningAt;
}

describe("a worker's own metrics", () => {
  it('gives the old colour every unit while the new one runs no task: no datapoint at all for the new colour', async () => {
    // Arrange
    elapse(4 * MINUTE + 30_000);

    // Act
    const values = await ask([
      query('blueProcessed', 'jobs-blue', 'JobsProcessed', 'Sum'),
      query('blueFailed', 'jobs-blue', 'JobsFailed', 'Sum'),
      query('blueP99', 'jobs-blue', 'JobDuration', 'p99'),
      query('blueP50', 'jobs-blue', 'JobDuration', 'p50'),
      query('greenProcessed', 'jobs-green', 'JobsProcessed', 'Sum'),
      query('greenFailed', 'jobs-green', 'JobsFailed', 'Sum'),
      query('greenP99', 'jobs-green', 'JobDuration', 'p99'),
    ]);

    // Assert: 4 ended minutes of 6000 units expected each, 0.5 % failing, 400 ms median and 2000 ms p99 (noise sigma 0.1)
    expect(expectedUnits(model, workload(), 'prod/jobs-blue', T0)).toBe(6000);
    expect(values.blueProcessed).toHaveLength(4);
    expect(values.blueProcessed?.every((units) => Math.abs(units - 6000) < 5 * Math.sqrt(6000))).toBe(true);
    expect(values.blueFailed?.every((failed) => failed > 10 && failed < 60)).toBe(true);
    expect(values.blueP99?.every((ms) => ms > 1500 && ms < 2700)).toBe(true);
    expect(values.blueP50?.every((ms) => ms > 300 && ms < 540)).toBe(true);
    expect(values.blueP99?.map((ms, minute) => ms / (values.blueP50?.[minute] ?? 1))).toEqual(Array(4).fill(expect.closeTo(5, 6)));
    expect([values.greenProcessed, values.greenFailed, values.greenP99]).toEqual([[], [], []]);
  });

  it('shares the units by the RUNNING tasks second by second, as a listener shares requests by its weights', async () => {
    // Arrange
    const runningAt = await canary();
    elapse(2 * MINUTE);

    // Act
    const values = await ask([query('green', 'jobs-green', 'JobsProcessed', 'Sum'), query('blue', 'jobs-blue', 'JobsProcessed', 'Sum')]);

    // Assert: from the second its task runs, green takes 1/5 of the units (1 task of 5 running).
    const secondsInMinute1 = (T0 + 2 * MINUTE - runningAt) / 1000;
    expect(secondsInMinute1).toBeGreaterThan(0);
    expect(expectedUnits(model, workload(), 'prod/jobs-green', T0 + MINUTE)).toBeCloseTo((100 * secondsInMinute1) / 5, 9);
    expect(expectedUnits(model, workload(), 'prod/jobs-green', T0 + 2 * MINUTE)).toBeCloseTo(1200, 9);
    expect(expectedUnits(model, workload(), 'prod/jobs-blue', T0 + 2 * MINUTE)).toBeCloseTo(4800, 9);
    expect(values.green).toHaveLength(3);
    expect(values.blue).toHaveLength(4);
    expect(values.green?.slice(1).every((units) => Math.abs(units - 1200) < 5 * Math.sqrt(1200))).toBe(true);
  });

  it("bends the new colour's units by a fault's degradation keyed by its ECS service, and leaves the old colour's", async () => {
    // Arrange
    await canary();
    elapse(2 * MINUTE);
    const queries = [
      query('greenProcessed', 'jobs-green', 'JobsProcessed', 'Sum'),
      query('greenFailed', 'jobs-green', 'JobsFailed', 'Sum'),
      query('greenP99', 'jobs-green', 'JobDuration', 'p99'),
      query('blueFailed', 'jobs-blue', 'JobsFailed', 'Sum'),
      query('blueP99', 'jobs-blue', 'JobDuration', 'p99'),
    ];
    const before = await ask(queries, 2, 4);

    // Act
    model.traffic.degrade('prod/jobs-green', { errorRate: 1, latencyFactor: 1.2, since: T0 });
    const after = await ask(queries, 2, 4);

    // Assert
    expect(after.greenFailed).toEqual(after.greenProcessed);
    expect(after.greenP99?.map((ms, minute) => ms / (before.greenP99?.[minute] ?? 1))).toEqual([
      expect.closeTo(1.2, 9),
      expect.closeTo(1.2, 9),
    ]);
    expect([after.blueFailed, after.blueP99]).toEqual([before.blueFailed, before.blueP99]);
  });

  it('answers through the analysis as the Lambda side asks (workerColourMetrics, colourTraffic): the sums of the minutes', async () => {
    // Arrange
    await canary();
    elapse(3 * MINUTE);
    const { metrics } = workload();
    const window = { from: new Date(T0 + 2 * MINUTE), to: new Date(T0 + 5 * MINUTE) };

    // Act
    const traffic = await colourTraffic({
      newer: workerColourMetrics({ ...metrics, duration: { name: 'JobDuration', unit: 'Milliseconds' } }, 'jobs-green'),
      older: workerColourMetrics({ ...metrics, duration: { name: 'JobDuration', unit: 'Milliseconds' } }, 'jobs-blue'),
      percentile: 'p99',
      ...window,
    });
    const values = await ask([query('green', 'jobs-green', 'JobsProcessed', 'Sum'), query('p99', 'jobs-blue', 'JobDuration', 'p99')], 2, 5);

    // Assert
    expect(traffic.newer.requests).toBe(values.green?.reduce((sum, units) => sum + units, 0));
    expect(traffic.older.latencyMs).toEqual(values.p99);
    expect(traffic.newer.latencyMs).toHaveLength(3);
  });

  it('publishes the duration in seconds when the workload says so: the same draw, a thousandth of the number', () => {
    // Arrange
    const spec = accountFile(ACCOUNT);
    const duration = spec.ecs.workloads?.jobs?.metrics.duration;
    if (!duration) throw new Error(`${ACCOUNT} publishes no duration`);
    duration.unit = 'Seconds';
    const inSeconds = new AccountModel(spec, T0);
    const metric = { Namespace: 'Jobs', MetricName: 'JobDuration', Dimensions: [{ Name: 'ServiceName', Value: 'jobs-blue' }] };
    const p99 = (account: AccountModel) => {
      const series = workerSeriesOf(account, metric);
      return series && workerValue(account, series, T0, 'p99');
    };

    // Act
    const ms = p99(model);
    const seconds = p99(inSeconds);

    // Assert
    expect(ms).toBeGreaterThan(1500);
    expect(seconds).toBeCloseTo((ms ?? 0) / 1000, 12);
  });

  it('has no datapoints for another dimension name, an extra dimension, a service outside the workload or another namespace', async () => {
    // Arrange
    elapse(3 * MINUTE);
    const otherNamespace = {
      Metric: { Namespace: 'Other', MetricName: 'JobsProcessed', Dimensions: [{ Name: 'ServiceName', Value: 'jobs-blue' }] },
    };

    // Act
    const values = await ask([
      query('otherDimension', 'jobs-blue', 'JobsProcessed', 'Sum', [{ Name: 'Service', Value: 'jobs-blue' }]),
      query('extraDimension', 'jobs-blue', 'JobsProcessed', 'Sum', [
        { Name: 'ServiceName', Value: 'jobs-blue' },
        { Name: 'ClusterName', Value: 'prod' },
      ]),
      query('otherService', 'jobs-red', 'JobsProcessed', 'Sum'),
      { ...query('otherNamespace', 'jobs-blue', 'JobsProcessed', 'Sum'), MetricStat: { ...otherNamespace, Period: 60, Stat: 'Sum' } },
      query('blue', 'jobs-blue', 'JobsProcessed', 'Sum'),
    ]);

    // Assert
    expect(Object.entries(values).map(([id, points]) => [id, points.length])).toEqual([
      ['otherDimension', 0],
      ['extraDimension', 0],
      ['otherService', 0],
      ['otherNamespace', 0],
      ['blue', 3],
    ]);
  });

  it.each([
    [
      'Average of a count',
      query('avg', 'jobs-blue', 'JobsFailed', 'Average'),
      'Query avg: the simulated account computes Sum of JobsFailed, not Average.',
    ],
    [
      'Maximum of the duration',
      query('max', 'jobs-blue', 'JobDuration', 'Maximum'),
      'Query max: the simulated account computes Average or a percentile (p50, p99, p99.9) of JobDuration, not Maximum.',
    ],
  ])('refuses %s with a ValidationError naming the query', async (_case, refused, message) => {
    // Act
    const error = await ask([refused]).catch((caught: unknown) => caught);

    // Assert
    expect(error).toMatchObject({ name: 'ValidationError', message });
  });
});

describe('the account file', () => {
  it('keeps its workloads when written back', () => {
    expect(AccountSchema.parse(model.toSpec()).ecs.workloads).toEqual(accountFile(ACCOUNT).ecs.workloads);
  });

  it('refuses a workload naming a service the account does not have, or a service in two workloads', () => {
    // Arrange
    const spec = accountFile(ACCOUNT);
    const jobs = spec.ecs.workloads?.jobs;
    const raw = { ...spec, ecs: { ...spec.ecs, workloads: { jobs, again: { ...jobs, services: ['prod/jobs-green', 'prod/jobs-red'] } } } };

    // Act
    const parsed = AccountSchema.safeParse(raw);

    // Assert
    expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['ecs.workloads.again.services', 'prod/jobs-green already takes the work of jobs'],
      ['ecs.workloads.again.services', 'prod/jobs-red is not an ECS service of the account'],
    ]);
  });
});
