import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TerminalStatus } from '../../../../../lambdas/shared/contract.ts';
import {
  acquireLock,
  LEASE_SECONDS,
  type LockItem,
  reclaimLock,
  renewLease,
  transferLock,
} from '../../../../../lambdas/shared/lock/table.ts';
import { type DeploymentRecord, finishRecord } from '../../../../../lambdas/shared/records/deployment.ts';
import { conditionFailed, failure, rejectByDefault } from '../../../../support/aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NEW_TAG, NOW, STARTED_AT } from '../../../../support/state.ts';

const TABLE = 'baton-test-deployments';
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
const RECOVERY_ARN = EXECUTION_ARN.replace(DEPLOYMENT_ID, 'web-recover-20250304-100500-2d4f');

function accessDenied(): Error {
  return Object.assign(new Error('not authorized to perform: dynamodb:UpdateItem'), { name: 'AccessDeniedException' });
}

describe('the lock lease', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(dynamoMock);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('lasts 900 seconds without renewal', () => {
    // Arrange: nothing to arrange; the constant is the contract.

    // Act
    const seconds = LEASE_SECONDS;

    // Assert
    expect(seconds).toBe(900);
  });

  describe('renewLease', () => {
    it('extends the lease by the given seconds from now, naming the phase, only while this deployment holds the lock', async () => {
      // Arrange
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});

      // Act
      const renewed = await renewLease('web', { deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN }, 915, 'checkStability');

      // Assert
      expect(renewed).toBe(true);
      expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
        TableName: TABLE,
        Key: LOCK_KEY,
        UpdateExpression: 'SET leaseExpiresAt = :until, renewedAt = :now, renewedBy = :phase',
        ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
        ExpressionAttributeValues: {
          ':until': nowSeconds + 915,
          ':now': NOW,
          ':phase': 'checkStability',
          ':me': DEPLOYMENT_ID,
          ':execution': EXECUTION_ARN,
        },
      });
    });

    it('returns false when another deployment holds the lock (or nobody does)', async () => {
      // Arrange
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed());

      // Act
      const renewed = await renewLease('web', { deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN }, LEASE_SECONDS, 'deploy');

      // Assert
      expect(renewed).toBe(false);
    });

    it('throws any other DynamoDB error', async () => {
      // Arrange
      const denied = accessDenied();
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(denied);

      // Act
      const error = await failure(renewLease('web', { deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN }, LEASE_SECONDS, 'deploy'));

      // Assert
      expect(error).toBe(denied);
    });
  });

  describe('transferLock', () => {
    it('points the lock at the recovery execution with a fresh lease, only while the deployment holds the lock', async () => {
      // Arrange
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});

      // Act
      const transferred = await transferLock('web', DEPLOYMENT_ID, RECOVERY_ARN);

      // Assert
      expect(transferred).toBe(true);
      expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
        TableName: TABLE,
        Key: LOCK_KEY,
        UpdateExpression: 'SET executionArn = :arn, leaseExpiresAt = :until',
        ConditionExpression: 'deploymentId = :me',
        ExpressionAttributeValues: { ':arn': RECOVERY_ARN, ':until': nowSeconds + 900, ':me': DEPLOYMENT_ID },
      });
    });

    it('returns false when the deployment no longer holds the lock', async () => {
      // Arrange
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed());

      // Act
      const transferred = await transferLock('web', DEPLOYMENT_ID, RECOVERY_ARN);

      // Assert
      expect(transferred).toBe(false);
    });

    it('throws any other DynamoDB error', async () => {
      // Arrange
      const denied = accessDenied();
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(denied);

      // Act
      const error = await failure(transferLock('web', DEPLOYMENT_ID, RECOVERY_ARN));

      // Assert
      expect(error).toBe(denied);
    });
  });

  describe('reclaimLock', () => {
    const holder: LockItem = {
      ...LOCK_KEY,
      service: 'web',
      deploymentId: 'web-20250304-090000-5e6f',
      executionArn: `${EXECUTION_ARN}-dead`,
      imageRef: 'tag:v1.4.1',
      acquiredAt: '2025-03-04T09:00:00.000Z',
      leaseExpiresAt: nowSeconds + 300,
    };
    const lock = {
      service: 'web',
      deploymentId: DEPLOYMENT_ID,
      executionArn: EXECUTION_ARN,
      imageRef: `tag:${NEW_TAG}`,
      acquiredAt: STARTED_AT,
      leaseExpiresAt: nowSeconds + 900,
    };

    it('puts the new lock naming whom it was reclaimed from, only if the lock item is still exactly the one inspected', async () => {
      // Arrange
      dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY }).resolves({});

      // Act
      const reclaimed = await reclaimLock(lock, holder);

      // Assert
      expect(reclaimed).toBe(true);
      expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
        TableName: TABLE,
        Item: { ...LOCK_KEY, ...lock, reclaimedFrom: 'web-20250304-090000-5e6f' },
        ConditionExpression: 'deploymentId = :holder AND executionArn = :holderExecution AND leaseExpiresAt = :holderLease',
        ExpressionAttributeValues: {
          ':holder': 'web-20250304-090000-5e6f',
          ':holderExecution': `${EXECUTION_ARN}-dead`,
          ':holderLease': holder.leaseExpiresAt,
        },
      });
    });

    it('returns false when the lock changed hands in the meantime', async () => {
      // Arrange
      dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY }).rejects(conditionFailed());

      // Act
      const reclaimed = await reclaimLock(lock, holder);

      // Assert
      expect(reclaimed).toBe(false);
    });

    it('throws any other DynamoDB error', async () => {
      // Arrange
      const denied = accessDenied();
      dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY }).rejects(denied);

      // Act
      const error = await failure(reclaimLock(lock, holder));

      // Assert
      expect(error).toBe(denied);
    });
  });
});

describe('acquireLock', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const lock = {
    service: 'web',
    deploymentId: DEPLOYMENT_ID,
    executionArn: EXECUTION_ARN,
    imageRef: `tag:${NEW_TAG}`,
    acquiredAt: STARTED_AT,
    leaseExpiresAt: nowSeconds + 900,
  };

  beforeEach(() => {
    rejectByDefault(dynamoMock);
  });

  it('puts the lock only if nobody or this deployment holds it, whatever the lease of a holder', async () => {
    // Arrange
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY }).resolves({});

    // Act
    const result = await acquireLock(lock);

    // Assert
    expect(result).toEqual({ acquired: true });
    expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: TABLE,
      Item: { ...LOCK_KEY, ...lock },
      ConditionExpression: 'attribute_not_exists(pk) OR deploymentId = :me AND executionArn = :execution',
      ExpressionAttributeValues: { ':me': DEPLOYMENT_ID, ':execution': lock.executionArn },
    });
    expect(dynamoMock).not.toHaveReceivedCommand(GetCommand);
  });

  it('returns the holder, read consistently, when another deployment holds the lock', async () => {
    // Arrange
    const holder: LockItem = { ...LOCK_KEY, ...lock, deploymentId: 'web-20250304-090000-5e6f', leaseExpiresAt: nowSeconds - 60 };
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY }).rejects(conditionFailed());
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true }).resolves({ Item: holder });

    // Act
    const result = await acquireLock(lock);

    // Assert
    expect(result).toEqual({ acquired: false, holder });
  });

  it('returns no holder when the lock is gone by the time it is read', async () => {
    // Arrange
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY }).rejects(conditionFailed());
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true }).resolves({});

    // Act
    const result = await acquireLock(lock);

    // Assert
    expect(result).toEqual({ acquired: false, holder: undefined });
  });

  it('throws any other DynamoDB error', async () => {
    // Arrange
    const denied = accessDenied();
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY }).rejects(denied);

    // Act
    const error = await failure(acquireLock(lock));

    // Assert
    expect(error).toBe(denied);
    expect(dynamoMock).not.toHaveReceivedCommand(GetCommand);
  });
});

describe('finishRecord', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
  const base: DeploymentRecord = {
    deploymentId: DEPLOYMENT_ID,
    service: 'web',
    status: 'IN_PROGRESS',
    executionArn: EXECUTION_ARN,
    startedAt: STARTED_AT,
    trigger: 'cli',
    imageTag: NEW_TAG,
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(dynamoMock);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function sentUpdate() {
    const [update, ...more] = dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(more).toEqual([]);
    return update;
  }

  it('lets ROLLED_BACK replace ROLLBACK_FAILED: a later rollback (a retry, a redrive) got traffic back', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({ Attributes: { ...RECORD_KEY, status: 'ROLLED_BACK' } });

    // Act
    await finishRecord(base, { status: 'ROLLED_BACK', outcomeReason: 'GateFailedError: alarm web-5xx-rate is ALARM' });

    // Assert
    const update = sentUpdate();
    expect(update?.ConditionExpression).toBe(
      'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running OR #f_owner = :owner AND #f_started = :started AND #f_status = :rollbackFailed',
    );
    expect(update?.ExpressionAttributeNames).toMatchObject({
      '#f_status': 'status',
      '#f_owner': 'executionArn',
      '#f_started': 'startedAt',
    });
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':owner': base.executionArn,
      ':started': base.startedAt,
      ':running': 'IN_PROGRESS',
      ':rollbackFailed': 'ROLLBACK_FAILED',
    });
  });

  it.each<TerminalStatus>(['SUCCEEDED', 'ROLLBACK_FAILED', 'REJECTED', 'DUPLICATE', 'SUPERSEDED'])(
    'ends the record as %s only while it is still running',
    async (status) => {
      // Arrange
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({ Attributes: { ...RECORD_KEY, status } });

      // Act
      await finishRecord(base, { status, outcomeReason: 'r' });

      // Assert
      const update = sentUpdate();
      // Only the execution that wrote the record (its ARN and its start: a reused name has the same ARN) ends it.
      expect(update?.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      );
      expect(update?.ExpressionAttributeValues).toMatchObject({
        ':owner': base.executionArn,
        ':started': base.startedAt,
        ':running': 'IN_PROGRESS',
      });
      expect(update?.ExpressionAttributeValues).not.toHaveProperty(':rollbackFailed');
    },
  );

  it('returns the whole record when this call ended it', async () => {
    // Arrange
    const ended = { ...RECORD_KEY, ...base, status: 'ROLLED_BACK', endedAt: NOW };
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({ Attributes: ended });

    // Act
    const record = await finishRecord(base, { status: 'ROLLED_BACK', outcomeReason: 'r' });

    // Assert
    expect(record).toEqual(ended);
  });

  it('returns undefined when the record had already ended', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).rejects(conditionFailed());

    // Act
    const record = await finishRecord(base, { status: 'ROLLED_BACK', outcomeReason: 'r' });

    // Assert
    expect(record).toBeUndefined();
  });
});
