import { PublishCommand } from '@aws-sdk/client-sns';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/finish-release/index.ts';
import { conditionFailed, updatedFields } from '../../../support/aws.ts';
import {
  deploymentIdOf,
  dynamoMock,
  EXECUTION_ARN,
  EXPIRES_AT,
  givenRecords,
  givenRelease,
  IMAGE_MESSAGE,
  IMAGES,
  NAMES,
  RELEASE,
  RELEASE_ID,
  RELEASE_INPUT,
  RELEASE_RECORD,
  recordKeyOf,
  releaseState,
  releaseUpdate,
  STARTED_AT,
  snsMock,
  subjects,
  TABLE,
  updatesOf,
  useOpenRelease,
} from '../../../support/finish-release.ts';
import { caughtLambdaError, NOW } from '../../../support/state.ts';
import { metricNames } from '../../../support/telemetry.ts';

/** What record-failure noted when web failed validation. */
const WEB_CAUSE = {
  service: 'web',
  deploymentId: deploymentIdOf('web'),
  failedPhase: 'Validate',
  error: 'ImageNotFoundError',
  message: IMAGE_MESSAGE,
};

describe('finish release', () => {
  const metrics = useOpenRelease();

  describe('rejected, after web failed validation', () => {
    const REASON = `release ${RELEASE} rejected before any change: web failed in Validate: ImageNotFoundError: ${IMAGE_MESSAGE}`;

    beforeEach(() => {
      givenRelease({ cause: WEB_CAUSE });
      givenRecords({ api: 'IN_PROGRESS', web: 'IN_PROGRESS', worker: 'IN_PROGRESS' });
    });

    function rejected() {
      return { kind: 'rejected' as const, state: releaseState({ error: caughtLambdaError('ImageNotFoundError', IMAGE_MESSAGE) }) };
    }

    it("closes web's record REJECTED with its own error and the state that failed", async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      const [update, ...more] = updatesOf(recordKeyOf('web').pk);
      expect(more).toEqual([]);
      expect(update?.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      );
      expect(updatedFields(update)).toMatchObject({
        status: 'REJECTED',
        failedPhase: 'Validate',
        outcomeReason: `ImageNotFoundError: ${IMAGE_MESSAGE}`,
        endedAt: NOW,
      });
    });

    it('closes the records of the other services REJECTED, naming the service that failed', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      for (const name of ['api', 'worker']) {
        const updates = updatesOf(recordKeyOf(name).pk);
        expect(updates).toHaveLength(1);
        expect(updatedFields(updates[0])).toMatchObject({
          status: 'REJECTED',
          outcomeReason: `ReleaseRejected: release ${RELEASE} was rejected (web failed in Validate: ImageNotFoundError: ${IMAGE_MESSAGE}); nothing was changed`,
        });
        expect(updatedFields(updates[0])).not.toHaveProperty('failedPhase');
      }
    });

    it('frees the lock of every service, only while its own deployment holds it', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      expect(dynamoMock.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual(
        NAMES.map((name) => ({
          TableName: TABLE,
          Key: { pk: `LOCK#${name}`, sk: 'LOCK' },
          ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
          ExpressionAttributeValues: { ':me': deploymentIdOf(name), ':execution': EXECUTION_ARN },
        })),
      );
    });

    it('ends the release record REJECTED with the cause, once', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      const update = releaseUpdate();
      expect(update.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      );
      expect(update.ReturnValues).toBe('ALL_NEW');
      const { pk: _pk, sk: _sk, ...stored } = RELEASE_RECORD;
      expect(updatedFields(update)).toEqual({
        ...stored,
        cause: WEB_CAUSE,
        status: 'REJECTED',
        outcomeReason: REASON,
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
    });

    it('returns REJECTED with the error of the service that failed', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      const result = await handler(rejected());

      // Assert
      expect(result).toEqual({ releaseId: RELEASE_ID, outcome: { status: 'REJECTED', error: 'ImageNotFoundError', cause: REASON } });
    });

    it('announces the release verdict and each service it closed', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      expect(subjects().sort()).toEqual([
        `Baton: api ${IMAGES.api} REJECTED`,
        `Baton: release ${RELEASE} api v1.1.0, web v1.4.2, worker v2.4.0 REJECTED`,
        `Baton: web ${IMAGES.web} REJECTED`,
        `Baton: worker ${IMAGES.worker} REJECTED`,
      ]);
      expect(metricNames(metrics())).toContain('ReleaseRejected');
    });

    it('leaves a service record that already ended as it is, and still frees its lock', async () => {
      // Arrange
      givenRecords({ worker: 'REJECTED' });

      // Act
      await handler(rejected());

      // Assert
      expect(updatesOf(recordKeyOf('worker').pk)).toEqual([]);
      expect(dynamoMock).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: 'LOCK#worker', sk: 'LOCK' } });
    });
  });

  describe('rejected by plan release', () => {
    it('writes a REJECTED release record of its own when plan release failed before the record existed', async () => {
      // Arrange
      const message = 'invalid release input: services.api.imageTag: give imageTag or imageDigest';
      givenRelease(undefined);
      const input = {
        kind: 'rejected' as const,
        state: {
          request: { ...RELEASE_INPUT, services: { api: {} } },
          deploymentId: RELEASE_ID,
          executionArn: EXECUTION_ARN,
          startedAt: STARTED_AT,
          error: caughtLambdaError('InvalidInputError', message),
        },
      };

      // Act
      const result = await handler(input);

      // Assert
      const reason = `release ${RELEASE} rejected before any change: InvalidInputError: ${message}`;
      expect(updatedFields(releaseUpdate())).toEqual({
        gsi1pk: 'RELEASES',
        gsi1sk: `${STARTED_AT}#${RELEASE_ID}`,
        releaseId: RELEASE_ID,
        release: RELEASE,
        status: 'REJECTED',
        executionArn: EXECUTION_ARN,
        startedAt: STARTED_AT,
        trigger: 'cli',
        shift: 'each',
        waves: [],
        services: {},
        cause: { error: 'InvalidInputError', message },
        outcomeReason: reason,
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
      expect(result).toEqual({ releaseId: RELEASE_ID, outcome: { status: 'REJECTED', error: 'InvalidInputError', cause: reason } });
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
      expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    });

    it('frees only the locks the release holds when a lock was taken by another deployment', async () => {
      // Arrange: plan release wrote the record, then found web locked; no service record exists.
      const message =
        'web is locked by deployment web-20250304-092000-1c2e; the release takes no lock (released api again) and changes nothing';
      givenRecords({ api: undefined, web: undefined, worker: undefined });
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: { pk: 'LOCK#web', sk: 'LOCK' } }).rejects(conditionFailed());

      // Act
      const result = await handler({
        kind: 'rejected',
        state: releaseState({ error: caughtLambdaError('DeploymentLockedError', message) }),
      });

      // Assert
      expect(result.outcome).toEqual({
        status: 'REJECTED',
        error: 'DeploymentLockedError',
        cause: `release ${RELEASE} rejected before any change: DeploymentLockedError: ${message}`,
      });
      expect(dynamoMock.commandCalls(DeleteCommand).map((call) => call.args[0].input.ExpressionAttributeValues)).toEqual(
        NAMES.map((name) => ({ ':me': deploymentIdOf(name), ':execution': EXECUTION_ARN })),
      );
      expect(NAMES.flatMap((name) => updatesOf(recordKeyOf(name).pk))).toEqual([]);
    });
  });
});
