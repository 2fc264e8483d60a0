import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/check-bake/index.ts';
import { GateFailedError } from '../../../lambdas/shared/errors.ts';
import { allowLeaseRenewals, failure, rejectByDefault, targets } from '../../support/aws.ts';
import { arrangeFiringAlarm, arrangePassingGates } from '../../support/gates.ts';
import { isoAfter, NOW, service, stateAfter, withScaleDownDelay } from '../../support/state.ts';

describe('check bake', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const cloudwatchMock = mockClient(CloudWatchClient);
  // The phase tracking of definePhase writes to the record: no DynamoDB call leaves the test.
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const mocks = { ecs: ecsMock, elb: elbMock, cloudwatch: cloudwatchMock };

  beforeEach(() => {
    // Arrange (shared): gates pass; the bake of 300 s started at NOW.
    vi.useFakeTimers({ toFake: ['Date'] });
    rejectByDefault(ecsMock, elbMock, cloudwatchMock, dynamoMock);
    allowLeaseRenewals(dynamoMock);
    arrangePassingGates(mocks);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks for another 30 second wait while the bake is not over', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 60)));

    // Act
    const state = await handler(stateAfter('shift'));

    // Assert
    expect({ bake: state.bake, wait: state.wait }).toEqual({ bake: { until: isoAfter(NOW, 300), complete: false }, wait: { seconds: 30 } });
  });

  it('waits only the seconds left when the bake ends before the next poll', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 290)));

    // Act
    const state = await handler(stateAfter('shift'));

    // Assert
    expect(state.wait).toEqual({ seconds: 10 });
  });

  it('completes the bake and starts the scale-down delay, watched every gate interval, once the bake time is over', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 300)));

    // Act
    const state = await handler(stateAfter('shift'));

    // Assert
    expect({ bake: state.bake, retire: state.retire, wait: state.wait }).toEqual({
      bake: { until: isoAfter(NOW, 300), complete: true },
      retire: { at: isoAfter(NOW, 600), due: false },
      wait: { seconds: 30 },
    });
  });

  it('keeps checking the gates every 30 s during the scale-down delay', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 420)));

    // Act
    const state = await handler(withScaleDownDelay(stateAfter('shift')));

    // Assert
    expect({ retire: state.retire, wait: state.wait }).toEqual({ retire: { at: isoAfter(NOW, 600), due: false }, wait: { seconds: 30 } });
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1);
  });

  it('is due to retire the old colour once the scale-down delay is over and the gates pass', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 600)));

    // Act
    const state = await handler(withScaleDownDelay(stateAfter('shift')));

    // Assert
    expect(state.retire).toEqual({ at: isoAfter(NOW, 600), due: true });
  });

  it('fails with GateFailedError, the old colour still running, when the new colour turns unhealthy during the scale-down delay', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 360)));
    elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: service().green.targetGroupArn }).resolves(targets(0));

    // Act
    const error = await failure(handler(withScaleDownDelay(stateAfter('shift'))));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toBe(
      'gate failed before retiring blue (green at 100 %): target group targetgroup/web-green/8e4b6b8b3c5d2a10 has 0/3 healthy targets. blue still runs.',
    );
  });

  it('fails with GateFailedError when an alarm fires during the bake', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 120)));
    arrangeFiringAlarm(mocks, 'web-5xx-rate');

    // Act
    const error = await failure(handler(stateAfter('shift')));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toContain('gate failed during the bake of green at 100 %: alarm web-5xx-rate is ALARM (Threshold Crossed');
  });
});
