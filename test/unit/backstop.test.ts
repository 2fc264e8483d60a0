import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler, MAX_RECOVERY_ATTEMPTS, recoveryExecutionName } from '../../lambdas/backstop/index.ts';
import { ContractViolationError } from '../../lambdas/shared/errors.ts';
import { failure, isPhaseBookkeeping, rejectByDefault, updatedFields } from '../fixtures/aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN } from '../fixtures/state.ts';

const TABLE = 'baton-test-deployments';
const STATE_MACHINE_ARN = EXECUTION_ARN.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };

function statusChange(name: string, status: string, input: unknown, error = 'States.Runtime') {
  return {
    version: '0',
    id: 'event-1',
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    account: '123456789012',
    region: 'eu-west-1',
    time: '2025-03-04T10:05:00Z',
    resources: [`${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`],
    detail: {
      executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`,
      stateMachineArn: STATE_MACHINE_ARN,
      name,
      status,
      error,
      cause: 'boom',
      input: JSON.stringify(input),
      startDate: Date.parse('2025-03-04T10:00:00Z'),
    },
  };
}

describe('backstop', () => {
  const sfnMock = mockClient(SFNClient);
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  function givenRecord(status: string | undefined) {
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true }).resolves(
      status
        ? {
            Item: {
              ...RECORD_KEY,
              deploymentId: DEPLOYMENT_ID,
              service: 'web',
              status,
              startedAt: '2025-03-04T10:00:00.000Z',
              executionArn: EXECUTION_ARN,
              trigger: 'cli',
            },
          }
        : {},
    );
  }

  function finishes() {
    dynamoMock
      .on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY })
      .callsFake((input: { ExpressionAttributeValues?: Record<string, unknown> }) => ({
        Attributes: {
          ...RECORD_KEY,
          deploymentId: DEPLOYMENT_ID,
          service: 'web',
          startedAt: '2025-03-04T10:00:00.000Z',
          executionArn: EXECUTION_ARN,
          status: Object.values(input.ExpressionAttributeValues ?? {}).find((v) => v === 'REJECTED' || v === 'ROLLBACK_FAILED'),
        },
      }));
  }

  function recordWrites() {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => !isPhaseBookkeeping(input));
  }

  beforeEach(() => {
    rejectByDefault(sfnMock, dynamoMock);
  });

  it.each(['SUCCEEDED', 'RUNNING'])('leaves an execution that ended %s alone, calling nothing', async (status) => {
    // Act
    const result = await handler(statusChange(DEPLOYMENT_ID, status, { service: 'web' }));

    // Assert
    expect(result).toEqual({ action: 'none', reason: `status ${status} needs no backstop` });
    expect(sfnMock).not.toHaveReceivedAnyCommand();
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('refuses an event that is not an execution status change with ContractViolationError', async () => {
    // Act
    const error = await failure(handler({ source: 'aws.ecr', 'detail-type': 'ECR Image Action', detail: {} }));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
  });

  it('gives an execution stopped before it wrote a record a REJECTED record saying nothing changed', async () => {
    // Arrange
    givenRecord(undefined);
    finishes();

    // Act
    const result = await handler(statusChange(DEPLOYMENT_ID, 'ABORTED', { service: 'web', imageTag: 'v1.4.2' }));

    // Assert
    expect(result).toEqual({ action: 'recorded', status: 'REJECTED' });
    const [write] = recordWrites();
    expect(updatedFields(write)).toMatchObject({
      status: 'REJECTED',
      service: 'web',
      trigger: 'unknown',
      outcomeReason: `ExecutionAborted: ${DEPLOYMENT_ID} ended ABORTED before it took the lock; nothing changed`,
    });
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['a dry run', { service: 'web', imageTag: 'v1.4.2', dryRun: true }],
    ['a recovery', { recover: DEPLOYMENT_ID }],
  ])('writes nothing for %s without a record', async (_what, input) => {
    // Arrange
    givenRecord(undefined);

    // Act
    const result = await handler(statusChange(DEPLOYMENT_ID, 'FAILED', input));

    // Assert
    expect(result).toEqual({ action: 'none', reason: `no deployment record ${DEPLOYMENT_ID} (a dry run or a recovery)` });
    expect(recordWrites()).toEqual([]);
  });

  it('does nothing for a deployment whose record already ended', async () => {
    // Arrange
    givenRecord('ROLLED_BACK');

    // Act
    const result = await handler(statusChange(DEPLOYMENT_ID, 'FAILED', { service: 'web' }));

    // Assert
    expect(result).toEqual({ action: 'none', reason: `deployment ${DEPLOYMENT_ID} already ended ROLLED_BACK` });
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('starts the first recovery execution for a stopped deployment whose record is still open', async () => {
    // Arrange
    givenRecord('IN_PROGRESS');
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });

    // Act
    const result = await handler(statusChange(DEPLOYMENT_ID, 'ABORTED', { service: 'web' }, 'States.Aborted'));

    // Assert
    expect(result).toEqual({ action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-1` });
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: `${DEPLOYMENT_ID}-recovery-1`,
      input: JSON.stringify({
        recover: DEPLOYMENT_ID,
        error: 'ExecutionAborted',
        cause: `execution ${DEPLOYMENT_ID} ended ABORTED (States.Aborted: boom)`,
      }),
    });
  });

  it('treats a recovery the event already started (ExecutionAlreadyExists) as started', async () => {
    // Arrange
    givenRecord('IN_PROGRESS');
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const result = await handler(statusChange(DEPLOYMENT_ID, 'TIMED_OUT', { service: 'web' }));

    // Assert
    expect(result).toEqual({ action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-1` });
  });

  it('starts the next recovery when a recovery execution failed', async () => {
    // Arrange
    givenRecord('IN_PROGRESS');
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });

    // Act
    const result = await handler(statusChange(`${DEPLOYMENT_ID}-recovery-2`, 'FAILED', { recover: DEPLOYMENT_ID }));

    // Assert
    expect(result).toEqual({ action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-3` });
  });

  it('records ROLLBACK_FAILED after the last recovery failed, and keeps the lock', async () => {
    // Arrange
    givenRecord('IN_PROGRESS');
    finishes();

    // Act
    const result = await handler(statusChange(`${DEPLOYMENT_ID}-recovery-${MAX_RECOVERY_ATTEMPTS}`, 'FAILED', { recover: DEPLOYMENT_ID }));

    // Assert
    expect(result).toEqual({ action: 'gave-up', attempts: 3 });
    const [write] = recordWrites();
    expect(String(updatedFields(write).outcomeReason)).toMatch(
      new RegExp(
        `^RecoveryFailed: 3 recovery executions did not finish the rollback; last: execution ${DEPLOYMENT_ID}-recovery-3 ended FAILED`,
      ),
    );
    expect(updatedFields(write).status).toBe('ROLLBACK_FAILED');
    expect(dynamoMock.commandCalls(UpdateCommand).some((call) => isPhaseBookkeeping(call.args[0].input))).toBe(false);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
    // No DeleteCommand: rejectByDefault would have made it throw, and only the record was written.
    expect(dynamoMock.calls().map((call) => call.args[0].constructor.name)).toEqual(['GetCommand', 'UpdateCommand']);
  });

  it('keeps a recovery execution name within the 80 characters Step Functions allows', () => {
    // Arrange
    const id = 'w'.repeat(78);

    // Act
    const name = recoveryExecutionName(id, 3);

    // Assert
    expect(name).toBe(`${'w'.repeat(69)}-recovery-3`);
    expect(name).toHaveLength(80);
  });
});
