/** `baton approve` and `baton reject`: the task token sent back, and the conflicts when nothing waits or the window closed. */
import { SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  baton,
  DEPLOYMENT_ID,
  dynamoMock,
  givenLock,
  givenRecord,
  LOCK,
  LOCK_KEY,
  RECORD_KEY,
  resetMocks,
  sfnMock,
  TABLE,
  USER,
  WAITING_RECORD,
} from '../../support/cli-clients.ts';

beforeEach(resetMocks);

describe('baton approve and reject', () => {
  it('reads the lock, then the record, and sends the task token back with who approved', async () => {
    // Arrange
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    sfnMock.on(SendTaskSuccessCommand).resolves({});

    // Act
    const result = await baton('approve', 'web', '--reason', 'smoke tests green');

    // Assert
    expect(result.code).toBe(0);
    expect(dynamoMock).toHaveReceivedCommandTimes(GetCommand, 2);
    expect(dynamoMock).toHaveReceivedNthCommandWith(GetCommand, 1, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true });
    expect(dynamoMock).toHaveReceivedNthCommandWith(GetCommand, 2, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    const input = sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(input?.taskToken).toBe(WAITING_RECORD.approvalToken);
    expect(JSON.parse(input?.output ?? '')).toEqual({
      approvedBy: USER,
      approvedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      reason: 'smoke tests green',
    });
    expect(result.out).toBe(`Approved ${DEPLOYMENT_ID}: traffic starts moving. Follow it with: baton watch web\n`);
  });

  it('rejects with ApprovalRejected and a cause naming the operator and the reason', async () => {
    // Arrange
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    sfnMock.on(SendTaskFailureCommand).resolves({});

    // Act
    const result = await baton('reject', 'web', '--reason', 'x');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: WAITING_RECORD.approvalToken,
      error: 'ApprovalRejected',
      cause: `rejected by ${USER}: x`,
    });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({
      taskToken: WAITING_RECORD.approvalToken,
      error: 'ApprovalRejected',
      cause: `rejected by ${USER}: x`,
    });
    expect(result.out).toBe(`Rejected ${DEPLOYMENT_ID}; it rolls back. Follow it with: baton watch web\n`);
  });

  it('exits 4 when the approval window closed before the answer (TaskTimedOut)', async () => {
    // Arrange
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    // Act
    const result = await baton('approve', 'web');

    // Assert
    expect(result.code).toBe(4);
    expect(result.out).toBe('');
    expect(result.err).toBe(`baton: the approval of ${DEPLOYMENT_ID} was already answered or timed out\n`);
  });

  it('exits 4 without sending anything when the running deployment is not waiting for approval', async () => {
    // Arrange
    givenLock(LOCK);
    const { approvalToken: _token, ...running } = WAITING_RECORD;
    givenRecord({ ...running, awaitingApproval: false });

    // Act
    const result = await baton('approve', 'web');

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(
      `baton: nothing of web is waiting for approval (deployment ${DEPLOYMENT_ID} is running; see "baton watch web")\n`,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});
