import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { ClientException, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DuplicateTriggerError, RollbackTargetError, SecretVersionGoneError } from '../../../../lambdas/shared/errors.ts';
import { handler } from '../../../../lambdas/validate/index.ts';
import { failure } from '../../../support/aws.ts';
import {
  ACCOUNT,
  initialState,
  LIVE_TASK_DEFINITION_ARN,
  OLD_IMAGE_URI,
  REPOSITORY_URI,
  SECRET_VERSION_ID,
} from '../../../support/state.ts';
import {
  arrangeEveryCheckPasses,
  dynamoMock,
  ecrMock,
  ecsMock,
  givenImage,
  imageReads,
  LIVE_SECRET_VERSION_ID,
  secretArn,
  secretStages,
  secretsMock,
} from '../../../support/validate.ts';

const TABLE = 'baton-test-deployments';

describe('validate', () => {
  beforeEach(() => {
    // Arrange (shared): an account in which every check passes.
    arrangeEveryCheckPasses();
  });

  describe('with rollbackTo', () => {
    const ROLLBACK_ID = 'web-v1_3_9-20250301T080000Z';
    const ROLLBACK_TAG = 'v1.3.9';
    const ROLLBACK_DIGEST = `sha256:${'c3'.repeat(32)}`;
    const ROLLBACK_IMAGE_URI = `${REPOSITORY_URI}@${ROLLBACK_DIGEST}`;
    const ROLLBACK_TASK_DEFINITION_ARN = LIVE_TASK_DEFINITION_ARN.replace(/:41$/, ':39');
    /** The app-config version the release of ROLLBACK_ID pinned; kept by a custom staging label. */
    const ROLLBACK_SECRET_VERSION_ID = 'a11ce000-9876-4fed-8cba-0123456789cd';
    const RECORD_KEY = { pk: `DEPLOYMENT#${ROLLBACK_ID}`, sk: 'RECORD' };

    function rollbackState(fields: { dryRun?: boolean } = {}) {
      return initialState({
        request: {
          service: 'web',
          rollbackTo: ROLLBACK_ID,
          hotfix: true,
          dryRun: fields.dryRun ?? false,
          reason: `rollback to ${ROLLBACK_ID}`,
          trigger: 'cli',
        },
        strategy: { type: 'all-at-once' },
        bakeSeconds: 60,
      });
    }

    function givenRecord(fields: Record<string, unknown> | undefined) {
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves(
        fields
          ? {
              Item: {
                ...RECORD_KEY,
                deploymentId: ROLLBACK_ID,
                service: 'web',
                status: 'SUCCEEDED',
                executionArn: `arn:aws:states:eu-west-1:${ACCOUNT}:execution:baton-production:${ROLLBACK_ID}`,
                startedAt: '2025-03-01T08:00:00.000Z',
                trigger: 'cli',
                imageTag: ROLLBACK_TAG,
                imageDigest: ROLLBACK_DIGEST,
                newTaskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN,
                ...fields,
              },
            }
          : {},
      );
    }

    beforeEach(() => {
      // Arrange (shared): web-v1_3_9 succeeded with task definition web:39, its image and secret version still exist.
      givenRecord({});
      ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: ROLLBACK_TASK_DEFINITION_ARN }).resolves({
        taskDefinition: {
          taskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN,
          family: 'web',
          status: 'ACTIVE',
          containerDefinitions: [
            {
              name: 'web',
              image: ROLLBACK_IMAGE_URI,
              secrets: [
                { name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::${ROLLBACK_SECRET_VERSION_ID}` },
                { name: 'SESSION_SECRET', valueFrom: `${secretArn}:SESSION_SECRET::${ROLLBACK_SECRET_VERSION_ID}` },
              ],
            },
            { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable' },
          ],
        },
      });
      ecrMock
        .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageDigest: ROLLBACK_DIGEST }] })
        .resolves({ imageDetails: [{ registryId: ACCOUNT, repositoryName: 'web', imageDigest: ROLLBACK_DIGEST, imageTags: [] }] });
      secretStages({
        [SECRET_VERSION_ID]: ['AWSCURRENT'],
        [LIVE_SECRET_VERSION_ID]: ['AWSPREVIOUS'],
        [ROLLBACK_SECRET_VERSION_ID]: ['release-v1.3.9'],
      });
    });

    it('names the release it restores and takes its image by digest with the tag of the record', async () => {
      // Arrange: the record and the release exist (beforeEach).

      // Act
      const state = await handler(rollbackState());

      // Assert
      expect(state.restore).toEqual({ deploymentId: ROLLBACK_ID, taskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN });
      expect(state.image).toEqual({ repositoryName: 'web', tag: ROLLBACK_TAG, digest: ROLLBACK_DIGEST, uri: ROLLBACK_IMAGE_URI });
      expect(state.secret).toBeUndefined();
      expect(state.configDiff).toBeUndefined();
    });

    it('reads the record, the release task definition, the image by digest and the secret versions, but no secret value', async () => {
      // Arrange: the record and the release exist (beforeEach).

      // Act
      await handler(rollbackState());

      // Assert
      expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true });
      expect(ecsMock).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: ROLLBACK_TASK_DEFINITION_ARN });
      expect(ecrMock).toHaveReceivedCommandExactlyOnceWith(DescribeImagesCommand, {
        repositoryName: 'web',
        imageIds: [{ imageDigest: ROLLBACK_DIGEST }],
      });
      expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(DescribeSecretCommand, { SecretId: secretArn });
      expect(secretsMock).not.toHaveReceivedCommand(GetSecretValueCommand);
    });

    it('redeploys a release older than the live image without comparing push times: a rollback goes back on purpose', async () => {
      // Arrange
      givenImage({ imageDigest: ROLLBACK_DIGEST }, { imageDigest: ROLLBACK_DIGEST, imagePushedAt: new Date('2025-02-20T08:00:00.000Z') });

      // Act
      const state = await handler(rollbackState());

      // Assert
      expect(state.image?.digest).toBe(ROLLBACK_DIGEST);
      expect(imageReads()).toEqual([{ repositoryName: 'web', imageIds: [{ imageDigest: ROLLBACK_DIGEST }] }]);
    });

    it('plans to redeploy the task definition of the release as it is for a dry run', async () => {
      // Arrange
      const dryRun = rollbackState({ dryRun: true });

      // Act
      const state = await handler(dryRun);

      // Assert
      expect(state.plan).toEqual({
        service: 'web',
        liveColour: 'blue',
        targetColour: 'green',
        image: { current: OLD_IMAGE_URI, next: ROLLBACK_IMAGE_URI },
        taskDefinition: {
          base: ROLLBACK_TASK_DEFINITION_ARN,
          family: 'web',
          changes: [`redeploy task definition ${ROLLBACK_TASK_DEFINITION_ARN} of ${ROLLBACK_ID} as it is (image ${ROLLBACK_IMAGE_URI})`],
        },
        secretVersions: { current: [LIVE_SECRET_VERSION_ID] },
        restores: { deploymentId: ROLLBACK_ID, taskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN },
        traffic: [{ weight: 100, pauseSeconds: 0 }],
        bakeSeconds: 60,
      });
    });

    it('fails with SecretVersionGoneError naming the deleted version the release pinned', async () => {
      // Arrange
      secretStages({ [SECRET_VERSION_ID]: ['AWSCURRENT'], [LIVE_SECRET_VERSION_ID]: ['AWSPREVIOUS'] });

      // Act
      const error = await failure(handler(rollbackState()));

      // Assert
      expect(error).toBeInstanceOf(SecretVersionGoneError);
      expect(error.message).toBe(
        `release ${ROLLBACK_ID} pinned app-config secret ${secretArn} version ${ROLLBACK_SECRET_VERSION_ID} (deleted); it can no longer be redeployed exactly. Nothing was changed`,
      );
    });

    it('fails with SecretVersionGoneError when the pinned version has no staging label left', async () => {
      // Arrange
      secretStages({
        [SECRET_VERSION_ID]: ['AWSCURRENT'],
        [LIVE_SECRET_VERSION_ID]: ['AWSPREVIOUS'],
        [ROLLBACK_SECRET_VERSION_ID]: [],
      });

      // Act
      const error = await failure(handler(rollbackState()));

      // Assert
      expect(error).toBeInstanceOf(SecretVersionGoneError);
      expect(error.message).toBe(
        `release ${ROLLBACK_ID} pinned app-config secret ${secretArn} version ${ROLLBACK_SECRET_VERSION_ID} (no staging label left); it can no longer be redeployed exactly. Nothing was changed`,
      );
    });

    it.each<[string, Record<string, unknown> | undefined, string]>([
      ['no record', undefined, `rollbackTo: no deployment ${ROLLBACK_ID} of web; see "baton history web"`],
      ['a record of another service', { service: 'api' }, `rollbackTo: no deployment ${ROLLBACK_ID} of web; see "baton history web"`],
      [
        'a record that ended ROLLED_BACK',
        { status: 'ROLLED_BACK' },
        `rollbackTo: deployment ${ROLLBACK_ID} ended ROLLED_BACK; only a revision that succeeded can be redeployed; see "baton history web"`,
      ],
      [
        'a record without a task definition',
        { newTaskDefinitionArn: undefined },
        `rollbackTo: deployment ${ROLLBACK_ID} recorded no task definition`,
      ],
    ])('fails with RollbackTargetError for %s, before reading the image or the secret', async (_case, fields, message) => {
      // Arrange
      givenRecord(fields);

      // Act
      const error = await failure(handler(rollbackState()));

      // Assert
      expect(error).toBeInstanceOf(RollbackTargetError);
      expect(error.message).toBe(message);
      expect(ecrMock).not.toHaveReceivedCommand(DescribeImagesCommand);
      expect(secretsMock).not.toHaveReceivedAnyCommand();
    });

    it('fails with RollbackTargetError when the task definition of the release is gone', async () => {
      // Arrange
      ecsMock
        .on(DescribeTaskDefinitionCommand, { taskDefinition: ROLLBACK_TASK_DEFINITION_ARN })
        .rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } }));

      // Act
      const error = await failure(handler(rollbackState()));

      // Assert
      expect(error).toBeInstanceOf(RollbackTargetError);
      expect(error.message).toBe(
        `rollbackTo: task definition ${ROLLBACK_TASK_DEFINITION_ARN} of ${ROLLBACK_ID} is gone: Unable to describe task definition.`,
      );
    });

    it('fails with DuplicateTriggerError when the live colour already runs the task definition of the release', async () => {
      // Arrange
      givenRecord({ newTaskDefinitionArn: LIVE_TASK_DEFINITION_ARN });

      // Act
      const error = await failure(handler(rollbackState()));

      // Assert
      expect(error).toBeInstanceOf(DuplicateTriggerError);
      expect(error.message).toBe(
        `web already runs the revision of ${ROLLBACK_ID} (${LIVE_TASK_DEFINITION_ARN}) on blue; nothing to roll back`,
      );
      expect(ecrMock).not.toHaveReceivedCommand(DescribeImagesCommand);
    });
  });
});
