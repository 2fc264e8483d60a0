import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/check-bake/index.ts';
import { GateFailedError } from '../../lambdas/shared/errors.ts';
import { allowLeaseRenewals, failure, rejectByDefault } from '../fixtures/aws.ts';
import { arrangeFiringAlarm, arrangePassingGates } from '../fixtures/gates.ts';
import { isoAfter, NOW, stateAfter } from '../fixtures/state.ts';

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

  it('completes the bake and waits the scale-down delay once the bake time is over', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 300)));

    // Act
    const state = await handler(stateAfter('shift'));

    // Assert
    expect({ bake: state.bake, wait: state.wait }).toEqual({ bake: { until: isoAfter(NOW, 300), complete: true }, wait: { seconds: 300 } });
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
