import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeReplicationGroupsCommand, ReplicationGroupNotFoundFault } from '@aws-sdk/client-elasticache';
import { beforeEach, describe, expect, it } from 'vitest';
import { AlarmFiringError, CacheNotReadyError, CacheNotServingError, ResourceMissingError } from '../../../../lambdas/shared/errors.ts';
import { handler } from '../../../../lambdas/validate/index.ts';
import { alarms, failure } from '../../../support/aws.ts';
import { initialState, NEW_DIGEST } from '../../../support/state.ts';
import { arrangeEveryCheckPasses, cacheId, cacheMock, cloudwatchMock, web } from '../../../support/validate.ts';

describe('validate: cache and alarms', () => {
  beforeEach(() => {
    // Arrange (shared): an account in which every check passes.
    arrangeEveryCheckPasses();
  });

  it('fails with CacheNotReadyError, which the state machine retries, while the replication group is modifying', async () => {
    // Arrange
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheId })
      .resolves({ ReplicationGroups: [{ ReplicationGroupId: cacheId, Status: 'modifying' }] });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(CacheNotReadyError);
    expect(error.message).toBe(
      'ElastiCache replication group web-cache is "modifying", not yet available (the deployment waits up to pipeline.cacheWaitSeconds for it)',
    );
  });

  it('fails with CacheNotServingError when the replication group is being deleted', async () => {
    // Arrange
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheId })
      .resolves({ ReplicationGroups: [{ ReplicationGroupId: cacheId, Status: 'deleting' }] });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(CacheNotServingError);
    expect(error.message).toBe('ElastiCache replication group web-cache is "deleting", not available');
  });

  it('fails with CacheNotServingError when the replication group does not exist', async () => {
    // Arrange
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheId })
      .rejects(new ReplicationGroupNotFoundFault({ message: 'ReplicationGroup web-cache not found.', $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(CacheNotServingError);
    expect(error.message).toBe('ElastiCache replication group web-cache not found');
  });

  it('passes while the replication group is snapshotting', async () => {
    // Arrange
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheId })
      .resolves({ ReplicationGroups: [{ ReplicationGroupId: cacheId, Status: 'snapshotting' }] });

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image?.digest).toBe(NEW_DIGEST);
  });

  it('fails with AlarmFiringError naming the alarm already in ALARM', async () => {
    // Arrange
    cloudwatchMock.on(DescribeAlarmsCommand, { AlarmNames: web.alarms }).resolves(alarms(web.alarms, { 'web-p99-latency': 'ALARM' }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(AlarmFiringError);
    expect(error.message).toContain('alarm(s) already firing before any change: web-p99-latency is ALARM (Threshold Crossed');
  });

  it('fails with ResourceMissingError when a configured alarm does not exist', async () => {
    // Arrange
    cloudwatchMock.on(DescribeAlarmsCommand, { AlarmNames: web.alarms }).resolves(alarms(['web-5xx-rate']));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe('CloudWatch alarm(s) not found: web-p99-latency');
  });
});
