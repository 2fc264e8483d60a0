import { DescribeExecutionCommand, ExecutionDoesNotExist, type ExecutionStatus, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LockItem } from '../../../../../lambdas/shared/lock/table.ts';
import { inspectHolder } from '../../../../../lambdas/shared/lock/takeover.ts';
import { failure, rejectByDefault } from '../../../../support/aws.ts';
import { recordItem } from '../../../../support/items.ts';
import { EXECUTION_ARN, NOW } from '../../../../support/state.ts';

const TABLE = 'baton-test-deployments';
const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
const HOLDER_ID = 'web-20250304-093000-0b1d';
const HOLDER_ARN = EXECUTION_ARN.replace(/:[^:]+$/, `:${HOLDER_ID}`);
const HOLDER_RECORD_KEY = { pk: `DEPLOYMENT#${HOLDER_ID}`, sk: 'RECORD' };
const BACKSTOP = 'the backstop closes that record (a recovery execution rolls it back if it has to) and frees the lock';

function holder(fields: Partial<LockItem> = {}): LockItem & { pk: string; sk: string } {
  return {
    pk: 'LOCK#web',
    sk: 'LOCK',
    service: 'web',
    deploymentId: HOLDER_ID,
    executionArn: HOLDER_ARN,
    imageRef: 'tag:v1.4.1',
    acquiredAt: '2025-03-04T09:30:00.000Z',
    leaseExpiresAt: nowSeconds + 600,
    ...fields,
  };
}

describe('inspectHolder', () => {
  const sfnMock = mockClient(SFNClient);
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  function givenExecution(status: ExecutionStatus) {
    sfnMock.on(DescribeExecutionCommand, { executionArn: HOLDER_ARN }).resolves({
      executionArn: HOLDER_ARN,
      stateMachineArn: HOLDER_ARN.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
      status,
      startDate: new Date('2025-03-04T09:30:00.000Z'),
    });
  }

  function givenRecord(status: string | undefined) {
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: HOLDER_RECORD_KEY, ConsistentRead: true })
      .resolves(
        status ? { Item: { ...HOLDER_RECORD_KEY, ...recordItem({ deploymentId: HOLDER_ID, executionArn: HOLDER_ARN, status }) } } : {},
      );
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(sfnMock, dynamoMock);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it.each<ExecutionStatus>(['RUNNING', 'PENDING_REDRIVE'])(
    'keeps a holder whose lease expired but whose execution is %s, saying it may be stuck',
    async (status) => {
      // Arrange
      givenExecution(status);

      // Act
      const verdict = await inspectHolder(holder({ leaseExpiresAt: nowSeconds - 60 }));

      // Assert
      expect(verdict).toEqual({
        reclaimable: false,
        why: `its lease expired at 2025-03-04T09:59:00.000Z but its execution is still ${status}; stop it with "baton abort" if it is stuck`,
      });
      expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: HOLDER_ARN });
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    },
  );

  it('judges a holder whose lease expired and whose execution ended by its record, not by its lease', async () => {
    // Arrange
    givenExecution('FAILED');
    givenRecord('IN_PROGRESS');

    // Act
    const verdict = await inspectHolder(holder({ leaseExpiresAt: nowSeconds - 60 }));

    // Assert
    expect(verdict).toEqual({
      reclaimable: false,
      why: `its execution ended FAILED with its record still IN_PROGRESS; ${BACKSTOP}`,
    });
  });

  it('keeps a holder whose execution reports no status, without reading its record', async () => {
    // Arrange: a closed record must not free the lock of an execution that may still run.
    sfnMock.on(DescribeExecutionCommand, { executionArn: HOLDER_ARN }).resolves({ executionArn: HOLDER_ARN });
    givenRecord('SUCCEEDED');

    // Act
    const verdict = await inspectHolder(holder());

    // Assert
    expect(verdict).toEqual({ reclaimable: false, why: undefined });
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('asks Step Functions about a lease that ends this very second', async () => {
    // Arrange
    givenExecution('RUNNING');

    // Act
    const verdict = await inspectHolder(holder({ leaseExpiresAt: nowSeconds }));

    // Assert
    expect(verdict).toEqual({ reclaimable: false, why: undefined });
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: HOLDER_ARN });
  });

  it.each<ExecutionStatus>(['RUNNING', 'PENDING_REDRIVE'])(
    'finds a holder whose execution is %s not reclaimable, with no reason to give, without reading its record',
    async (status) => {
      // Arrange
      givenExecution(status);

      // Act
      const verdict = await inspectHolder(holder());

      // Assert
      expect(verdict).toEqual({ reclaimable: false, why: undefined });
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    },
  );

  it.each<ExecutionStatus>(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'])(
    'finds a holder whose execution ended %s and that never wrote a record reclaimable',
    async (status) => {
      // Arrange
      givenExecution(status);
      givenRecord(undefined);

      // Act
      const verdict = await inspectHolder(holder());

      // Assert
      expect(verdict).toEqual({ reclaimable: true, why: `its execution ended ${status} and it never wrote a record` });
      expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(GetCommand, {
        TableName: TABLE,
        Key: HOLDER_RECORD_KEY,
        ConsistentRead: true,
      });
    },
  );

  it('keeps the lock of a holder whose rollback failed (ROLLBACK_FAILED) for an operator, even after its execution ended', async () => {
    // Arrange
    givenExecution('TIMED_OUT');
    givenRecord('ROLLBACK_FAILED');

    // Act
    const verdict = await inspectHolder(holder());

    // Assert
    expect(verdict).toEqual({
      reclaimable: false,
      rollbackFailed: true,
      why: 'its execution ended TIMED_OUT and its rollback failed (ROLLBACK_FAILED); production needs a human: check the listener weights, then release the lock with "baton unlock web --reason <what was done>"',
    });
  });

  it.each(['SUCCEEDED', 'ROLLED_BACK', 'REJECTED', 'DUPLICATE', 'SUPERSEDED'])(
    'finds a holder whose execution ended and whose record is %s reclaimable',
    async (recordStatus) => {
      // Arrange
      givenExecution('ABORTED');
      givenRecord(recordStatus);

      // Act
      const verdict = await inspectHolder(holder());

      // Assert
      expect(verdict).toEqual({ reclaimable: true, why: `its execution ended ABORTED and its record is ${recordStatus}` });
    },
  );

  it('leaves a holder whose execution ended with its record still IN_PROGRESS to the backstop', async () => {
    // Arrange
    givenExecution('TIMED_OUT');
    givenRecord('IN_PROGRESS');

    // Act
    const verdict = await inspectHolder(holder());

    // Assert
    expect(verdict).toEqual({
      reclaimable: false,
      why: `its execution ended TIMED_OUT with its record still IN_PROGRESS; ${BACKSTOP}`,
    });
  });

  it('finds a holder whose execution no longer exists and whose record is terminal reclaimable', async () => {
    // Arrange
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: HOLDER_ARN })
      .rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${HOLDER_ARN}'`, $metadata: {} }));
    givenRecord('ROLLED_BACK');

    // Act
    const verdict = await inspectHolder(holder());

    // Assert
    expect(verdict).toEqual({ reclaimable: true, why: 'its execution no longer exists and its record is ROLLED_BACK' });
  });

  it('finds a holder whose execution no longer exists and that has no record reclaimable', async () => {
    // Arrange
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: HOLDER_ARN })
      .rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${HOLDER_ARN}'`, $metadata: {} }));
    givenRecord(undefined);

    // Act
    const verdict = await inspectHolder(holder());

    // Assert
    expect(verdict).toEqual({ reclaimable: true, why: 'its execution no longer exists and it never wrote a record' });
  });

  it('leaves a holder whose execution no longer exists but whose record is open to the backstop', async () => {
    // Arrange
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: HOLDER_ARN })
      .rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${HOLDER_ARN}'`, $metadata: {} }));
    givenRecord('IN_PROGRESS');

    // Act
    const verdict = await inspectHolder(holder());

    // Assert
    expect(verdict).toEqual({
      reclaimable: false,
      why: `its execution no longer exists with its record still IN_PROGRESS; ${BACKSTOP}`,
    });
  });

  it('throws any other Step Functions error and reads no record', async () => {
    // Arrange
    const denied = Object.assign(new Error('not authorized to perform: states:DescribeExecution'), { name: 'AccessDeniedException' });
    sfnMock.on(DescribeExecutionCommand, { executionArn: HOLDER_ARN }).rejects(denied);

    // Act
    const error = await failure(inspectHolder(holder()));

    // Assert
    expect(error).toBe(denied);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });
});
