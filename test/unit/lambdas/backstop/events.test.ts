/**
 * The backstop (lambdas/backstop/index.ts) on status-change events that start no recovery: the statuses and events it leaves
 * alone, the REJECTED record of an execution stopped before it wrote one, and records that already ended.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/backstop/index.ts';
import { ContractViolationError } from '../../../../lambdas/shared/errors.ts';
import { failure, updatedFields } from '../../../support/aws.ts';
import {
  dynamoMock,
  EXPIRES_AT,
  givenFinishSucceeds,
  givenRecord,
  QUEUE_KEY,
  RECORD_KEY,
  recoveryInput,
  STILL_RUNNING,
  setUpBackstop,
  sfnMock,
  statusChange,
  TABLE,
  updates,
} from '../../../support/backstop.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NEW_TAG, NOW, STARTED_AT } from '../../../support/state.ts';
import { metricNames } from '../../../support/telemetry.ts';

describe('backstop', () => {
  const metrics = setUpBackstop();

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
      expect(metricNames(metrics())).toEqual(['DeploymentRejected', 'DeploymentDuration']);
      expect(metrics()[0]).toMatchObject({ service: 'web', deploymentId: DEPLOYMENT_ID, DeploymentRejected: 1, DeploymentDuration: 2 });
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
      expect(metrics()).toEqual([]);
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
});
