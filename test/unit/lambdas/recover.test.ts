import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/recover/index.ts';
import { resumePoint } from '../../../lambdas/shared/outcome.ts';
import { conditionFailed, failure, rejectByDefault } from '../../support/aws.ts';
import { rawExampleConfig } from '../../support/config.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NOW, STARTED_AT, stateAfter } from '../../support/state.ts';
import { spyOnLogger } from '../../support/telemetry.ts';

const TABLE = 'baton-test-deployments';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
/** The recovery execution the backstop started for DEPLOYMENT_ID. */
const RECOVERY_ID = 'web-recover-20250304-100000-2d4f';
const RECOVERY_ARN = EXECUTION_ARN.replace(DEPLOYMENT_ID, RECOVERY_ID);

function recoveryEnvelope() {
  return {
    request: { recover: DEPLOYMENT_ID, error: 'ExecutionTimedOut', cause: 'the execution timed out in Check stability' },
    deploymentId: RECOVERY_ID,
    executionArn: RECOVERY_ARN,
    startedAt: NOW,
  };
}

/** The stopped execution's history, newest first: its end, then the state it had entered. */
function historyEndingIn(state: string, input: unknown = {}): GetExecutionHistoryCommandOutput {
  return {
    $metadata: {},
    events: [
      {
        id: 9,
        timestamp: new Date(NOW),
        type: 'ExecutionAborted' as const,
        executionAbortedEventDetails: { error: 'AbortedByOperator', cause: 'aborted by alice' },
      },
      {
        id: 8,
        timestamp: new Date(NOW),
        type: 'TaskStateEntered' as const,
        stateEnteredEventDetails: { name: state, input: JSON.stringify(input) },
      },
    ],
  };
}

describe('recover', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const sfnMock = mockClient(SFNClient);

  /** The deployment record of DEPLOYMENT_ID, as the stopped execution left it. */
  function givenRecord(fields: Record<string, unknown> | undefined) {
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true }).resolves(
      fields
        ? {
            Item: {
              ...RECORD_KEY,
              deploymentId: DEPLOYMENT_ID,
              service: 'web',
              status: 'IN_PROGRESS',
              executionArn: EXECUTION_ARN,
              startedAt: STARTED_AT,
              trigger: 'cli',
              resume: resumePoint(stateAfter('deploy')),
              ...fields,
            },
          }
        : {},
    );
  }

  /** The UpdateCommands sent to the lock. */
  function lockUpdates() {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.Key?.pk === LOCK_KEY.pk);
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    vi.stubEnv('BATON_CONFIG', JSON.stringify(rawExampleConfig()));
    rejectByDefault(dynamoMock, sfnMock);
    givenRecord({});
    // The stopped execution ended, in a state after the first change (beforeEach).
    sfnMock.on(DescribeExecutionCommand, { executionArn: EXECUTION_ARN }).resolves({ status: 'ABORTED' });
    sfnMock.on(GetExecutionHistoryCommand).resolves(historyEndingIn('Check new colour stability'));
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});
    // The phase tracking of the wrapper, under the recovered deployment.
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('points the lock at the recovery execution with a fresh lease, only while the recovered deployment holds it', async () => {
    // Arrange: the record is open and the deployment holds the lock (beforeEach).

    // Act
    await handler(recoveryEnvelope());

    // Assert
    expect(lockUpdates()).toEqual([
      {
        TableName: TABLE,
        Key: LOCK_KEY,
        UpdateExpression: 'SET executionArn = :arn, leaseExpiresAt = :until',
        ConditionExpression: 'deploymentId = :me',
        ExpressionAttributeValues: { ':arn': RECOVERY_ARN, ':until': nowSeconds + 900, ':me': DEPLOYMENT_ID },
      },
    ]);
  });

  it('rebuilds the state of the recovered deployment for the rollback', async () => {
    // Arrange: the record is open and the deployment holds the lock (beforeEach).

    // Act
    const result = await handler(recoveryEnvelope());

    // Assert
    expect(result).toMatchObject({
      nothingToRecover: false,
      deploymentId: DEPLOYMENT_ID,
      executionArn: EXECUTION_ARN,
      startedAt: STARTED_AT,
      error: { Error: 'ExecutionTimedOut', Cause: 'the execution timed out in Check stability' },
      failedPhase: 'Check new colour stability',
      warnings: [`recovered by ${RECOVERY_ID}`],
    });
  });

  it('recovers all the same, and logs that the lock stayed where it was, when the deployment no longer holds the lock', async () => {
    // Arrange
    const log = spyOnLogger();
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed());

    // Act
    const result = await handler(recoveryEnvelope());

    // Assert
    expect(result.nothingToRecover).toBe(false);
    expect(log.warnings()).toContainEqual([
      'recovering a deployment that ended without a terminal record',
      { recovering: DEPLOYMENT_ID, error: 'ExecutionTimedOut', stoppedIn: 'Check new colour stability', lockTransferred: false },
    ]);
  });

  it('touches no lock when the deployment already ended', async () => {
    // Arrange
    givenRecord({ status: 'ROLLED_BACK' });

    // Act
    const result = await handler(recoveryEnvelope());

    // Assert
    expect(result).toEqual({ nothingToRecover: true, reason: `deployment ${DEPLOYMENT_ID} already ended ROLLED_BACK` });
    expect(lockUpdates()).toEqual([]);
  });

  it('refuses a deployment that has no record, naming the field, and touches no lock', async () => {
    // Arrange
    givenRecord(undefined);

    // Act
    const error = await failure(handler(recoveryEnvelope()));

    // Assert
    expect(error.name).toBe('RecoveryRefusedError');
    expect(error.message).toBe(`invalid recovery input: recover: no deployment record "${DEPLOYMENT_ID}"; nothing changed`);
    expect(lockUpdates()).toEqual([]);
  });

  it('refuses {"recover": ""} naming the field', async () => {
    // Act
    const error = await failure(handler({ ...recoveryEnvelope(), request: { recover: '' } }));

    // Assert
    expect(error.name).toBe('InvalidInputError');
    expect(error.message).toBe('invalid recovery input: recover: Too small: expected string to have >=1 characters');
  });

  it('refuses a deployment whose execution still runs, and touches neither its lock nor its record', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand, { executionArn: EXECUTION_ARN }).resolves({ status: 'RUNNING' });

    // Act
    const error = await failure(handler(recoveryEnvelope()));

    // Assert
    expect(error.name).toBe('RecoveryRefusedError');
    expect(error.message).toBe(
      `invalid recovery input: recover: deployment ${DEPLOYMENT_ID} is still running (its execution is RUNNING); only a deployment whose execution ended is recovered, and nothing changed. Stop it with "baton abort web"`,
    );
    expect(lockUpdates()).toEqual([]);
    expect(dynamoMock.commandCalls(DeleteCommand)).toEqual([]);
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)).toEqual([]);
  });

  it('closes a deployment stopped before any change REJECTED, naming the state, and frees its lock', async () => {
    // Arrange
    sfnMock.on(GetExecutionHistoryCommand).resolves(historyEndingIn('Validate'));
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
    dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});

    // Act
    const result = await handler(recoveryEnvelope());

    // Assert
    expect(result).toEqual({ nothingToRecover: true, reason: `deployment ${DEPLOYMENT_ID} was stopped in Validate, before any change` });
    const outcome = dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.Key?.pk === RECORD_KEY.pk && String(input.UpdateExpression).includes('#f'));
    const values = Object.values(outcome?.ExpressionAttributeValues ?? {});
    const signal = 'ExecutionTimedOut: the execution timed out in Check stability';
    expect(values).toContain('REJECTED');
    expect(values).toContain(`${signal}; stopped in: Validate, before any change, so nothing was rolled back`);
    expect(values).toContainEqual(['stopped in: Validate', `signal: ${signal}`, 'rollback: not needed, nothing was changed']);
    expect(dynamoMock.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: LOCK_KEY,
        ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
        ExpressionAttributeValues: { ':me': DEPLOYMENT_ID, ':execution': EXECUTION_ARN },
      },
    ]);
    expect(lockUpdates()).toEqual([]);
  });

  it('closes a deployment stopped while it recorded its rejection with the rejection, not the stop', async () => {
    // Arrange
    const rejection = { Error: 'ImageNotFoundError', Cause: '{"errorType":"ImageNotFoundError","errorMessage":"image v9 not found"}' };
    sfnMock.on(GetExecutionHistoryCommand).resolves(historyEndingIn('Record rejection', { error: rejection, failedPhase: 'Validate' }));
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
    dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});

    // Act
    await handler(recoveryEnvelope());

    // Assert
    const outcome = dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.Key?.pk === RECORD_KEY.pk && String(input.UpdateExpression).includes('#f'));
    const values = Object.values(outcome?.ExpressionAttributeValues ?? {});
    expect(values).toContain('ImageNotFoundError: image v9 not found');
    expect(values).toContainEqual([
      'stopped in: Record rejection',
      'failed in: Validate',
      'signal: ImageNotFoundError: image v9 not found',
      'rollback: not needed, nothing was changed',
    ]);
  });

  it('rolls back a deployment stopped in Validate whose record shows a lock-holding phase ran', async () => {
    // Arrange
    sfnMock.on(GetExecutionHistoryCommand).resolves(historyEndingIn('Validate'));
    givenRecord({ phases: { prepare: { startedAt: NOW, endedAt: NOW, invocations: 1, result: 'succeeded' } } });

    // Act
    const result = await handler(recoveryEnvelope());

    // Assert
    expect(result).toMatchObject({ nothingToRecover: false, failedPhase: 'Validate' });
  });
});
