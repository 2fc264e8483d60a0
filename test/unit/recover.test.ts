import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/recover/index.ts';
import { resumePoint } from '../../lambdas/shared/outcome.ts';
import { rejectByDefault } from '../fixtures/aws.ts';
import { rawExampleConfig } from '../fixtures/config.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NOW, STARTED_AT, stateAfter } from '../fixtures/state.ts';
import { spyOnLogger } from '../fixtures/telemetry.ts';

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

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

describe('recover', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

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
    rejectByDefault(dynamoMock);
    givenRecord({});
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
      { recovering: DEPLOYMENT_ID, error: 'ExecutionTimedOut', lockTransferred: false },
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

  it('touches no lock when the deployment has no record', async () => {
    // Arrange
    givenRecord(undefined);

    // Act
    const result = await handler(recoveryEnvelope());

    // Assert
    expect(result).toEqual({ nothingToRecover: true, reason: `no deployment record ${DEPLOYMENT_ID}` });
    expect(lockUpdates()).toEqual([]);
  });
});
