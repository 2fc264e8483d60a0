/** The colours' traffic from CloudWatch (lambdas/shared/analysis/metrics.ts): one GetMetricData call, its queries, its sums. */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { WorkerMetricsSchema } from '../../../../../lambdas/shared/analysis/config.ts';
import {
  colourTraffic,
  loadBalancerDimension,
  targetGroupDimension,
  targetGroupMetrics,
  workerColourMetrics,
} from '../../../../../lambdas/shared/analysis/metrics.ts';
import { ContractViolationError } from '../../../../../lambdas/shared/errors.ts';
import { rejectByDefault } from '../../../../support/aws.ts';

const ELB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const GREEN = `${ELB}:targetgroup/web-green/8e4b6b8b3c5d2a10`;
const BLUE = `${ELB}:targetgroup/web-blue/6d0ecf831eec9f09`;
const LISTENER = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const FROM = new Date('2026-11-23T09:02:00.000Z');
const TO = new Date('2026-11-23T09:05:00.000Z');

describe('the dimensions', () => {
  it('takes the TargetGroup dimension from a target group ARN and the LoadBalancer one from a listener or a rule', () => {
    expect(targetGroupDimension(GREEN)).toBe('targetgroup/web-green/8e4b6b8b3c5d2a10');
    expect(loadBalancerDimension(LISTENER)).toBe('app/prod-alb/50dc6c495c0c9188');
    expect(loadBalancerDimension(`${ELB}:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`)).toBe(
      'app/prod-alb/50dc6c495c0c9188',
    );
  });

  it('refuses what is no target group or ALB listener, naming it', () => {
    expect(() => targetGroupDimension(`${ELB}:loadbalancer/app/x/1`)).toThrow(ContractViolationError);
    expect(() => loadBalancerDimension(`${ELB}:listener/net/nlb/1/2`)).toThrow(
      `not an Application Load Balancer listener or rule ARN: ${ELB}:listener/net/nlb/1/2`,
    );
  });
});

describe('colourTraffic', () => {
  const cloudwatchMock = mockClient(CloudWatchClient);

  beforeEach(() => {
    rejectByDefault(cloudwatchMock);
  });

  it('reads both colours in one call, sums requests and 5xx, and gives the latency minutes in ms', async () => {
    // Arrange: green missed a minute of 5xx (no datapoint: a zero count is not reported)
    cloudwatchMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'newer_requests', Values: [120, 118, 125] },
        { Id: 'newer_errors', Values: [2, 1] },
        { Id: 'newer_latency', Values: [0.25, 0.251, 0.249] },
        { Id: 'older_requests', Values: [1080, 1090, 1075] },
        { Id: 'older_errors', Values: [5, 6, 4] },
        { Id: 'older_latency', Values: [0.25, 0.25, 0.252] },
      ],
    });

    // Act
    const traffic = await colourTraffic({
      newer: targetGroupMetrics(GREEN, LISTENER),
      older: targetGroupMetrics(BLUE, LISTENER),
      percentile: 'p99',
      from: FROM,
      to: TO,
    });

    // Assert
    expect(traffic).toEqual({
      newer: { requests: 363, errors: 3, latencyMs: [250, 251, 249] },
      older: { requests: 3245, errors: 15, latencyMs: [250, 250, 252] },
    });
    const input = cloudwatchMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.StartTime).toEqual(FROM);
    expect(input?.EndTime).toEqual(TO);
    expect(input?.ScanBy).toBe('TimestampAscending');
    expect(input?.MetricDataQueries?.map((query) => [query.Id, query.MetricStat?.Metric?.MetricName, query.MetricStat?.Stat])).toEqual([
      ['newer_requests', 'RequestCount', 'Sum'],
      ['newer_errors', 'HTTPCode_Target_5XX_Count', 'Sum'],
      ['newer_latency', 'TargetResponseTime', 'p99'],
      ['older_requests', 'RequestCount', 'Sum'],
      ['older_errors', 'HTTPCode_Target_5XX_Count', 'Sum'],
      ['older_latency', 'TargetResponseTime', 'p99'],
    ]);
    expect(input?.MetricDataQueries?.[0]?.MetricStat).toEqual({
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'RequestCount',
        Dimensions: [
          { Name: 'TargetGroup', Value: 'targetgroup/web-green/8e4b6b8b3c5d2a10' },
          { Name: 'LoadBalancer', Value: 'app/prod-alb/50dc6c495c0c9188' },
        ],
      },
      Period: 60,
      Stat: 'Sum',
    });
  });

  it('follows NextToken to the last page', async () => {
    // Arrange
    cloudwatchMock
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'newer_requests', Values: [100] }], NextToken: 'page-2' })
      .resolves({ MetricDataResults: [{ Id: 'newer_requests', Values: [50] }] });

    // Act
    const traffic = await colourTraffic({
      newer: targetGroupMetrics(GREEN, LISTENER),
      older: targetGroupMetrics(BLUE, LISTENER),
      percentile: 'p50',
      from: FROM,
      to: TO,
    });

    // Assert
    expect(traffic.newer.requests).toBe(150);
    expect(cloudwatchMock.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
  });

  it("reads a worker's own metrics per colour, its duration in seconds given in ms", async () => {
    // Arrange
    cloudwatchMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'newer_requests', Values: [40, 42] },
        { Id: 'newer_errors', Values: [1] },
        { Id: 'newer_latency', Values: [1.5, 1.25] },
        { Id: 'older_requests', Values: [120, 118] },
        { Id: 'older_errors', Values: [] },
        { Id: 'older_latency', Values: [1.5, 1.5] },
      ],
    });
    const metrics = WorkerMetricsSchema.parse({
      namespace: 'Jobs',
      processed: 'JobsProcessed',
      failed: 'JobsFailed',
      duration: { name: 'JobDuration', unit: 'Seconds' },
    });

    // Act
    const traffic = await colourTraffic({
      newer: workerColourMetrics(metrics, 'jobs-green'),
      older: workerColourMetrics(metrics, 'jobs-blue'),
      percentile: 'p90',
      from: FROM,
      to: TO,
    });

    // Assert
    expect(traffic).toEqual({
      newer: { requests: 82, errors: 1, latencyMs: [1500, 1250] },
      older: { requests: 238, errors: 0, latencyMs: [1500, 1500] },
    });
    const queries = cloudwatchMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries ?? [];
    expect(queries.map((query) => [query.Id, query.MetricStat?.Metric, query.MetricStat?.Stat])).toEqual([
      [
        'newer_requests',
        { Namespace: 'Jobs', MetricName: 'JobsProcessed', Dimensions: [{ Name: 'ServiceName', Value: 'jobs-green' }] },
        'Sum',
      ],
      ['newer_errors', { Namespace: 'Jobs', MetricName: 'JobsFailed', Dimensions: [{ Name: 'ServiceName', Value: 'jobs-green' }] }, 'Sum'],
      [
        'newer_latency',
        { Namespace: 'Jobs', MetricName: 'JobDuration', Dimensions: [{ Name: 'ServiceName', Value: 'jobs-green' }] },
        'p90',
      ],
      [
        'older_requests',
        { Namespace: 'Jobs', MetricName: 'JobsProcessed', Dimensions: [{ Name: 'ServiceName', Value: 'jobs-blue' }] },
        'Sum',
      ],
      ['older_errors', { Namespace: 'Jobs', MetricName: 'JobsFailed', Dimensions: [{ Name: 'ServiceName', Value: 'jobs-blue' }] }, 'Sum'],
      ['older_latency', { Namespace: 'Jobs', MetricName: 'JobDuration', Dimensions: [{ Name: 'ServiceName', Value: 'jobs-blue' }] }, 'p90'],
    ]);
  });
});
