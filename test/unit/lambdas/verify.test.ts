import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CacheNotReadyError, VerificationFailedError } from '../../../lambdas/shared/errors.ts';
import { handler } from '../../../lambdas/verify/index.ts';
import { allowLeaseRenewals, ecsService, failure, rejectByDefault, targets } from '../../support/aws.ts';
import { arrangeFiringAlarm, arrangePassingGates } from '../../support/gates.ts';
import { IDLE_TASK_DEFINITION_ARN, LIVE_COUNT, RELEASE_TASK_DEFINITION_ARN, service, stateAfter } from '../../support/state.ts';

const web = service();

describe('verify', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const cloudwatchMock = mockClient(CloudWatchClient);
  const cacheMock = mockClient(ElastiCacheClient);
  // The phase tracking of definePhase writes to the record: no DynamoDB call leaves the test.
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const mocks = { ecs: ecsMock, elb: elbMock, cloudwatch: cloudwatchMock };

  function cacheStatus(status: string) {
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'web-cache' })
      .resolves({ ReplicationGroups: [{ ReplicationGroupId: 'web-cache', Status: status }] });
  }

  beforeEach(() => {
    // Arrange (shared): green runs the release, healthy, cache available, no alarm.
    rejectByDefault(ecsMock, elbMock, cloudwatchMock, cacheMock, dynamoMock);
    allowLeaseRenewals(dynamoMock);
    arrangePassingGates(mocks);
    cacheStatus('available');
  });

  it('starts the traffic plan at step 0 and weight 0 when every check passes', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    const state = await handler(stateAfter('stable'));

    // Assert
    expect(state.traffic).toEqual({ nextStep: 0, weight: 0, complete: false });
  });

  it('checks alarms, target health, the ECS service and the cache', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    await handler(stateAfter('stable'));

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: web.green.targetGroupArn });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] });
    expect(cacheMock).toHaveReceivedCommandWith(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'web-cache' });
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: web.alarms,
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
  });

  it('fails with VerificationFailedError naming the unhealthy target and its reason', async () => {
    // Arrange
    elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: web.green.targetGroupArn }).resolves(
      targets(2, [
        {
          id: '10.0.2.9',
          state: 'unhealthy',
          reason: 'Target.ResponseCodeMismatch',
          description: 'Health checks failed with these codes: [500]',
        },
      ]),
    );

    // Act
    const error = await failure(handler(stateAfter('stable')));

    // Assert
    expect(error).toBeInstanceOf(VerificationFailedError);
    expect(error.message).toBe(
      'green failed verification: target group targetgroup/web-green/8e4b6b8b3c5d2a10 has 2/3 healthy targets: 10.0.2.9:8080 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])',
    );
  });

  it('fails with VerificationFailedError when an alarm fires', async () => {
    // Arrange
    arrangeFiringAlarm(mocks, 'web-5xx-rate');

    // Act
    const error = await failure(handler(stateAfter('stable')));

    // Assert
    expect(error).toBeInstanceOf(VerificationFailedError);
    expect(error.message).toContain('alarm web-5xx-rate is ALARM (Threshold Crossed');
  });

  it('fails with VerificationFailedError when the cache is not serving', async () => {
    // Arrange
    cacheStatus('deleting');

    // Act
    const error = await failure(handler(stateAfter('stable')));

    // Assert
    expect(error).toBeInstanceOf(VerificationFailedError);
    expect(error.message).toBe('green failed verification: ElastiCache replication group web-cache is "deleting", not available');
  });

  it('fails with CacheNotReadyError, which the state machine retries, while the cache is modifying', async () => {
    // Arrange
    cacheStatus('modifying');

    // Act
    const error = await failure(handler(stateAfter('stable')));

    // Assert
    expect(error).toBeInstanceOf(CacheNotReadyError);
    expect(error.message).toBe(
      'ElastiCache replication group web-cache is "modifying", not yet available (the deployment waits up to pipeline.cacheWaitSeconds for it)',
    );
  });

  it('fails with VerificationFailedError when fewer tasks run than desired', async () => {
    // Arrange
    ecsMock
      .on(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] })
      .resolves(ecsService('web-green', { taskDefinition: RELEASE_TASK_DEFINITION_ARN, desiredCount: LIVE_COUNT, runningCount: 2 }));

    // Act
    const error = await failure(handler(stateAfter('stable')));

    // Assert
    expect(error).toBeInstanceOf(VerificationFailedError);
    expect(error.message).toBe('green failed verification: ECS service web-green runs 2/3 tasks');
  });

  it('fails with VerificationFailedError when the service no longer runs the release', async () => {
    // Arrange
    ecsMock
      .on(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] })
      .resolves(ecsService('web-green', { taskDefinition: IDLE_TASK_DEFINITION_ARN, desiredCount: LIVE_COUNT, runningCount: LIVE_COUNT }));

    // Act
    const error = await failure(handler(stateAfter('stable')));

    // Assert
    expect(error).toBeInstanceOf(VerificationFailedError);
    expect(error.message).toBe(`green failed verification: web-green runs ${IDLE_TASK_DEFINITION_ARN}, not ${RELEASE_TASK_DEFINITION_ARN}`);
  });
});
