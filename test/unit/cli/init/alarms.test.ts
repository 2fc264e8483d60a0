/** `baton init`'s alarms: those whose metric, or a metric of their math, has the TargetGroup of a colour; every page read. */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, expect, it } from 'vitest';
import type { SetupContext } from '../../../../cli/context.ts';
import { alarmsOn, targetGroupDimension } from '../../../../cli/init/alarms.ts';

const BLUE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09';
const cloudwatch = mockClient(CloudWatchClient);

afterEach(() => {
  cloudwatch.reset();
});

it('keeps the alarms on the target group, by dimension or in metric math, across pages', async () => {
  // Arrange
  const on = { Name: 'TargetGroup', Value: 'targetgroup/web-blue/6d0ecf831eec9f09' };
  cloudwatch
    .on(DescribeAlarmsCommand, { NextToken: undefined })
    .resolves({
      MetricAlarms: [
        { AlarmName: 'web-5xx', Dimensions: [on] },
        { AlarmName: 'api-5xx', Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/api-blue/1111111111111111' }] },
      ],
      NextToken: 'page-2',
    })
    .on(DescribeAlarmsCommand, { NextToken: 'page-2' })
    .resolves({
      MetricAlarms: [
        { AlarmName: 'web-error-ratio', Metrics: [{ Id: 'e', MetricStat: { Metric: { Dimensions: [on] }, Period: 60, Stat: 'Sum' } }] },
      ],
    });
  const ctx = { cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }) } as Pick<SetupContext, 'cloudwatch'> as SetupContext;

  // Act
  const names = await alarmsOn(ctx, [BLUE]);

  // Assert
  expect(targetGroupDimension(BLUE)).toBe('targetgroup/web-blue/6d0ecf831eec9f09');
  expect(names).toEqual(['web-5xx', 'web-error-ratio']);
});
