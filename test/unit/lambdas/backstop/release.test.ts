/**
 * The backstop (lambdas/backstop/index.ts) on a multi-service release: release recoveries and the release record.
 */
import { readFileSync } from 'node:fs';
import { DescribeExecutionCommand, ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { handler, MAX_RECOVERY_ATTEMPTS } from '../../../../lambdas/backstop/index.ts';
import { updatedFields } from '../../../support/aws.ts';
import {
  dynamoMock,
  EXPIRES_AT,
  executionArn,
  givenStartSucceeds,
  STATE_MACHINE_ARN,
  STILL_RUNNING,
  setUpBackstop,
  sfnMock,
  starts,
  statusChange,
  TABLE,
  updates,
} from '../../../support/backstop.ts';
import { THREE_SERVICES_CONFIG_PATH } from '../../../support/config.ts';
import { lockItem } from '../../../support/items.ts';
import { ACCOUNT, NEW_TAG, NOW, REGION, STARTED_AT } from '../../../support/state.ts';
import { metricNames } from '../../../support/telemetry.ts';

describe('backstop', () => {
  const metrics = setUpBackstop();

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
      expect(metricNames(metrics())).toEqual(['ReleaseRejected', 'ReleaseDuration']);
      expect(metrics()[0]).toMatchObject({ service: 'release', deploymentId: RELEASE_ID, ReleaseRejected: 1, ReleaseDuration: 2 });
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
        expect(metrics()).toEqual([]);
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
      expect(metricNames(metrics())).toEqual(['ReleaseRollbackFailed', 'ReleaseDuration']);
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
});
