/**
 * The backstop (lambdas/backstop/index.ts) recovering a deployment left IN_PROGRESS: the recovery executions it starts,
 * when it gives up, their names, and what the execution history adds.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler, MAX_RECOVERY_ATTEMPTS, recoveryExecutionName } from '../../../../lambdas/backstop/index.ts';
import { failure, isPhaseBookkeeping, isPhaseRun, updatedFields } from '../../../support/aws.ts';
import {
  dynamoMock,
  EXPIRES_AT,
  givenFinishSucceeds,
  givenRecord,
  givenStartSucceeds,
  RECORD_KEY,
  recoveryInput,
  STATE_MACHINE_ARN,
  STILL_RUNNING,
  setUpBackstop,
  sfnMock,
  starts,
  statusChange,
  TABLE,
  updates,
} from '../../../support/backstop.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NEW_TAG, NOW, STARTED_AT } from '../../../support/state.ts';
import { metricNames, spyOnLogger } from '../../../support/telemetry.ts';

describe('backstop', () => {
  const metrics = setUpBackstop();

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

    it('counts a failed execution left without its outcome (ExecutionFailedWithoutOutcome, dimension service "pipeline"), not a stopped one', async () => {
      // Arrange
      givenRecord('IN_PROGRESS');
      givenStartSucceeds();

      // Act
      await handler(statusChange(DEPLOYMENT_ID, 'ABORTED'));
      const afterAbort = metricNames(metrics());
      await handler(statusChange(DEPLOYMENT_ID, 'FAILED', { error: 'States.Runtime', cause: 'bad path' }));

      // Assert
      expect(afterAbort).toEqual([]);
      expect(metrics()).toEqual([
        expect.objectContaining({
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              { Namespace: 'Baton', Dimensions: [['service']], Metrics: [{ Name: 'ExecutionFailedWithoutOutcome', Unit: 'Count' }] },
            ],
          }),
          service: 'pipeline',
          deploymentId: DEPLOYMENT_ID,
          ExecutionFailedWithoutOutcome: 1,
        }),
      ]);
    });

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
      expect(metricNames(metrics())).toEqual(['DeploymentRollbackFailed', 'DeploymentDuration']);
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
