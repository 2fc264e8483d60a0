import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteCommand, DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/record-failure/index.ts';
import { ContractViolationError } from '../../../lambdas/shared/errors.ts';
import { DeploymentStateSchema } from '../../../lambdas/shared/stages.ts';
import { conditionFailed, failure, isPhaseBookkeeping, rejectByDefault, updatedFields } from '../../support/aws.ts';
import { caughtLambdaError, DEPLOYMENT_ID, EXECUTION_ARN, NEW_DIGEST, NEW_TAG, NOW, STARTED_AT, stateAfter } from '../../support/state.ts';

const TABLE = 'baton-test-deployments';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
/** The conditions of recordPhaseRun's three attempts: the entry exists; the map exists; the record has no map yet. */
const UPDATE_ENTRY = 'attribute_exists(#phases.#p) AND #owner = :owner AND #started = :started';
const ADD_ENTRY = '#owner = :owner AND #started = :started AND attribute_exists(#phases) AND attribute_not_exists(#phases.#p)';
const CREATE_MAP = '#owner = :owner AND #started = :started AND attribute_not_exists(#phases)';

/** A rollback that failed after the bake's gate failed. */
function rollbackFailed() {
  return {
    kind: 'rollback-failed',
    state: {
      ...stateAfter('shift'),
      error: caughtLambdaError('GateFailedError', 'alarm web-5xx-rate is ALARM'),
      failedPhase: 'Check bake',
      rollbackError: caughtLambdaError('RollbackFailedError', 'cannot move traffic back: blue runs 0/3 tasks'),
    },
  };
}

/** What reaches the reject task when initialize fails: the envelope plus the caught error. */
function rejectedEnvelope(request: unknown, error: { Error: string; Cause: string }) {
  return { deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN, startedAt: STARTED_AT, request, error, failedPhase: 'Initialize' };
}

describe('record failure', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  /** The UpdateCommands record failure sent to the record, leaving out the phase tracking and lease renewal of the wrapper. */
  function recordUpdates() {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => !isPhaseBookkeeping(input));
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(dynamoMock);
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
    dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a REJECTED record naming the error of a rejected request', async () => {
    // Arrange
    const input = {
      kind: 'rejected',
      state: rejectedEnvelope(
        { service: 'web', imageTag: NEW_TAG, trigger: 'cli', requestedBy: 'alice' },
        caughtLambdaError('ImageNotFoundError', `image tag ${NEW_TAG} not found in ECR repository web`),
      ),
    };

    // Act
    await handler(input);

    // Assert
    const updates = recordUpdates();
    expect(updates).toHaveLength(1);
    const [update] = updates;
    expect(update?.ConditionExpression).toBe(
      'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
    );
    expect(update?.ReturnValues).toBe('ALL_NEW');
    expect(updatedFields(update)).toEqual({
      gsi1pk: 'SERVICE#web',
      gsi1sk: `${STARTED_AT}#${DEPLOYMENT_ID}`,
      deploymentId: DEPLOYMENT_ID,
      service: 'web',
      status: 'REJECTED',
      executionArn: EXECUTION_ARN,
      startedAt: STARTED_AT,
      trigger: 'cli',
      requestedBy: 'alice',
      imageTag: NEW_TAG,
      failedPhase: 'Initialize',
      outcomeReason: `ImageNotFoundError: image tag ${NEW_TAG} not found in ECR repository web`,
      evidence: ['failed in: Initialize', `signal: ImageNotFoundError: image tag ${NEW_TAG} not found in ECR repository web`],
      warnings: [],
      endedAt: NOW,
      expiresAt: Math.floor(Date.parse(NOW) / 1000) + 400 * 86_400,
    });
  });

  it('releases the lock only if this deployment holds it', async () => {
    // Arrange
    const input = {
      kind: 'rejected',
      state: { ...stateAfter('initialize'), error: caughtLambdaError('AlarmFiringError', 'alarm(s) already firing') },
    };

    // Act
    await handler(input);

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: LOCK_KEY,
      ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
      ExpressionAttributeValues: { ':me': DEPLOYMENT_ID, ':execution': EXECUTION_ARN },
    });
  });

  it('reports the rejection as the outcome', async () => {
    // Arrange
    const input = {
      kind: 'rejected',
      state: rejectedEnvelope({ service: 'web' }, caughtLambdaError('InvalidInputError', 'imageTag: give imageTag or imageDigest')),
    };

    // Act
    const result = await handler(input);

    // Assert
    expect(result.outcome).toEqual({ status: 'REJECTED', error: 'InvalidInputError', cause: 'imageTag: give imageTag or imageDigest' });
  });

  it('records DUPLICATE for a DuplicateTriggerError', async () => {
    // Arrange
    const message = `web is already deploying image tag ${NEW_TAG} (deployment web-20250304-095900-1c2e); this trigger changes nothing`;
    const input = {
      kind: 'rejected',
      state: rejectedEnvelope({ service: 'web', imageTag: NEW_TAG }, caughtLambdaError('DuplicateTriggerError', message)),
    };

    // Act
    const result = await handler(input);

    // Assert
    expect(result.outcome).toEqual({ status: 'DUPLICATE', error: 'DuplicateTriggerError', cause: message });
    expect(updatedFields(recordUpdates()[0])).toMatchObject({ status: 'DUPLICATE' });
  });

  it('records the tag an ECR push carried as the imageTag of its DUPLICATE record, beside the digest it asked for (issue 16, item 8)', async () => {
    // Arrange: the second delivery of a push, refused by initialize while the first holds the lock.
    const request = {
      service: 'web',
      imageDigest: NEW_DIGEST,
      pushedTag: NEW_TAG,
      trigger: 'ecr',
      reason: 'ECR push of web:v1.4.2 (event e-1)',
    };
    const message = `web is already deploying ${NEW_DIGEST} (deployment deploy-1); this trigger changes nothing`;
    const input = { kind: 'rejected', state: rejectedEnvelope(request, caughtLambdaError('DuplicateTriggerError', message)) };

    // Act
    await handler(input);

    // Assert
    expect(updatedFields(recordUpdates()[0])).toMatchObject({
      status: 'DUPLICATE',
      trigger: 'ecr',
      imageTag: NEW_TAG,
      imageDigest: NEW_DIGEST,
      reason: 'ECR push of web:v1.4.2 (event e-1)',
    });
  });

  it('records SUPERSEDED for a SupersededError and releases the lock only if it holds it', async () => {
    // Arrange
    const message = `image tag ${NEW_TAG} (pushed 2025-03-01T08:00:00.000Z) is older than image tag v1.4.3 (pushed 2025-03-04T09:50:00.000Z), which deployment web-20250304-083000-9a8b (image tag v1.4.3, since 2025-03-04T08:30:00.000Z, execution ${EXECUTION_ARN}-other) is deploying; releases do not go backwards by accident (use "baton rollback" to go back)`;
    const input = {
      kind: 'rejected',
      state: rejectedEnvelope({ service: 'web', imageTag: NEW_TAG }, caughtLambdaError('SupersededError', message)),
    };

    // Act
    const result = await handler(input);

    // Assert
    expect(result.outcome).toEqual({ status: 'SUPERSEDED', error: 'SupersededError', cause: message });
    expect(updatedFields(recordUpdates()[0])).toMatchObject({ status: 'SUPERSEDED', outcomeReason: `SupersededError: ${message}` });
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: LOCK_KEY,
      ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
      ExpressionAttributeValues: { ':me': DEPLOYMENT_ID, ':execution': EXECUTION_ARN },
    });
  });

  it('records ROLLBACK_FAILED with both the original and the rollback cause', async () => {
    // Arrange
    const input = {
      kind: 'rollback-failed',
      state: {
        ...stateAfter('shift'),
        error: caughtLambdaError('GateFailedError', 'alarm web-5xx-rate is ALARM'),
        rollbackError: caughtLambdaError('RollbackFailedError', 'cannot move traffic back: blue runs 0/3 tasks'),
      },
    };

    // Act
    const result = await handler(input);

    // Assert
    const cause =
      'rollback after GateFailedError (alarm web-5xx-rate is ALARM) failed: RollbackFailedError: cannot move traffic back: blue runs 0/3 tasks. Production traffic needs a human: check the listener weights of web.';
    expect(result.outcome).toEqual({ status: 'ROLLBACK_FAILED', error: 'RollbackFailed', cause });
    expect(updatedFields(recordUpdates()[0])).toMatchObject({
      status: 'ROLLBACK_FAILED',
      outcomeReason: `RollbackFailed: ${cause}`,
    });
  });

  it('writes nothing for a dry run', async () => {
    // Arrange
    const input = {
      kind: 'rejected',
      state: rejectedEnvelope({ service: 'web', imageTag: NEW_TAG, dryRun: true }, caughtLambdaError('ImageNotFoundError', 'not found')),
    };

    // Act
    const result = await handler(input);

    // Assert
    expect(result.outcome?.status).toBe('REJECTED');
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it('records an input without a service under "(unknown)" and releases no lock', async () => {
    // Arrange
    const input = {
      kind: 'rejected',
      state: rejectedEnvelope('web:v1.4.2', caughtLambdaError('InvalidInputError', 'execution input must be a JSON object')),
    };

    // Act
    await handler(input);

    // Assert
    expect(updatedFields(recordUpdates()[0])).toMatchObject({
      service: '(unknown)',
      status: 'REJECTED',
      gsi1pk: 'SERVICE#(unknown)',
    });
    expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('keeps the lock after a failed rollback: the execution retries the rollback while it holds it', async () => {
    // Arrange
    const input = rollbackFailed();

    // Act
    await handler(input);

    // Assert
    expect(updatedFields(recordUpdates()[0])).toMatchObject({ status: 'ROLLBACK_FAILED' });
    expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('returns the whole state with the outcome, the service config included, so Roll back can run on it again', async () => {
    // Arrange
    const input = rollbackFailed();

    // Act
    const result = await handler(input);

    // Assert
    expect(result).toEqual({
      ...input.state,
      outcome: {
        status: 'ROLLBACK_FAILED',
        error: 'RollbackFailed',
        cause:
          'rollback after GateFailedError (alarm web-5xx-rate is ALARM) failed: RollbackFailedError: cannot move traffic back: blue runs 0/3 tasks. Production traffic needs a human: check the listener weights of web.',
      },
    });
    expect(DeploymentStateSchema.parse(result).service).toEqual(input.state.service);
  });

  describe('for a rejection by initialize', () => {
    const message = `image tag ${NEW_TAG} not found in ECR repository web`;

    /** The record was just ended and has no phases yet: only the third attempt of recordPhaseRun passes. */
    beforeEach(() => {
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, ConditionExpression: UPDATE_ENTRY }).rejects(conditionFailed());
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, ConditionExpression: ADD_ENTRY }).rejects(conditionFailed());
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, ConditionExpression: CREATE_MAP }).resolves({});
    });

    /** Whether an update writes `phases.initialize`, whichever attempt of recordPhaseRun sent it. */
    function isInitializeRun(input: UpdateCommandInput): boolean {
      return (
        input.ExpressionAttributeNames?.['#p'] === 'initialize' ||
        Object.hasOwn((input.ExpressionAttributeValues?.[':map'] as object | undefined) ?? {}, 'initialize')
      );
    }

    function initializeRuns(): UpdateCommandInput[] {
      return dynamoMock
        .commandCalls(UpdateCommand)
        .map((call) => call.args[0].input)
        .filter(isInitializeRun);
    }

    it('records the failed initialize run, from the start of the execution, after ending the record', async () => {
      // Arrange
      const input = {
        kind: 'rejected',
        state: rejectedEnvelope({ service: 'web', imageTag: NEW_TAG }, caughtLambdaError('ImageNotFoundError', message)),
      };

      // Act
      await handler(input);

      // Assert
      const created = initializeRuns().find((run) => run.ConditionExpression === CREATE_MAP);
      expect(created).toEqual({
        TableName: TABLE,
        Key: RECORD_KEY,
        UpdateExpression: 'SET #phases = :map',
        ConditionExpression: CREATE_MAP,
        ExpressionAttributeNames: { '#phases': 'phases', '#owner': 'executionArn', '#started': 'startedAt' },
        ExpressionAttributeValues: {
          ':map': {
            initialize: {
              startedAt: STARTED_AT,
              endedAt: NOW,
              invocations: 1,
              result: 'failed',
              error: `ImageNotFoundError: ${message}`,
            },
          },
          ':owner': EXECUTION_ARN,
          ':started': STARTED_AT,
        },
      });
      // The attempts need the record (attribute_exists(pk)), so it is ended first.
      const inputs = dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
      const finished = inputs.findIndex((update) => updatedFields(update).status === 'REJECTED');
      const firstRun = inputs.findIndex(isInitializeRun);
      expect(finished).toBeGreaterThanOrEqual(0);
      expect(firstRun).toBeGreaterThan(finished);
    });

    it('records no initialize run for a rejection in a later phase', async () => {
      // Arrange
      const input = {
        kind: 'rejected',
        state: {
          ...stateAfter('initialize'),
          error: caughtLambdaError('AlarmFiringError', 'alarm(s) already firing'),
          failedPhase: 'Validate',
        },
      };

      // Act
      await handler(input);

      // Assert
      expect(updatedFields(recordUpdates()[0])).toMatchObject({ status: 'REJECTED', failedPhase: 'Validate' });
      expect(initializeRuns()).toEqual([]);
    });
  });
  describe('for a service of a release that failed', () => {
    const RELEASE_ID = 'release-20250304-095958-7f3a';
    const RELEASE_KEY = { pk: `RELEASE#${RELEASE_ID}`, sk: 'RECORD' };
    const SERVICE_DEPLOYMENT_ID = `${RELEASE_ID}-web`;
    const BUS = 'baton-production-events';
    const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
    const STABILITY_MESSAGE = 'web-green did not reach a steady state by 2025-03-04T10:15:00.000Z: 1/3 tasks running';
    const eventsMock = mockClient(EventBridgeClient);
    const snsMock = mockClient(SNSClient);

    /** What the Catch of a release iteration hands record failure: web's state in the release, with the error. */
    function serviceFailed(extra: Record<string, unknown> = {}) {
      return {
        kind: 'release-service-failed',
        state: {
          ...stateAfter('deploy'),
          deploymentId: SERVICE_DEPLOYMENT_ID,
          releaseId: RELEASE_ID,
          error: caughtLambdaError('StabilityTimeoutError', STABILITY_MESSAGE),
          failedPhase: 'Check new colour stability (release)',
          ...extra,
        },
      };
    }

    /** The DEPLOYMENT# records written, leaving out the phase tracking and lease renewal of the wrapper. */
    function deploymentRecordWrites(): UpdateCommandInput[] {
      return recordUpdates().filter((update) => String(update.Key?.pk).startsWith('DEPLOYMENT#'));
    }

    beforeEach(() => {
      vi.stubEnv('BATON_EVENT_BUS_NAME', BUS);
      vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
      vi.stubEnv('BATON_CHAT_WEBHOOK_SECRET_ARN', undefined);
      rejectByDefault(eventsMock, snsMock);
      eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RELEASE_KEY }).resolves({});
    });

    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('notes the service, the state and the error as the cause in the release record, unless a cause is there already', async () => {
      // Arrange
      const input = serviceFailed();

      // Act
      await handler(input);

      // Assert
      expect(recordUpdates()).toEqual([
        {
          TableName: TABLE,
          Key: RELEASE_KEY,
          UpdateExpression: 'SET #cause = if_not_exists(#cause, :cause)',
          ConditionExpression: '#owner = :owner AND #started = :started',
          ExpressionAttributeNames: { '#cause': 'cause', '#owner': 'executionArn', '#started': 'startedAt' },
          ExpressionAttributeValues: {
            ':owner': EXECUTION_ARN,
            ':started': STARTED_AT,
            ':cause': {
              service: 'web',
              deploymentId: SERVICE_DEPLOYMENT_ID,
              failedPhase: 'Check new colour stability (release)',
              error: 'StabilityTimeoutError',
              message: STABILITY_MESSAGE,
            },
          },
        },
      ]);
    });

    it('takes the error name and message of a Step Functions error whose Cause is not JSON', async () => {
      // Arrange
      const input = serviceFailed({ error: { Error: 'States.Timeout', Cause: 'Task timed out after 60.00 seconds' } });

      // Act
      await handler(input);

      // Assert
      expect(recordUpdates().map((update) => update.ExpressionAttributeValues?.[':cause'])).toEqual([
        {
          service: 'web',
          deploymentId: SERVICE_DEPLOYMENT_ID,
          failedPhase: 'Check new colour stability (release)',
          error: 'States.Timeout',
          message: 'Task timed out after 60.00 seconds',
        },
      ]);
    });

    it('returns the state unchanged, with no outcome: the joint rollback closes the service record', async () => {
      // Arrange
      const input = serviceFailed();

      // Act
      const result = await handler(input);

      // Assert
      expect(result).toEqual(input.state);
      expect(result).not.toHaveProperty('outcome');
    });

    it('writes no deployment record, releases no lock and publishes no notification', async () => {
      // Arrange
      const input = serviceFailed();

      // Act
      await handler(input);

      // Assert
      expect(deploymentRecordWrites()).toEqual([]);
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
      const detailTypes = eventsMock
        .commandCalls(PutEventsCommand)
        .flatMap((call) => call.args[0].input.Entries ?? [])
        .map((entry) => entry.DetailType);
      expect(detailTypes.filter((type) => type !== 'Baton Phase Changed')).toEqual([]);
    });

    describe('in a dry run of the release', () => {
      const IMAGE_MESSAGE = `image tag ${NEW_TAG} not found in ECR repository web`;

      /** web's state in a release dry run, as its Validate failed. */
      function dryRunServiceFailed(extra: Record<string, unknown> = {}) {
        const state = stateAfter('initialize');
        return {
          kind: 'release-service-failed',
          state: {
            ...state,
            deploymentId: SERVICE_DEPLOYMENT_ID,
            releaseId: RELEASE_ID,
            request: { ...state.request, dryRun: true, reason: 'release 2026-11-22.1' },
            error: caughtLambdaError('ImageNotFoundError', IMAGE_MESSAGE),
            failedPhase: 'Validate (release)',
            ...extra,
          },
        };
      }

      it('sends no DynamoDB command at all: no release cause noted, no phase tracked, no lease renewed', async () => {
        // Arrange
        const input = dryRunServiceFailed();

        // Act
        await handler(input);

        // Assert
        expect(dynamoMock).not.toHaveReceivedAnyCommand();
        expect(eventsMock).not.toHaveReceivedAnyCommand();
        expect(snsMock).not.toHaveReceivedAnyCommand();
      });

      it('returns the state with the error of the iteration: the error name, and a cause naming the service and the state', async () => {
        // Arrange
        const input = dryRunServiceFailed();

        // Act
        const result = await handler(input);

        // Assert
        expect(result).toEqual({
          ...input.state,
          error: { Error: 'ImageNotFoundError', Cause: `web failed in Validate (release): ${IMAGE_MESSAGE}` },
        });
        expect(result).not.toHaveProperty('outcome');
      });

      it('names the service alone when the state that failed is unknown, and takes a Cause that is not JSON as the message', async () => {
        // Arrange
        const { failedPhase: _failedPhase, ...state } = dryRunServiceFailed({
          error: { Error: 'States.Timeout', Cause: 'Task timed out after 60.00 seconds' },
        }).state;

        // Act
        const result = await handler({ kind: 'release-service-failed', state });

        // Assert
        expect(result.error).toEqual({ Error: 'States.Timeout', Cause: 'web failed: Task timed out after 60.00 seconds' });
        expect(dynamoMock).not.toHaveReceivedAnyCommand();
      });
    });

    it('refuses a state without a release id with ContractViolationError, writing nothing', async () => {
      // Arrange
      const { releaseId: _releaseId, ...state } = serviceFailed().state;

      // Act
      const error = await failure(handler({ kind: 'release-service-failed', state }));

      // Assert
      expect(error).toBeInstanceOf(ContractViolationError);
      expect(error.message).toBe(`deployment ${SERVICE_DEPLOYMENT_ID} is not part of a release`);
      expect(recordUpdates()).toEqual([]);
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    });
  });
});
