import { readFileSync } from 'node:fs';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler, MAX_RECOVERY_ATTEMPTS, recoveryExecutionName } from '../../../lambdas/backstop/index.ts';
import { ContractViolationError } from '../../../lambdas/shared/errors.ts';
import { failure, isPhaseBookkeeping, isPhaseRun, rejectByDefault, updatedFields } from '../../support/aws.ts';
import { rawExampleConfig, THREE_SERVICES_CONFIG_PATH } from '../../support/config.ts';
import { lockItem } from '../../support/items.ts';
import { ACCOUNT, DEPLOYMENT_ID, EXECUTION_ARN, NEW_DIGEST, NEW_IMAGE_URI, NEW_TAG, NOW, REGION, STARTED_AT } from '../../support/state.ts';
import { captureMetrics, type EmfLine, metricNames, spyOnLogger } from '../../support/telemetry.ts';

const TABLE = 'baton-test-deployments';
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:baton-production`;
const recordKey = (deploymentId: string) => ({ pk: `DEPLOYMENT#${deploymentId}`, sk: 'RECORD' });
const RECORD_KEY = recordKey(DEPLOYMENT_ID);
const QUEUE_KEY = { pk: 'QUEUE#web', sk: 'QUEUE' };
const EXPIRES_AT = Math.floor(Date.parse(NOW) / 1000) + 400 * 86_400;
/** The condition finishRecord puts on every terminal status but ROLLED_BACK. */
const STILL_RUNNING = 'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running';

function executionArn(name: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:execution:baton-production:${name}`;
}

interface Detail {
  readonly input?: string | null;
  readonly error?: string | null;
  readonly cause?: string | null;
  readonly startDate?: number | null;
}

/** The EventBridge event Step Functions sends when execution `name` of the pipeline changes status. */
function statusChange(name: string, status: string, detail: Detail = {}) {
  return {
    version: '0',
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    account: ACCOUNT,
    region: REGION,
    time: '2025-03-04T10:05:00Z',
    resources: [executionArn(name)],
    detail: {
      executionArn: executionArn(name),
      stateMachineArn: STATE_MACHINE_ARN,
      name,
      status,
      error: null,
      cause: null,
      input: JSON.stringify({ service: 'web', imageTag: NEW_TAG, trigger: 'cli' }),
      startDate: Date.parse(STARTED_AT),
      ...detail,
    },
  };
}

/** The input of a recovery execution the backstop started for `deploymentId`. */
function recoveryInput(deploymentId: string): string {
  return JSON.stringify({ recover: deploymentId, error: 'ExecutionAborted', cause: `execution ${deploymentId} ended ABORTED` });
}

describe('backstop', () => {
  const sfnMock = mockClient(SFNClient);
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const ecrMock = mockClient(ECRClient);
  let metrics: EmfLine[];

  /** The deployment record as DynamoDB returns it (key attributes included), or no record. */
  function givenRecord(status: string | undefined, deploymentId = DEPLOYMENT_ID) {
    const key = recordKey(deploymentId);
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: key, ConsistentRead: true }).resolves(
      status
        ? {
            Item: {
              ...key,
              gsi1pk: 'SERVICE#web',
              gsi1sk: `${STARTED_AT}#${deploymentId}`,
              deploymentId,
              service: 'web',
              status,
              executionArn: executionArn(deploymentId),
              startedAt: STARTED_AT,
              trigger: 'cli',
              requestedBy: 'alice',
              imageTag: NEW_TAG,
            },
          }
        : {},
    );
  }

  /** finishRecord's conditional update succeeds and returns the record it wrote (ReturnValues ALL_NEW), so the outcome is announced. */
  function givenFinishSucceeds(deploymentId = DEPLOYMENT_ID) {
    dynamoMock
      .on(UpdateCommand, { TableName: TABLE, Key: recordKey(deploymentId) })
      .callsFake((input: UpdateCommandInput) => ({ Attributes: { ...recordKey(deploymentId), ...updatedFields(input) } }));
  }

  function givenStartSucceeds() {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: executionArn('started'), startDate: new Date(NOW) });
  }

  /** The UpdateCommand inputs sent to DynamoDB. */
  function updates(): UpdateCommandInput[] {
    return dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
  }

  /** The StartExecutionCommand inputs sent to Step Functions. */
  function starts() {
    return sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(sfnMock, dynamoMock, ecrMock);
    // By default the history adds nothing to the event, and the recovered deployment's execution has ended.
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    // Nothing waits in web's queue unless a test says so.
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: QUEUE_KEY, ConsistentRead: true }).resolves({});
    metrics = captureMetrics();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  describe('statuses and events it leaves alone', () => {
    it('needs no backstop for an execution SUCCEEDED: it only looks into the service queue, which is empty', async () => {
      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'SUCCEEDED'));

      // Assert
      expect(result).toEqual({ action: 'none', reason: 'status SUCCEEDED needs no backstop' });
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([QUEUE_KEY]);
    });

    it.each(['RUNNING', 'PENDING_REDRIVE'])('needs no backstop for an execution %s, and calls nothing', async (status) => {
      // Arrange
      const event = statusChange(DEPLOYMENT_ID, status);

      // Act
      const result = await handler(event);

      // Assert
      expect(result).toEqual({ action: 'none', reason: `status ${status} needs no backstop` });
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });

    it.each([
      ['an event of another source', { source: 'aws.ecr', 'detail-type': 'ECR Image Action', detail: { result: 'SUCCESS' } }],
      [
        'a status change without an execution ARN',
        { ...statusChange(DEPLOYMENT_ID, 'FAILED'), detail: { name: DEPLOYMENT_ID, status: 'FAILED' } },
      ],
      ['a status change with an unknown status', statusChange(DEPLOYMENT_ID, 'STOPPED')],
    ])('refuses %s with ContractViolationError, calling nothing', async (_what, event) => {
      // Act
      const error = await failure(handler(event));

      // Assert
      expect(error).toBeInstanceOf(ContractViolationError);
      expect(error.message).toMatch(/^backstop received a payload out of contract: /);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });
  });

  describe('the image queued for the service (lambdas/shared/queue.ts)', () => {
    const QUEUED_BY = 'web-20250304-100100-9c9c';
    const ENTRY = {
      ...QUEUE_KEY,
      service: 'web',
      deploymentId: QUEUED_BY,
      executionArn: executionArn(QUEUED_BY),
      request: { service: 'web', imageTag: 'v1.4.3', trigger: 'ecr', hotfix: false, dryRun: false },
      repositoryName: 'web',
      imageRef: 'tag:v1.4.3',
      pushedAtMs: Date.parse('2025-03-04T10:01:00.000Z'),
      queuedAt: '2025-03-04T10:01:30.000Z',
      behind: DEPLOYMENT_ID,
    };
    const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };

    function givenQueued() {
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: QUEUE_KEY, ConsistentRead: true }).resolves({ Item: ENTRY });
    }

    function givenLock(holder: string | undefined) {
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
        .resolves(holder ? { Item: { ...LOCK_KEY, ...lockItem({ deploymentId: holder }) } } : {});
    }

    beforeEach(() => {
      givenQueued();
      givenRecord('SUCCEEDED');
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: QUEUE_KEY }).resolves({});
    });

    it('starts the queued image once the lock is free, saying where it came from, then deletes exactly that entry', async () => {
      // Arrange
      givenLock(undefined);
      givenStartSucceeds();

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'SUCCEEDED'));

      // Assert
      expect(result).toEqual({
        action: 'none',
        reason: 'status SUCCEEDED needs no backstop',
        queue: { action: 'started', execution: `${QUEUED_BY}-dequeued`, queuedFrom: QUEUED_BY },
      });
      expect(starts().map(({ input, ...rest }) => ({ ...rest, input: JSON.parse(input ?? 'null') }))).toEqual([
        { stateMachineArn: STATE_MACHINE_ARN, name: `${QUEUED_BY}-dequeued`, input: { ...ENTRY.request, queuedFrom: QUEUED_BY } },
      ]);
      expect(dynamoMock.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: QUEUE_KEY,
          ConditionExpression: 'deploymentId = :queuedBy',
          ExpressionAttributeValues: { ':queuedBy': QUEUED_BY },
        },
      ]);
    });

    it('treats a queued execution a redelivered event already started (ExecutionAlreadyExists) as started, and deletes the entry', async () => {
      // Arrange
      givenLock(undefined);
      sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'SUCCEEDED'));

      // Assert
      expect(result).toHaveProperty('queue', { action: 'started', execution: `${QUEUED_BY}-dequeued`, queuedFrom: QUEUED_BY });
      expect(dynamoMock).toHaveReceivedCommandTimes(DeleteCommand, 1);
    });

    it('does not start an image older than the one that just went live: it deletes the entry and records it SUPERSEDED', async () => {
      // Arrange: the ended deployment put NEW_DIGEST live (pushed 10:05); v1.4.3 was pushed at 10:01.
      givenLock(undefined);
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true }).resolves({
        Item: {
          ...RECORD_KEY,
          deploymentId: DEPLOYMENT_ID,
          service: 'web',
          status: 'SUCCEEDED',
          executionArn: EXECUTION_ARN,
          startedAt: STARTED_AT,
          trigger: 'cli',
          newRelease: { image: NEW_IMAGE_URI, secrets: [] },
        },
      });
      ecrMock
        .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: 'v1.4.3' }] })
        .resolves({ imageDetails: [{ imagePushedAt: new Date('2025-03-04T10:01:00.000Z') }] });
      ecrMock
        .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageDigest: NEW_DIGEST }] })
        .resolves({ imageDetails: [{ imagePushedAt: new Date('2025-03-04T10:05:00.000Z') }] });
      givenFinishSucceeds(`${QUEUED_BY}-dequeued`);
      const reason = `SupersededError: image tag v1.4.3 (pushed 2025-03-04T10:01:00.000Z), queued by ${QUEUED_BY}, is older than the image deployment ${DEPLOYMENT_ID} just put live (pushed 2025-03-04T10:05:00.000Z); it does not start`;

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'SUCCEEDED'));

      // Assert
      expect(result).toHaveProperty('queue', { action: 'dropped', queuedFrom: QUEUED_BY, reason });
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(dynamoMock).toHaveReceivedCommandTimes(DeleteCommand, 1);
      expect(updatedFields(updates()[0])).toMatchObject({
        deploymentId: `${QUEUED_BY}-dequeued`,
        status: 'SUPERSEDED',
        queuedFrom: QUEUED_BY,
        imageTag: 'v1.4.3',
        outcomeReason: reason,
      });
    });

    it('leaves the entry waiting while the lock is held (a deployment, a recovery, or ROLLBACK_FAILED for an operator)', async () => {
      // Arrange
      givenLock('web-20250304-100500-aaaa');

      // Act
      const result = await handler(statusChange(QUEUED_BY, 'SUCCEEDED'));

      // Assert
      expect(result).toHaveProperty('queue', { action: 'waiting', holder: 'web-20250304-100500-aaaa' });
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
    });
  });

  describe('an execution stopped before it wrote a record', () => {
    it.each([
      ['ABORTED', 'ExecutionAborted'],
      ['TIMED_OUT', 'ExecutionTimedOut'],
      ['FAILED', 'ExecutionFailed'],
    ])('gets a REJECTED record saying nothing changed when it ended %s', async (status, error) => {
      // Arrange
      givenRecord(undefined);
      givenFinishSucceeds();

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, status, { error: 'States.Runtime', cause: 'an error occurred' }));

      // Assert
      expect(result).toEqual({ action: 'recorded', status: 'REJECTED' });
      const [write] = updates();
      expect(updates()).toHaveLength(1);
      expect(write).toMatchObject({
        TableName: TABLE,
        Key: RECORD_KEY,
        ConditionExpression: STILL_RUNNING,
        ReturnValues: 'ALL_NEW',
      });
      expect(updatedFields(write)).toEqual({
        gsi1pk: 'SERVICE#web',
        gsi1sk: `${STARTED_AT}#${DEPLOYMENT_ID}`,
        deploymentId: DEPLOYMENT_ID,
        service: 'web',
        status: 'REJECTED',
        executionArn: EXECUTION_ARN,
        startedAt: STARTED_AT,
        trigger: 'unknown',
        outcomeReason: `${error}: ${DEPLOYMENT_ID} ended ${status} before it took the lock; nothing changed`,
        evidence: [],
        warnings: [],
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    });

    it('announces the REJECTED outcome it wrote', async () => {
      // Arrange
      givenRecord(undefined);
      givenFinishSucceeds();

      // Act
      await handler(statusChange(DEPLOYMENT_ID, 'ABORTED'));

      // Assert: the outcome metric, with the duration from the execution's start to now.
      expect(metricNames(metrics)).toEqual(['DeploymentRejected', 'DeploymentDuration']);
      expect(metrics[0]).toMatchObject({ service: 'web', deploymentId: DEPLOYMENT_ID, DeploymentRejected: 1, DeploymentDuration: 2 });
    });

    it('names the service (unknown) and starts the record now when the event has neither input nor start date', async () => {
      // Arrange
      givenRecord(undefined);
      givenFinishSucceeds();

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'ABORTED', { input: 'not json', startDate: null }));

      // Assert
      expect(result).toEqual({ action: 'recorded', status: 'REJECTED' });
      expect(updatedFields(updates()[0])).toMatchObject({
        gsi1pk: 'SERVICE#(unknown)',
        gsi1sk: `${NOW}#${DEPLOYMENT_ID}`,
        service: '(unknown)',
        startedAt: NOW,
        trigger: 'unknown',
      });
    });

    it('names the service (unknown) when the input names no service a request could: an oversized name would make the record unwritable', async () => {
      // Arrange
      givenRecord(undefined);
      givenFinishSucceeds();

      // Act
      await handler(statusChange(DEPLOYMENT_ID, 'FAILED', { input: JSON.stringify({ service: 's'.repeat(300_000), imageTag: NEW_TAG }) }));

      // Assert
      expect(updatedFields(updates()[0])).toMatchObject({ gsi1pk: 'SERVICE#(unknown)', service: '(unknown)' });
    });

    it.each([
      ['a dry run', DEPLOYMENT_ID, JSON.stringify({ service: 'web', imageTag: NEW_TAG, dryRun: true })],
      ['a recovery', `${DEPLOYMENT_ID}-recovery-1`, recoveryInput(DEPLOYMENT_ID)],
    ])('writes nothing for %s', async (_what, name, input) => {
      // Arrange
      givenRecord(undefined);

      // Act
      const result = await handler(statusChange(name, 'FAILED', { input }));

      // Assert
      expect(result).toEqual({ action: 'none', reason: `no deployment record ${DEPLOYMENT_ID} (a dry run or a recovery)` });
      expect(dynamoMock).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true });
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(metrics).toEqual([]);
    });
  });

  describe('a deployment whose record already ended', () => {
    it.each(['SUCCEEDED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'REJECTED', 'DUPLICATE', 'SUPERSEDED'])(
      'does nothing for a record that ended %s',
      async (status) => {
        // Arrange
        givenRecord(status);

        // Act
        const result = await handler(statusChange(DEPLOYMENT_ID, 'FAILED', { error: 'States.Runtime', cause: 'an error occurred' }));

        // Assert
        expect(result).toEqual({ action: 'none', reason: `deployment ${DEPLOYMENT_ID} already ended ${status}` });
        expect(sfnMock).not.toHaveReceivedAnyCommand();
        expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
      },
    );

    it('does nothing when a recovery execution fails after its deployment was rolled back', async () => {
      // Arrange
      givenRecord('ROLLED_BACK');

      // Act
      const result = await handler(statusChange(`${DEPLOYMENT_ID}-recovery-2`, 'FAILED', { input: recoveryInput(DEPLOYMENT_ID) }));

      // Assert
      expect(result).toEqual({ action: 'none', reason: `deployment ${DEPLOYMENT_ID} already ended ROLLED_BACK` });
      expect(sfnMock).not.toHaveReceivedAnyCommand();
    });
  });

  describe('a deployment left IN_PROGRESS', () => {
    it('starts the first recovery execution on the same state machine when the execution was aborted', async () => {
      // Arrange
      givenRecord('IN_PROGRESS');
      givenStartSucceeds();

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'ABORTED'));

      // Assert
      expect(result).toEqual({ action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-1` });
      expect(starts()).toEqual([
        {
          stateMachineArn: STATE_MACHINE_ARN,
          name: `${DEPLOYMENT_ID}-recovery-1`,
          input: JSON.stringify({ recover: DEPLOYMENT_ID, error: 'ExecutionAborted', cause: `execution ${DEPLOYMENT_ID} ended ABORTED` }),
        },
      ]);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it.each([
      ['TIMED_OUT', 'States.Timeout', null, 'ExecutionTimedOut', `execution ${DEPLOYMENT_ID} ended TIMED_OUT (States.Timeout)`],
      [
        'FAILED',
        'States.Runtime',
        "An error occurred while executing the state 'Check bake'",
        'ExecutionFailed',
        `execution ${DEPLOYMENT_ID} ended FAILED (States.Runtime: An error occurred while executing the state 'Check bake')`,
      ],
    ])(
      'passes the error and cause of an execution that ended %s to the recovery',
      async (status, error, cause, expectedError, expectedCause) => {
        // Arrange
        givenRecord('IN_PROGRESS');
        givenStartSucceeds();

        // Act
        await handler(statusChange(DEPLOYMENT_ID, status, { error, cause }));

        // Assert
        expect(starts().map((start) => JSON.parse(start.input ?? 'null'))).toEqual([
          { recover: DEPLOYMENT_ID, error: expectedError, cause: expectedCause },
        ]);
      },
    );

    it('logs the recovery it started', async () => {
      // Arrange
      givenRecord('IN_PROGRESS');
      givenStartSucceeds();
      const log = spyOnLogger();

      // Act
      await handler(statusChange(DEPLOYMENT_ID, 'ABORTED'));

      // Assert
      expect(log.warnings()).toContainEqual([
        'recovery execution started',
        { recovering: DEPLOYMENT_ID, execution: `${DEPLOYMENT_ID}-recovery-1`, status: 'ABORTED' },
      ]);
    });

    it('treats a recovery a redelivered event already started (ExecutionAlreadyExists) as started', async () => {
      // Arrange
      givenRecord('IN_PROGRESS');
      sfnMock
        .on(StartExecutionCommand)
        .rejects(new ExecutionAlreadyExists({ message: `Execution Already Exists: '${DEPLOYMENT_ID}-recovery-1'`, $metadata: {} }));

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'ABORTED'));

      // Assert
      expect(result).toEqual({ action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-1` });
      expect(starts().map((start) => start.name)).toEqual([`${DEPLOYMENT_ID}-recovery-1`]);
    });

    it('fails with the error of a StartExecution that failed for another reason', async () => {
      // Arrange
      givenRecord('IN_PROGRESS');
      const denied = Object.assign(new Error('User is not authorized to perform: states:StartExecution'), {
        name: 'AccessDeniedException',
      });
      sfnMock.on(StartExecutionCommand).rejects(denied);

      // Act
      const error = await failure(handler(statusChange(DEPLOYMENT_ID, 'ABORTED')));

      // Assert
      expect(error.name).toBe('AccessDeniedException');
      expect(error.message).toBe('User is not authorized to perform: states:StartExecution');
    });

    it('starts the next recovery when a recovery execution failed', async () => {
      // Arrange
      givenRecord('IN_PROGRESS');
      givenStartSucceeds();
      const event = statusChange(`${DEPLOYMENT_ID}-recovery-2`, 'FAILED', {
        input: recoveryInput(DEPLOYMENT_ID),
        error: 'States.TaskFailed',
        cause: 'rollback could not move traffic back',
      });

      // Act
      const result = await handler(event);

      // Assert
      expect(result).toEqual({ action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-3` });
      expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true });
      expect(starts()).toEqual([
        {
          stateMachineArn: STATE_MACHINE_ARN,
          name: `${DEPLOYMENT_ID}-recovery-3`,
          input: JSON.stringify({
            recover: DEPLOYMENT_ID,
            error: 'ExecutionFailed',
            cause: `execution ${DEPLOYMENT_ID}-recovery-2 ended FAILED (States.TaskFailed: rollback could not move traffic back)`,
          }),
        },
      ]);
    });
  });

  describe(`after ${MAX_RECOVERY_ATTEMPTS} failed recoveries`, () => {
    const lastRecovery = () =>
      statusChange(`${DEPLOYMENT_ID}-recovery-${MAX_RECOVERY_ATTEMPTS}`, 'FAILED', {
        input: recoveryInput(DEPLOYMENT_ID),
        error: 'States.TaskFailed',
        cause: 'rollback could not move traffic back',
      });

    it('gives up, recording ROLLBACK_FAILED, and starts no other recovery', async () => {
      // Arrange
      givenRecord('IN_PROGRESS');
      givenFinishSucceeds();

      // Act
      const result = await handler(lastRecovery());

      // Assert
      expect(MAX_RECOVERY_ATTEMPTS).toBe(3);
      expect(result).toEqual({ action: 'gave-up', attempts: 3 });
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      const [write] = updates();
      expect(updates()).toHaveLength(1);
      expect(write).toMatchObject({ TableName: TABLE, Key: RECORD_KEY, ConditionExpression: STILL_RUNNING, ReturnValues: 'ALL_NEW' });
      // The stored item carries pk and sk; DynamoDB refuses an update that sets them, so they are not in it.
      expect(updatedFields(write)).toEqual({
        gsi1pk: 'SERVICE#web',
        gsi1sk: `${STARTED_AT}#${DEPLOYMENT_ID}`,
        deploymentId: DEPLOYMENT_ID,
        service: 'web',
        status: 'ROLLBACK_FAILED',
        executionArn: EXECUTION_ARN,
        startedAt: STARTED_AT,
        trigger: 'cli',
        requestedBy: 'alice',
        imageTag: NEW_TAG,
        outcomeReason:
          `RecoveryFailed: 3 recovery executions did not finish the rollback; last: execution ${DEPLOYMENT_ID}-recovery-3 ended FAILED ` +
          '(States.TaskFailed: rollback could not move traffic back). Check the listener weights of web.',
        evidence: [],
        warnings: [],
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
      expect(metricNames(metrics)).toEqual(['DeploymentRollbackFailed', 'DeploymentDuration']);
    });

    it('keeps the lock with the deployment, as after any failed rollback', async () => {
      // Arrange
      givenRecord('IN_PROGRESS');
      givenFinishSucceeds();
      dynamoMock.on(DeleteCommand).resolves({});

      // Act
      await handler(lastRecovery());

      // Assert
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
      expect(updates().filter((update) => update.Key?.pk === 'LOCK#web')).toEqual([]);
    });

    it('gives up on a recovery execution whose name carries no attempt number', async () => {
      // Arrange
      givenRecord('IN_PROGRESS');
      givenFinishSucceeds();

      // Act
      const result = await handler(statusChange('web-recover-by-hand', 'FAILED', { input: recoveryInput(DEPLOYMENT_ID) }));

      // Assert
      expect(result).toEqual({ action: 'gave-up', attempts: MAX_RECOVERY_ATTEMPTS });
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    });
  });

  describe('its own runs', () => {
    it.each([
      ['recording a REJECTED record', undefined, DEPLOYMENT_ID, JSON.stringify({ service: 'web', imageTag: NEW_TAG })],
      ['starting a recovery', 'IN_PROGRESS', DEPLOYMENT_ID, JSON.stringify({ service: 'web', imageTag: NEW_TAG })],
      ['giving up', 'IN_PROGRESS', `${DEPLOYMENT_ID}-recovery-3`, recoveryInput(DEPLOYMENT_ID)],
    ])('tracks no phase and renews no lease when %s', async (_what, status, name, input) => {
      // Arrange
      givenRecord(status);
      givenFinishSucceeds();
      givenStartSucceeds();

      // Act
      await handler(statusChange(name, 'ABORTED', { input }));

      // Assert: at most the terminal record was written, never a `phases` entry or the lock's lease.
      expect(updates().filter((update) => isPhaseRun(update))).toEqual([]);
      expect(updates().filter((update) => isPhaseBookkeeping(update))).toEqual([]);
      expect(updates().every((update) => update.ConditionExpression === STILL_RUNNING)).toBe(true);
    });
  });

  describe('a multi-service release', () => {
    const RELEASE_ID = 'release-20250304-095958-7f3a';
    const RELEASE = '2026-11-22.1';
    const RELEASE_KEY = { pk: `RELEASE#${RELEASE_ID}`, sk: 'RECORD' };
    const IMAGES = { api: 'v1.1.0', web: NEW_TAG, worker: 'v2.4.0' };
    /** The execution input of the release: it names the release, not a service. */
    const RELEASE_INPUT = JSON.stringify({
      release: RELEASE,
      services: { api: { imageTag: IMAGES.api }, web: { imageTag: IMAGES.web }, worker: { imageTag: IMAGES.worker } },
      trigger: 'cli',
      requestedBy: 'alice',
    });

    /** The input of a release recovery execution the backstop started. */
    function releaseRecoveryInput(): string {
      return JSON.stringify({ recoverRelease: RELEASE_ID, error: 'ExecutionAborted', cause: `execution ${RELEASE_ID} ended ABORTED` });
    }

    /** The release record plan release wrote, as DynamoDB returns it (key attributes included). */
    function releaseItem(status: string) {
      return {
        ...RELEASE_KEY,
        gsi1pk: 'RELEASES',
        gsi1sk: `${STARTED_AT}#${RELEASE_ID}`,
        releaseId: RELEASE_ID,
        release: RELEASE,
        status,
        executionArn: executionArn(RELEASE_ID),
        startedAt: STARTED_AT,
        trigger: 'cli',
        requestedBy: 'alice',
        shift: 'each',
        waves: [['api'], ['web', 'worker']],
        services: {
          api: { deploymentId: `${RELEASE_ID}-api`, wave: 1, imageTag: IMAGES.api },
          web: { deploymentId: `${RELEASE_ID}-web`, wave: 2, imageTag: IMAGES.web },
          worker: { deploymentId: `${RELEASE_ID}-worker`, wave: 2, imageTag: IMAGES.worker },
        },
      };
    }

    /** The release record, or no record. */
    function givenReleaseRecord(status: string | undefined) {
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true })
        .resolves(status ? { Item: releaseItem(status) } : {});
    }

    /** finishReleaseRecord's conditional update succeeds and returns the record it wrote (ReturnValues ALL_NEW). */
    function givenReleaseFinishSucceeds() {
      dynamoMock
        .on(UpdateCommand, { TableName: TABLE, Key: RELEASE_KEY })
        .callsFake((input: UpdateCommandInput) => ({ Attributes: { ...RELEASE_KEY, ...updatedFields(input) } }));
    }

    it('starts the first release recovery when a release execution was aborted with its record IN_PROGRESS', async () => {
      // Arrange
      givenReleaseRecord('IN_PROGRESS');
      givenStartSucceeds();

      // Act
      const result = await handler(statusChange(RELEASE_ID, 'ABORTED', { input: RELEASE_INPUT }));

      // Assert
      expect(result).toEqual({ action: 'recovery-started', execution: `${RELEASE_ID}-recovery-1` });
      expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true });
      expect(starts()).toEqual([
        {
          stateMachineArn: STATE_MACHINE_ARN,
          name: `${RELEASE_ID}-recovery-1`,
          input: JSON.stringify({ recoverRelease: RELEASE_ID, error: 'ExecutionAborted', cause: `execution ${RELEASE_ID} ended ABORTED` }),
        },
      ]);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('closes a release once when its sweep finds every service lock held by the ended release execution', async () => {
      // Arrange: the three services of examples/three-services, each locked by the release.
      vi.stubEnv('BATON_CONFIG', readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8'));
      for (const service of ['api', 'worker', 'web']) {
        const key = { pk: `LOCK#${service}`, sk: 'LOCK' };
        dynamoMock.on(GetCommand, { TableName: TABLE, Key: key, ConsistentRead: true }).resolves({
          Item: {
            ...key,
            ...lockItem({ service, deploymentId: `${RELEASE_ID}-${service}`, executionArn: executionArn(RELEASE_ID), release: RELEASE }),
          },
        });
      }
      sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn(RELEASE_ID) }).resolves({
        executionArn: executionArn(RELEASE_ID),
        stateMachineArn: STATE_MACHINE_ARN,
        name: RELEASE_ID,
        status: 'ABORTED',
        input: RELEASE_INPUT,
        startDate: new Date(STARTED_AT),
      });
      givenReleaseRecord('IN_PROGRESS');
      givenStartSucceeds();

      // Act
      const result = await handler({
        id: 'a1b2c3d4-0000-4000-8000-00000000005d',
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        time: '2025-03-04T10:10:00Z',
        resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/baton-production-BackstopSweep`],
        detail: {},
      });

      // Assert
      const recovery = { action: 'recovery-started', execution: `${RELEASE_ID}-recovery-1` };
      expect(result).toEqual(
        ['api', 'worker', 'web'].map((service) => ({
          service,
          action: 'ended',
          holder: `${RELEASE_ID}-${service}`,
          status: 'ABORTED',
          result: recovery,
        })),
      );
      expect(starts().map((start) => [start.name, JSON.parse(start.input ?? 'null')])).toEqual([
        [`${RELEASE_ID}-recovery-1`, JSON.parse(releaseRecoveryInput())],
      ]);
      expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
    });

    it('treats a release recovery a redelivered event already started (ExecutionAlreadyExists) as started', async () => {
      // Arrange
      givenReleaseRecord('IN_PROGRESS');
      sfnMock
        .on(StartExecutionCommand)
        .rejects(new ExecutionAlreadyExists({ message: `Execution Already Exists: '${RELEASE_ID}-recovery-1'`, $metadata: {} }));

      // Act
      const result = await handler(statusChange(RELEASE_ID, 'ABORTED', { input: RELEASE_INPUT }));

      // Assert
      expect(result).toEqual({ action: 'recovery-started', execution: `${RELEASE_ID}-recovery-1` });
      expect(starts().map((start) => start.name)).toEqual([`${RELEASE_ID}-recovery-1`]);
    });

    it.each(['SUCCEEDED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'REJECTED'])(
      'does nothing for a release whose record already ended %s',
      async (status) => {
        // Arrange
        givenReleaseRecord(status);

        // Act
        const result = await handler(
          statusChange(RELEASE_ID, 'FAILED', { input: RELEASE_INPUT, error: 'States.Runtime', cause: 'an error occurred' }),
        );

        // Assert
        expect(result).toEqual({ action: 'none', reason: `release ${RELEASE_ID} already ended ${status}` });
        expect(sfnMock).not.toHaveReceivedAnyCommand();
        expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
      },
    );

    it('does nothing when a release recovery fails after its release was rolled back', async () => {
      // Arrange
      givenReleaseRecord('ROLLED_BACK');

      // Act
      const result = await handler(statusChange(`${RELEASE_ID}-recovery-2`, 'FAILED', { input: releaseRecoveryInput() }));

      // Assert
      expect(result).toEqual({ action: 'none', reason: `release ${RELEASE_ID} already ended ROLLED_BACK` });
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('gives a release stopped before it had a record a REJECTED release record, and no deployment record', async () => {
      // Arrange
      givenReleaseRecord(undefined);
      givenReleaseFinishSucceeds();

      // Act
      const result = await handler(statusChange(RELEASE_ID, 'TIMED_OUT', { input: RELEASE_INPUT, error: 'States.Timeout', cause: null }));

      // Assert
      expect(result).toEqual({ action: 'recorded', status: 'REJECTED' });
      const [write] = updates();
      expect(updates()).toHaveLength(1);
      expect(write).toMatchObject({ TableName: TABLE, Key: RELEASE_KEY, ConditionExpression: STILL_RUNNING, ReturnValues: 'ALL_NEW' });
      expect(updatedFields(write)).toEqual({
        gsi1pk: 'RELEASES',
        gsi1sk: `${STARTED_AT}#${RELEASE_ID}`,
        releaseId: RELEASE_ID,
        release: RELEASE,
        status: 'REJECTED',
        executionArn: executionArn(RELEASE_ID),
        startedAt: STARTED_AT,
        trigger: 'cli',
        requestedBy: 'alice',
        shift: 'each',
        waves: [],
        services: {},
        outcomeReason: `ExecutionTimedOut: ${RELEASE_ID} ended TIMED_OUT before it planned the release; nothing changed`,
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
      expect(dynamoMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([RELEASE_KEY]);
      expect(updates().filter((update) => String(update.Key?.pk).startsWith('DEPLOYMENT#'))).toEqual([]);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
    });

    it('announces the REJECTED release it recorded with the release metrics', async () => {
      // Arrange
      givenReleaseRecord(undefined);
      givenReleaseFinishSucceeds();

      // Act
      await handler(statusChange(RELEASE_ID, 'ABORTED', { input: RELEASE_INPUT }));

      // Assert: the verdict metric and the duration from the execution's start to now, under the release's dimension.
      expect(metricNames(metrics)).toEqual(['ReleaseRejected', 'ReleaseDuration']);
      expect(metrics[0]).toMatchObject({ service: 'release', deploymentId: RELEASE_ID, ReleaseRejected: 1, ReleaseDuration: 2 });
    });

    it.each(['ABORTED', 'TIMED_OUT', 'FAILED'])(
      'writes nothing and starts nothing for a release dry run that ended %s without a release record',
      async (status) => {
        // Arrange
        givenReleaseRecord(undefined);
        const input = JSON.stringify({ ...JSON.parse(RELEASE_INPUT), dryRun: true });

        // Act
        const result = await handler(statusChange(RELEASE_ID, status, { input }));

        // Assert
        expect(result).toEqual({ action: 'none', reason: `release dry run ${RELEASE_ID} writes nothing` });
        expect(dynamoMock).toHaveReceivedCommandTimes(GetCommand, 1);
        expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true });
        expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
        expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
        expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
        expect(sfnMock).not.toHaveReceivedAnyCommand();
        expect(metrics).toEqual([]);
      },
    );

    it('writes nothing for a release recovery that finds no release record', async () => {
      // Arrange
      givenReleaseRecord(undefined);

      // Act
      const result = await handler(statusChange(`${RELEASE_ID}-recovery-1`, 'FAILED', { input: releaseRecoveryInput() }));

      // Assert
      expect(result).toEqual({ action: 'none', reason: `no release record ${RELEASE_ID}` });
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
    });

    it('starts the next release recovery when a release recovery failed', async () => {
      // Arrange
      givenReleaseRecord('IN_PROGRESS');
      givenStartSucceeds();
      const event = statusChange(`${RELEASE_ID}-recovery-1`, 'FAILED', {
        input: releaseRecoveryInput(),
        error: 'States.TaskFailed',
        cause: 'unwind could not move traffic back',
      });

      // Act
      const result = await handler(event);

      // Assert
      expect(result).toEqual({ action: 'recovery-started', execution: `${RELEASE_ID}-recovery-2` });
      expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true });
      expect(starts()).toEqual([
        {
          stateMachineArn: STATE_MACHINE_ARN,
          name: `${RELEASE_ID}-recovery-2`,
          input: JSON.stringify({
            recoverRelease: RELEASE_ID,
            error: 'ExecutionFailed',
            cause: `execution ${RELEASE_ID}-recovery-1 ended FAILED (States.TaskFailed: unwind could not move traffic back)`,
          }),
        },
      ]);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it(`gives up after ${MAX_RECOVERY_ATTEMPTS} failed release recoveries, recording ROLLBACK_FAILED naming the services`, async () => {
      // Arrange
      givenReleaseRecord('IN_PROGRESS');
      givenReleaseFinishSucceeds();
      const event = statusChange(`${RELEASE_ID}-recovery-3`, 'FAILED', {
        input: releaseRecoveryInput(),
        error: 'States.TaskFailed',
        cause: 'unwind could not move traffic back',
      });

      // Act
      const result = await handler(event);

      // Assert
      expect(result).toEqual({ action: 'gave-up', attempts: 3 });
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      const [write] = updates();
      expect(updates()).toHaveLength(1);
      expect(write).toMatchObject({ TableName: TABLE, Key: RELEASE_KEY, ConditionExpression: STILL_RUNNING, ReturnValues: 'ALL_NEW' });
      const { pk: _pk, sk: _sk, ...stored } = releaseItem('IN_PROGRESS');
      expect(updatedFields(write)).toEqual({
        ...stored,
        status: 'ROLLBACK_FAILED',
        outcomeReason:
          `RecoveryFailed: 3 recovery executions did not finish the joint rollback; last: execution ${RELEASE_ID}-recovery-3 ended FAILED ` +
          '(States.TaskFailed: unwind could not move traffic back). Check the listener weights of api, web, worker.',
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
      expect(metricNames(metrics)).toEqual(['ReleaseRollbackFailed', 'ReleaseDuration']);
    });

    it('keeps the locks of the release services when it gives up', async () => {
      // Arrange
      givenReleaseRecord('IN_PROGRESS');
      givenReleaseFinishSucceeds();
      dynamoMock.on(DeleteCommand).resolves({});

      // Act
      await handler(statusChange(`${RELEASE_ID}-recovery-3`, 'FAILED', { input: releaseRecoveryInput() }));

      // Assert
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
      expect(updates().map((update) => update.Key)).toEqual([RELEASE_KEY]);
    });
  });

  describe('the periodic sweep (a "Scheduled Event"; lambdas/backstop/sweep.ts)', () => {
    const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
    const RULE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:rule/baton-production-BackstopSweep`;
    const SCHEDULED = {
      version: '0',
      id: 'a1b2c3d4-0000-4000-8000-00000000005c',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: '2025-03-04T10:10:00Z',
      region: REGION,
      resources: [RULE_ARN],
      detail: {},
    };
    const DEPLOYMENT_INPUT = JSON.stringify({ service: 'web', imageTag: NEW_TAG, trigger: 'cli' });

    function givenLock(holder: string | undefined) {
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true }).resolves(
        holder
          ? {
              Item: {
                ...LOCK_KEY,
                service: 'web',
                deploymentId: holder,
                executionArn: executionArn(holder),
                imageRef: `tag:${NEW_TAG}`,
                acquiredAt: STARTED_AT,
                leaseExpiresAt: Math.floor(Date.parse(NOW) / 1000) + 600,
              },
            }
          : {},
      );
    }

    /** DescribeExecution of the lock holder, as Step Functions answers it. */
    function givenExecution(status: string, fields: { error?: string; cause?: string } = {}) {
      sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn(DEPLOYMENT_ID) }).resolves({
        executionArn: executionArn(DEPLOYMENT_ID),
        stateMachineArn: STATE_MACHINE_ARN,
        name: DEPLOYMENT_ID,
        status: status as 'RUNNING',
        input: DEPLOYMENT_INPUT,
        startDate: new Date(STARTED_AT),
        ...(status === 'RUNNING' ? {} : { stopDate: new Date(NOW) }),
        ...fields,
      });
    }

    beforeEach(() => {
      vi.stubEnv('BATON_CONFIG', JSON.stringify(rawExampleConfig()));
    });

    it('finds nothing open when the lock is free and nothing is queued: it reads the lock and the queue, nothing else', async () => {
      // Arrange
      givenLock(undefined);

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([{ service: 'web', action: 'free' }]);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([LOCK_KEY, QUEUE_KEY]);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('leaves an open record alone while the execution holding the lock still runs: no record read, nothing started', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      givenExecution('RUNNING');
      givenRecord('IN_PROGRESS');

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([{ service: 'web', action: 'held', holder: DEPLOYMENT_ID, status: 'RUNNING' }]);
      expect(starts()).toEqual([]);
      expect(dynamoMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([LOCK_KEY]);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('starts the recovery of an open record whose lock holder ended ABORTED, with the name and input the event would give', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      givenExecution('ABORTED');
      givenRecord('IN_PROGRESS');
      givenStartSucceeds();

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([
        {
          service: 'web',
          action: 'ended',
          holder: DEPLOYMENT_ID,
          status: 'ABORTED',
          result: { action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-1` },
        },
      ]);
      expect(starts()).toEqual([
        {
          stateMachineArn: STATE_MACHINE_ARN,
          name: `${DEPLOYMENT_ID}-recovery-1`,
          input: JSON.stringify({ recover: DEPLOYMENT_ID, error: 'ExecutionAborted', cause: `execution ${DEPLOYMENT_ID} ended ABORTED` }),
        },
      ]);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('starts one recovery for a record the status-change event and the sweep both find: the same name and input, the second finds it (ExecutionAlreadyExists)', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      givenExecution('FAILED', { error: 'States.Runtime', cause: "An error occurred while executing the state 'Check bake'" });
      givenRecord('IN_PROGRESS');
      const started = new Set<string>();
      sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => {
        if (started.has(input.name))
          throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${input.name}'`, $metadata: {} });
        started.add(input.name);
        return { executionArn: executionArn(input.name), startDate: new Date(NOW) };
      });

      // Act
      const byEvent = await handler(
        statusChange(DEPLOYMENT_ID, 'FAILED', {
          error: 'States.Runtime',
          cause: "An error occurred while executing the state 'Check bake'",
        }),
      );
      const bySweep = await handler(SCHEDULED);

      // Assert
      expect(byEvent).toEqual({ action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-1` });
      expect(bySweep).toEqual([{ service: 'web', action: 'ended', holder: DEPLOYMENT_ID, status: 'FAILED', result: byEvent }]);
      const [first, second, ...more] = starts();
      expect(more).toEqual([]);
      expect(second).toEqual(first);
      expect(JSON.parse(first?.input ?? 'null')).toEqual({
        recover: DEPLOYMENT_ID,
        error: 'ExecutionFailed',
        cause: `execution ${DEPLOYMENT_ID} ended FAILED (States.Runtime: An error occurred while executing the state 'Check bake')`,
      });
      expect(started).toEqual(new Set([`${DEPLOYMENT_ID}-recovery-1`]));
    });

    it('does nothing for a lock whose holder ended with its record closed (ROLLBACK_FAILED keeps the lock for an operator)', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      givenExecution('FAILED');
      givenRecord('ROLLBACK_FAILED');

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([
        {
          service: 'web',
          action: 'ended',
          holder: DEPLOYMENT_ID,
          status: 'FAILED',
          result: {
            action: 'none',
            reason: `deployment ${DEPLOYMENT_ID} already ended ROLLBACK_FAILED`,
          },
        },
      ]);
      expect(starts()).toEqual([]);
    });

    it("starts the image queued behind a deployment that ended while the lock is free, on the stack's state machine in the rule's partition", async () => {
      // Arrange
      const QUEUED_BY = 'web-20250304-100100-9c9c';
      givenLock(undefined);
      givenRecord('ROLLED_BACK');
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: QUEUE_KEY, ConsistentRead: true }).resolves({
        Item: {
          ...QUEUE_KEY,
          service: 'web',
          deploymentId: QUEUED_BY,
          executionArn: executionArn(QUEUED_BY),
          request: { service: 'web', imageTag: 'v1.4.3', trigger: 'ecr', hotfix: false, dryRun: false },
          repositoryName: 'web',
          imageRef: 'tag:v1.4.3',
          pushedAtMs: Date.parse('2025-03-04T10:01:00.000Z'),
          queuedAt: '2025-03-04T10:01:30.000Z',
          behind: DEPLOYMENT_ID,
        },
      });
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: QUEUE_KEY }).resolves({});
      givenStartSucceeds();

      // Act
      const result = await handler({ ...SCHEDULED, resources: [RULE_ARN.replace('arn:aws:', 'arn:aws-cn:')] });

      // Assert
      expect(result).toEqual([
        { service: 'web', action: 'free', queue: { action: 'started', execution: `${QUEUED_BY}-dequeued`, queuedFrom: QUEUED_BY } },
      ]);
      expect(starts().map((start) => [start.stateMachineArn, start.name])).toEqual([
        [STATE_MACHINE_ARN.replace('arn:aws:', 'arn:aws-cn:'), `${QUEUED_BY}-dequeued`],
      ]);
      expect(dynamoMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([
        LOCK_KEY,
        QUEUE_KEY,
        LOCK_KEY,
        RECORD_KEY,
      ]);
    });

    it('leaves a lock whose execution Step Functions no longer knows to the next deployment (it reclaims it), and starts nothing', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      sfnMock
        .on(DescribeExecutionCommand, { executionArn: executionArn(DEPLOYMENT_ID) })
        .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([{ service: 'web', action: 'held', holder: DEPLOYMENT_ID, status: 'DOES_NOT_EXIST' }]);
      expect(starts()).toEqual([]);
    });

    it('reports a malformed lock item as the failure of that service, naming the field, and starts nothing', async () => {
      // Arrange
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
        .resolves({ Item: { ...LOCK_KEY, service: 'web', deploymentId: DEPLOYMENT_ID } });
      const log = spyOnLogger();

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([
        {
          service: 'web',
          action: 'failed',
          error: expect.stringMatching(/^ContractViolationError: lock of web is malformed: executionArn: /),
        },
      ]);
      expect(log.text()).toContain('"sweep of a service failed"');
      expect(sfnMock).not.toHaveReceivedAnyCommand();
    });

    it.each([
      ['a scheduled event of another source', { ...SCHEDULED, source: 'aws.scheduler' }],
      ['a scheduled event without its rule', { ...SCHEDULED, resources: [] }],
    ])('refuses %s with ContractViolationError, calling nothing', async (_what, event) => {
      // Act
      const error = await failure(handler(event));

      // Assert
      expect(error).toBeInstanceOf(ContractViolationError);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });
  });

  describe('recoveryExecutionName', () => {
    it('appends the attempt to a short deployment id', () => {
      // Act
      const name = recoveryExecutionName(DEPLOYMENT_ID, 1);

      // Assert
      expect(name).toBe(`${DEPLOYMENT_ID}-recovery-1`);
    });

    it.each([
      [3, `${'w'.repeat(69)}-recovery-3`],
      [10, `${'w'.repeat(68)}-recovery-10`],
    ])('keeps a 78-character id within the 80 characters Step Functions allows (attempt %i)', (attempt, expected) => {
      // Arrange
      const id = 'w'.repeat(78);

      // Act
      const name = recoveryExecutionName(id, attempt);

      // Assert
      expect(name).toBe(expected);
      expect(name).toHaveLength(80);
    });

    it('chains recoveries of a long deployment id through its shortened recovery names', async () => {
      // Arrange
      const id = 'w'.repeat(78);
      givenRecord('IN_PROGRESS', id);
      givenStartSucceeds();
      const event = statusChange(`${'w'.repeat(69)}-recovery-1`, 'FAILED', { input: recoveryInput(id) });

      // Act
      const result = await handler(event);

      // Assert
      expect(result).toEqual({ action: 'recovery-started', execution: `${'w'.repeat(69)}-recovery-2` });
      expect(starts().map((start) => start.name)).toEqual([`${'w'.repeat(69)}-recovery-2`]);
    });
  });

  describe('what the execution history adds (issue 14, item 7) and recovery inputs started by hand (item 5)', () => {
    it('passes the cause StopExecution gave ("baton abort --reason") to the recovery, from the history', async () => {
      // Arrange: the status-change event carries no error or cause; the history's ExecutionAborted event does.
      givenRecord('IN_PROGRESS');
      givenStartSucceeds();
      sfnMock.on(GetExecutionHistoryCommand, { executionArn: EXECUTION_ARN }).resolves({
        events: [
          {
            id: 12,
            timestamp: new Date(NOW),
            type: 'ExecutionAborted',
            executionAbortedEventDetails: { error: 'AbortedByOperator', cause: 'aborted by alice: wrong image' },
          },
        ],
      });

      // Act
      await handler(statusChange(DEPLOYMENT_ID, 'ABORTED'));

      // Assert
      expect(starts().map((start) => JSON.parse(start.input ?? '{}'))).toEqual([
        {
          recover: DEPLOYMENT_ID,
          error: 'ExecutionAborted',
          cause: `execution ${DEPLOYMENT_ID} ended ABORTED (AbortedByOperator: aborted by alice: wrong image)`,
        },
      ]);
    });

    it('keeps the rejection of an execution stopped while it recorded it, before it had a record', async () => {
      // Arrange
      givenRecord(undefined);
      givenFinishSucceeds();
      const rejection = { Error: 'UnknownServiceError', Cause: '{"errorType":"UnknownServiceError","errorMessage":"service: billing"}' };
      sfnMock.on(GetExecutionHistoryCommand, { executionArn: EXECUTION_ARN }).resolves({
        events: [
          { id: 9, timestamp: new Date(NOW), type: 'ExecutionAborted', executionAbortedEventDetails: {} },
          {
            id: 8,
            timestamp: new Date(NOW),
            type: 'TaskStateEntered',
            stateEnteredEventDetails: { name: 'Record rejection', input: JSON.stringify({ error: rejection, failedPhase: 'Initialize' }) },
          },
        ],
      });

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'ABORTED'));

      // Assert
      expect(result).toEqual({ action: 'recorded', status: 'REJECTED' });
      expect(updatedFields(updates()[0] as UpdateCommandInput)).toMatchObject({
        status: 'REJECTED',
        outcomeReason: 'UnknownServiceError: service: billing',
        evidence: ['stopped in: Record rejection', 'failed in: Initialize', 'signal: UnknownServiceError: service: billing'],
      });
    });

    it('starts nothing and writes nothing when a recovery input names a deployment whose execution still runs', async () => {
      // Arrange: {"recover": DEPLOYMENT_ID} started by hand as "by-hand" was refused and failed.
      givenRecord('IN_PROGRESS');
      sfnMock.on(DescribeExecutionCommand, { executionArn: EXECUTION_ARN }).resolves({ status: 'RUNNING' });

      // Act
      const result = await handler(statusChange('by-hand', 'FAILED', { input: recoveryInput(DEPLOYMENT_ID) }));

      // Assert
      expect(result).toEqual({ action: 'none', reason: `deployment ${DEPLOYMENT_ID} is still running (RUNNING)` });
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('reads {"recover": ""} as no recovery: the execution itself is looked up', async () => {
      // Arrange
      givenRecord('REJECTED', 'by-hand');

      // Act
      const result = await handler(statusChange('by-hand', 'FAILED', { input: JSON.stringify({ recover: '' }) }));

      // Assert
      expect(result).toEqual({ action: 'none', reason: 'deployment by-hand already ended REJECTED' });
    });
  });
});
