/**
 * `baton approve` and `baton reject`: the task token sent back with the
 * caller's AWS identity, the requester refused as approver, and the conflicts
 * when nothing waits or the window closed.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { releaseFiles, runCli } from '../../support/cli.ts';
import {
  baton,
  DEPLOYMENT_ID,
  dynamoMock,
  givenCaller,
  givenLock,
  givenRecord,
  LOCK,
  LOCK_KEY,
  OPERATOR,
  OPERATOR_ARN,
  RECORD_KEY,
  REQUESTER,
  REQUESTER_ARN,
  resetMocks,
  sfnMock,
  stsMock,
  TABLE,
  WAITING_RECORD,
} from '../../support/cli-clients.ts';
import { rawExampleConfig } from '../../support/config.ts';

beforeEach(resetMocks);

const files = releaseFiles('baton-approval-');

/** The example config with web's allowSelfApproval on, written to a file. */
function selfApprovalConfig(): string {
  const raw = rawExampleConfig();
  const services = (raw.services as Array<Record<string, unknown>>).map((service) =>
    service.name === 'web' ? { ...service, allowSelfApproval: true } : service,
  );
  return files.write({ ...raw, services }, 'baton.config.json');
}

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
      approvedBy: OPERATOR_ARN,
      approvedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      reason: 'smoke tests green',
    });
    expect(result.out).toBe(`Approved ${DEPLOYMENT_ID} as ${OPERATOR}: traffic starts moving. Follow it with: baton watch web\n`);
  });

  it('exits 4 without sending anything when the requester approves their own deployment, naming both and who must act', async () => {
    // Arrange: bob requested it and runs baton approve.
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    givenCaller(REQUESTER_ARN);

    // Act
    const result = await baton('approve', 'web');

    // Assert
    expect(result.code).toBe(4);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `baton: ${DEPLOYMENT_ID} was requested by ${REQUESTER}, and you are ${REQUESTER}: the approver must be someone else.\n` +
        'Ask another operator to run "baton approve web", or reject it yourself: baton reject web --reason <why>\n',
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
    expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('refuses the requester under another session ARN of the same role and session name (any case)', async () => {
    // Arrange: the record names bob's session in another account's spelling; bob approves as DEPLOYER/Bob.
    givenLock(LOCK);
    givenRecord({ ...WAITING_RECORD, requestedBy: 'Deployer/bob' });
    givenCaller('arn:aws:sts::123456789012:assumed-role/DEPLOYER/Bob');

    // Act
    const result = await baton('approve', 'web');

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toMatch(
      /^baton: \S+ was requested by Deployer\/bob, and you are DEPLOYER\/Bob: the approver must be someone else\./,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('lets the requester approve when the service allows self-approval', async () => {
    // Arrange
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    givenCaller(REQUESTER_ARN);
    sfnMock.on(SendTaskSuccessCommand).resolves({});

    // Act
    const result = await runCli(selfApprovalConfig(), ['approve', 'web']);

    // Assert
    expect(result.code).toBe(0);
    const input = sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(JSON.parse(input?.output ?? '')).toMatchObject({ approvedBy: REQUESTER_ARN });
    expect(result.out).toBe(`Approved ${DEPLOYMENT_ID} as ${REQUESTER}: traffic starts moving. Follow it with: baton watch web\n`);
  });

  it('lets the requester reject their own deployment', async () => {
    // Arrange
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    givenCaller(REQUESTER_ARN);
    sfnMock.on(SendTaskFailureCommand).resolves({});

    // Act
    const result = await baton('reject', 'web', '--reason', 'wrong image');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskFailureCommand, { cause: `rejected by ${REQUESTER}: wrong image` });
  });

  it('exits 2 before asking STS when --reason is not one line of printable text the state machine would accept', async () => {
    // Act
    const result = await baton('approve', 'web', '--reason', 'ok\nSTATUS: SUCCEEDED');

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^baton: --reason: control character U\+000A at character 3; /);
    expect(stsMock).not.toHaveReceivedAnyCommand();
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 5 naming the AWS error when STS cannot tell who runs baton, and sends nothing', async () => {
    // Arrange
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    stsMock
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken', $metadata: {} }));

    // Act
    const result = await baton('approve', 'web');

    // Assert
    expect(result.code).toBe(5);
    expect(result.err).toMatch(/^baton: ExpiredToken: The security token included in the request is expired\n/);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
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
      cause: `rejected by ${OPERATOR}: x`,
    });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({
      taskToken: WAITING_RECORD.approvalToken,
      error: 'ApprovalRejected',
      cause: `rejected by ${OPERATOR}: x`,
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
