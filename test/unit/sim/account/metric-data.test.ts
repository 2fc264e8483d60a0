/**
 * CloudWatch GetMetricData over the simulated load balancer metrics, through
 * the SDK as a handler calls it: AWS's shapes (newest first, Date timestamps,
 * TargetResponseTime in seconds, no datapoint for a zero count), listener
 * changes through ModifyListener followed, and clear refusals of what the
 * simulated account does not model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimulatedApis } from '../../../../sim/account/api.ts';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema } from '../../../../sim/account/schema.ts';
import { authorizationRequests } from '../../../../sim/iam/requests.ts';
import { ROOT } from '../../../support/config.ts';
import { BLUE, GREEN, LB, LISTENER, MINUTE, T0 } from '../../../support/traffic.ts';

let apis: SimulatedApis;
const cloudwatch = new CloudWatchClient({ region: 'eu-west-1' });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  const raw = JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')) as unknown;
  apis = new SimulatedApis(new AccountModel(AccountSchema.parse(raw), T0));
  apis.install();
});

afterEach(() => {
  apis.uninstall();
  vi.useRealTimers();
});

function query(
  id: string,
  targetGroupArn: string,
  metricName: string,
  stat: string,
  extra: Partial<MetricDataQuery> = {},
  period = 60,
): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: metricName,
        Dimensions: [
          { Name: 'TargetGroup', Value: targetGroupArn.split(':').pop() },
          { Name: 'LoadBalancer', Value: LB },
        ],
      },
      Period: period,
      Stat: stat,
    },
    ...extra,
  };
}

/** Moves traffic to 90/10 through ModifyListener two minutes in, as Shift traffic does, then lets `minutes` pass. */
async function canary(minutes: number): Promise<void> {
  vi.setSystemTime(T0 + 2 * MINUTE);
  await new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }).send(
    new ModifyListenerCommand({
      ListenerArn: LISTENER,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: BLUE, Weight: 90 },
              { TargetGroupArn: GREEN, Weight: 10 },
            ],
          },
        },
      ],
    }),
  );
  vi.setSystemTime(T0 + minutes * MINUTE + 30_000);
}

const window = (from: number, to: number) => ({ StartTime: new Date(T0 + from * MINUTE), EndTime: new Date(T0 + to * MINUTE) });
const offsets = (timestamps: Date[] | undefined) => (timestamps ?? []).map((at) => (at.getTime() - T0) / MINUTE);

describe('GetMetricData', () => {
  it('answers as CloudWatch does: newest first, ended minutes only, seconds for latency, no datapoint for a zero count', async () => {
    // Arrange
    await canary(6);

    // Act: 09:06:30 now, so the minute from 09:06 has not ended.
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        ...window(0, 10),
        MetricDataQueries: [
          query('greenRequests', GREEN, 'RequestCount', 'Sum'),
          query('greenErrors', GREEN, 'HTTPCode_Target_5XX_Count', 'Sum', { Label: 'green 5xx' }),
          query('greenP99', GREEN, 'TargetResponseTime', 'p99'),
          query('blueRequests', BLUE, 'RequestCount', 'Sum', { ReturnData: false }),
        ],
      }),
    );

    // Assert
    expect(out.Messages).toEqual([]);
    expect(out.MetricDataResults?.map((result) => [result.Id, result.Label, result.StatusCode])).toEqual([
      ['greenRequests', 'RequestCount', 'Complete'],
      ['greenErrors', 'green 5xx', 'Complete'],
      ['greenP99', 'TargetResponseTime', 'Complete'],
    ]);
    const [requests, errors, p99] = out.MetricDataResults ?? [];
    expect(requests?.Timestamps?.[0]).toBeInstanceOf(Date);
    expect(offsets(requests?.Timestamps)).toEqual([5, 4, 3, 2]);
    expect(requests?.Values).toEqual([125, 115, 131, 128]);
    expect(offsets(errors?.Timestamps)).toEqual([2]);
    expect(errors?.Values).toEqual([2]);
    expect(offsets(p99?.Timestamps)).toEqual([5, 4, 3, 2]);
    expect(p99?.Values?.[2]).toBeCloseTo(0.25690690401445054, 12);
    expect(p99?.Values?.every((seconds) => seconds > 0.15 && seconds < 0.4)).toBe(true);
  });

  it('gives the same datapoints however they are asked: oldest first, another window, another order of queries', async () => {
    // Arrange
    await canary(6);
    const ask = async (from: number, queries: MetricDataQuery[], scanBy?: 'TimestampAscending') =>
      (
        await cloudwatch.send(
          new GetMetricDataCommand({ ...window(from, 6), MetricDataQueries: queries, ...(scanBy ? { ScanBy: scanBy } : {}) }),
        )
      ).MetricDataResults ?? [];

    // Act
    const first = await ask(0, [query('g', GREEN, 'RequestCount', 'Sum'), query('b', BLUE, 'RequestCount', 'Sum')]);
    const again = await ask(3, [query('b', BLUE, 'RequestCount', 'Sum'), query('g', GREEN, 'RequestCount', 'Sum')], 'TimestampAscending');

    // Assert
    expect(offsets(again[1]?.Timestamps)).toEqual([3, 4, 5]);
    expect(again[1]?.Values).toEqual([...(first[0]?.Values ?? [])].slice(0, 3).reverse());
    expect(again[0]?.Values).toEqual([...(first[1]?.Values ?? [])].slice(0, 3).reverse());
  });

  it('has no datapoints for a target group, load balancer, namespace or dimension set the account does not have', async () => {
    // Arrange
    await canary(6);
    const base = query('a', GREEN, 'RequestCount', 'Sum');
    const metric = base.MetricStat?.Metric ?? {};
    const variant = (id: string, change: Record<string, unknown>): MetricDataQuery => ({
      ...base,
      Id: id,
      MetricStat: { Period: 60, Stat: 'Sum', Metric: { ...metric, ...change } },
    });

    // Act
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        ...window(0, 6),
        MetricDataQueries: [
          variant('unknownGroup', {
            Dimensions: [
              { Name: 'TargetGroup', Value: 'targetgroup/nope/0000' },
              { Name: 'LoadBalancer', Value: LB },
            ],
          }),
          variant('otherBalancer', {
            Dimensions: [
              { Name: 'TargetGroup', Value: 'targetgroup/web-green/8e4b6b8b3c5d2a10' },
              { Name: 'LoadBalancer', Value: 'app/other/1234' },
            ],
          }),
          variant('otherNamespace', { Namespace: 'AWS/ELB' }),
          variant('groupOnly', { Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/web-green/8e4b6b8b3c5d2a10' }] }),
          variant('otherMetric', { MetricName: 'HealthyHostCount' }),
        ],
      }),
    );

    // Assert
    expect(out.MetricDataResults?.map((result) => [result.Id, result.Values?.length])).toEqual([
      ['unknownGroup', 0],
      ['otherBalancer', 0],
      ['otherNamespace', 0],
      ['groupOnly', 0],
      ['otherMetric', 0],
    ]);
  });

  it.each([
    [
      'a period other than 60 s',
      [query('slow', GREEN, 'RequestCount', 'Sum', {}, 300)],
      'Query slow: the simulated account models 60-second periods only (Period 300).',
    ],
    [
      'metric math',
      [{ Id: 'rate', Expression: 'errors / requests' }],
      'Query rate: the simulated account does not evaluate metric math expressions',
    ],
    [
      'a statistic other than Sum of a count',
      [query('avg', GREEN, 'RequestCount', 'Average')],
      'Query avg: the simulated account computes Sum of RequestCount, not Average.',
    ],
    [
      'a statistic other than Average or a percentile of the response time',
      [query('max', GREEN, 'TargetResponseTime', 'Maximum')],
      'Query max: the simulated account computes Average or a percentile (p50, p99, p99.9) of TargetResponseTime, not Maximum.',
    ],
    [
      'an Id not starting with a lowercase letter',
      [query('Green', GREEN, 'RequestCount', 'Sum')],
      'The value Green for parameter MetricDataQueries.member.Id is invalid',
    ],
    [
      'a duplicated Id',
      [query('g', GREEN, 'RequestCount', 'Sum'), query('g', BLUE, 'RequestCount', 'Sum')],
      'The value g for parameter MetricDataQueries.member.Id is duplicated.',
    ],
    ['no queries', [], 'The collection MetricDataQueries must contain between 1 and 500 items (it has 0).'],
  ])('refuses %s with a ValidationError naming the query', async (_case, queries, message) => {
    // Act
    const error = await cloudwatch
      .send(new GetMetricDataCommand({ ...window(0, 6), MetricDataQueries: queries }))
      .catch((caught: unknown) => caught);

    // Assert
    expect(error).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect(String((error as Error).message)).toContain(message);
  });

  it('refuses a window that ends before it starts, and one asking for more datapoints than a call returns (future minutes count)', async () => {
    // Arrange
    const send = (from: number, to: number) =>
      cloudwatch
        .send(new GetMetricDataCommand({ ...window(from, to), MetricDataQueries: [query('g', GREEN, 'RequestCount', 'Sum')] }))
        .catch((caught: unknown) => caught);

    // Act / Assert
    await expect(send(5, 5)).resolves.toMatchObject({ message: 'The parameter StartTime must be less than the parameter EndTime.' });
    await expect(send(0, 100_801)).resolves.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('does not paginate'),
    });
  });

  it('is authorized as cloudwatch:GetMetricData on "*" (it takes no resource-level permissions)', () => {
    expect(authorizationRequests('cloudwatch', 'GetMetricData', {}, { account: '123456789012', region: 'eu-west-1' })).toEqual([
      { action: 'cloudwatch:GetMetricData', resource: '*', context: {} },
    ]);
  });
});
