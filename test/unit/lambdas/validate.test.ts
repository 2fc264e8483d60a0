import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, ECRClient, type ImageDetail, ImageNotFoundException } from '@aws-sdk/client-ecr';
import {
  ClientException,
  ClusterNotFoundException,
  type ContainerDefinition,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
} from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeReplicationGroupsCommand, ElastiCacheClient, ReplicationGroupNotFoundFault } from '@aws-sdk/client-elasticache';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AlarmFiringError,
  CacheNotReadyError,
  CacheNotServingError,
  DuplicateTriggerError,
  ImageNotFoundError,
  ListenerSplitError,
  ResourceMissingError,
  RollbackTargetError,
  SecretInvalidError,
  SecretVersionGoneError,
  SupersededError,
} from '../../../lambdas/shared/errors.ts';
import type { DeploymentState } from '../../../lambdas/shared/stages.ts';
import { handler, liveImageRef } from '../../../lambdas/validate/index.ts';
import { alarms, ecsService, failure, listenerWith, rejectByDefault, targets } from '../../support/aws.ts';
import {
  ACCOUNT,
  IDLE_TASK_DEFINITION_ARN,
  initialState,
  LIVE_COUNT,
  LIVE_TASK_DEFINITION_ARN,
  NEW_DIGEST,
  NEW_IMAGE_URI,
  NEW_TAG,
  OLD_DIGEST,
  OLD_IMAGE_URI,
  REPOSITORY_URI,
  SECRET_KEYS,
  SECRET_VERSION_ID,
  service,
} from '../../support/state.ts';

const web = service();
const secretArn = web.appConfig?.secretArn ?? '';
const cacheId = web.cache?.replicationGroupId ?? '';
const TABLE = 'baton-test-deployments';
/** When the live image (OLD_DIGEST) and the new one (NEW_DIGEST, tag NEW_TAG) were pushed to ECR. */
const OLD_PUSHED = new Date('2025-03-01T08:00:00.000Z');
const NEW_PUSHED = new Date('2025-03-04T09:45:00.000Z');
/** The version of the app-config secret the live (blue) release pinned: AWSPREVIOUS since the last rotation. */
const LIVE_SECRET_VERSION_ID = '20260801-0000-4000-8000-000000000000';

/** Values that must never appear in the payload, a log line or an error message. */
const SECRET_VALUES = {
  DATABASE_URL: 'postgres://web:Tr0ub4dor-and-3@db.internal:5432/web',
  SESSION_SECRET: 'correct-horse-battery-staple-9f8e7d',
  WORKER_CONCURRENCY: '8',
  LOG_LEVEL: 'info',
};
/** What the live release's version held: WORKER_CONCURRENCY came later, LEGACY_CHECKOUT went, the session secret was rotated. */
const LIVE_SECRET_VALUES = {
  DATABASE_URL: SECRET_VALUES.DATABASE_URL,
  SESSION_SECRET: 'rotated-away-session-secret-1a2b3c',
  LOG_LEVEL: 'info',
  LEGACY_CHECKOUT: 'legacy-checkout-token-4d5e6f',
};

describe('validate', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const ecrMock = mockClient(ECRClient);
  const secretsMock = mockClient(SecretsManagerClient);
  const cacheMock = mockClient(ElastiCacheClient);
  const cloudwatchMock = mockClient(CloudWatchClient);
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  /** DescribeSecret of the app-config secret: its versions and their staging labels. */
  function secretStages(versions: Record<string, string[]>) {
    secretsMock.on(DescribeSecretCommand, { SecretId: secretArn }).resolves({ ARN: secretArn, VersionIdsToStages: versions });
  }

  function secretValue(values: Record<string, string>, versionId = SECRET_VERSION_ID) {
    secretsMock.on(GetSecretValueCommand, { SecretId: secretArn, VersionId: versionId }).resolves({
      ARN: secretArn,
      VersionId: versionId,
      SecretString: JSON.stringify(values),
    });
  }

  function liveContainerImage(
    image: string,
    secrets: ContainerDefinition['secrets'] = [{ name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::${LIVE_SECRET_VERSION_ID}` }],
  ) {
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TASK_DEFINITION_ARN }).resolves({
      taskDefinition: {
        taskDefinitionArn: LIVE_TASK_DEFINITION_ARN,
        family: 'web',
        containerDefinitions: [
          { name: 'web', image, secrets },
          { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable' },
        ],
      },
    });
  }

  /** DescribeImages of one image of the web repository. */
  function givenImage(imageId: { imageTag: string } | { imageDigest: string }, detail: Omit<ImageDetail, 'registryId' | 'repositoryName'>) {
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [imageId] })
      .resolves({ imageDetails: [{ registryId: ACCOUNT, repositoryName: 'web', ...detail }] });
  }

  /** The inputs of every DescribeImages call, in order. */
  function imageReads() {
    return ecrMock.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input);
  }

  /** The inputs of every GetSecretValue call, in order. */
  function secretReads() {
    return secretsMock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input);
  }

  beforeEach(() => {
    // Arrange (shared): an account in which every check passes.
    rejectByDefault(ecsMock, elbMock, ecrMock, secretsMock, cacheMock, cloudwatchMock, dynamoMock);
    ecsMock
      .on(DescribeServicesCommand, { cluster: 'prod', services: ['web-blue'] })
      .resolves(ecsService('web-blue', { taskDefinition: LIVE_TASK_DEFINITION_ARN, desiredCount: LIVE_COUNT, runningCount: LIVE_COUNT }));
    ecsMock
      .on(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] })
      .resolves(ecsService('web-green', { taskDefinition: IDLE_TASK_DEFINITION_ARN, desiredCount: 0, runningCount: 0 }));
    liveContainerImage(OLD_IMAGE_URI);
    elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: web.blue.targetGroupArn }).resolves(targets(LIVE_COUNT));
    elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: web.green.targetGroupArn }).resolves(targets(0));
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [web.productionListenerArn] })
      .resolves(listenerWith(web, { blue: 100, green: 0 }));
    givenImage({ imageTag: NEW_TAG }, { imageDigest: NEW_DIGEST, imageTags: [NEW_TAG], imagePushedAt: NEW_PUSHED });
    // The push-time comparison reads the new image by digest and the live one by its reference.
    givenImage({ imageDigest: NEW_DIGEST }, { imageDigest: NEW_DIGEST, imageTags: [NEW_TAG], imagePushedAt: NEW_PUSHED });
    givenImage({ imageDigest: OLD_DIGEST }, { imageDigest: OLD_DIGEST, imageTags: ['v1.4.1'], imagePushedAt: OLD_PUSHED });
    secretStages({ [SECRET_VERSION_ID]: ['AWSCURRENT'], [LIVE_SECRET_VERSION_ID]: ['AWSPREVIOUS'] });
    secretValue(SECRET_VALUES);
    secretValue(LIVE_SECRET_VALUES, LIVE_SECRET_VERSION_ID);
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheId })
      .resolves({ ReplicationGroups: [{ ReplicationGroupId: cacheId, Status: 'available' }] });
    cloudwatchMock
      .on(DescribeAlarmsCommand, { AlarmNames: web.alarms, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })
      .resolves(alarms(web.alarms));
  });

  it('records what blue runs as the previous release', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.previous).toEqual({
      taskDefinitionArn: LIVE_TASK_DEFINITION_ARN,
      desiredCount: LIVE_COUNT,
      image: OLD_IMAGE_URI,
      idleTaskDefinitionArn: IDLE_TASK_DEFINITION_ARN,
      idleDesiredCount: 0,
      secrets: [{ arn: secretArn, versionId: LIVE_SECRET_VERSION_ID, keys: ['DATABASE_URL'] }],
    });
  });

  it('resolves the tag to the image digest and its URI by digest', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image).toEqual({ repositoryName: 'web', tag: NEW_TAG, digest: NEW_DIGEST, uri: NEW_IMAGE_URI });
  });

  it('pins the secret by ARN, version id and sorted key names', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.secret).toEqual({ arn: secretArn, versionId: SECRET_VERSION_ID, keys: SECRET_KEYS });
  });

  it('puts no secret value anywhere in its output', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    const output = JSON.stringify(state);
    for (const value of [
      SECRET_VALUES.DATABASE_URL,
      SECRET_VALUES.SESSION_SECRET,
      'Tr0ub4dor',
      LIVE_SECRET_VALUES.SESSION_SECRET,
      LIVE_SECRET_VALUES.LEGACY_CHECKOUT,
    ]) {
      expect(output).not.toContain(value);
    }
  });

  it('reads the image, the secret, the cache and the alarms with their exact inputs', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    await handler(initialState());

    // Assert
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] });
    expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(DescribeSecretCommand, { SecretId: secretArn });
    expect(secretReads()).toEqual([
      { SecretId: secretArn, VersionId: SECRET_VERSION_ID },
      { SecretId: secretArn, VersionId: LIVE_SECRET_VERSION_ID },
    ]);
    expect(cacheMock).toHaveReceivedCommandWith(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'web-cache' });
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['web-5xx-rate', 'web-p99-latency'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeServicesCommand, 2);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 2);
    expect(dynamoMock).not.toHaveReceivedCommand(GetCommand);
  });

  it('records which app-config keys the release adds, removes and changes against the live version, by name only', async () => {
    // Arrange: blue pinned LIVE_SECRET_VERSION_ID; AWSCURRENT is SECRET_VERSION_ID (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.configDiff).toEqual({
      secretArn,
      fromVersionId: LIVE_SECRET_VERSION_ID,
      toVersionId: SECRET_VERSION_ID,
      added: ['WORKER_CONCURRENCY'],
      removed: ['LEGACY_CHECKOUT'],
      changed: ['SESSION_SECRET'],
    });
    const diff = JSON.stringify(state.configDiff);
    for (const value of [
      SECRET_VALUES.DATABASE_URL,
      SECRET_VALUES.SESSION_SECRET,
      LIVE_SECRET_VALUES.SESSION_SECRET,
      LIVE_SECRET_VALUES.LEGACY_CHECKOUT,
    ]) {
      expect(diff).not.toContain(value);
    }
  });

  it('notes that there is nothing to compare with, and reads one version only, when the live release pinned no version', async () => {
    // Arrange
    liveContainerImage(OLD_IMAGE_URI, [{ name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::` }]);

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.previous?.secrets).toEqual([{ arn: secretArn, keys: ['DATABASE_URL'] }]);
    expect(state.configDiff).toEqual({
      secretArn,
      fromVersionId: null,
      toVersionId: SECRET_VERSION_ID,
      added: [],
      removed: [],
      changed: [],
      note: 'the live release does not pin a version of this secret, so there is nothing to compare with',
    });
    expect(secretReads()).toEqual([{ SecretId: secretArn, VersionId: SECRET_VERSION_ID }]);
  });

  it('adds a plan naming both images and the secret version for a dry run', async () => {
    // Arrange
    const dryRun = initialState({ request: { ...initialState().request, dryRun: true } });

    // Act
    const state = await handler(dryRun);

    // Assert
    expect(state.plan).toEqual({
      service: 'web',
      liveColour: 'blue',
      targetColour: 'green',
      image: { current: OLD_IMAGE_URI, next: NEW_IMAGE_URI },
      taskDefinition: {
        base: LIVE_TASK_DEFINITION_ARN,
        family: 'web',
        changes: [
          `container web image: ${OLD_IMAGE_URI} -> ${NEW_IMAGE_URI}`,
          `secrets ${SECRET_KEYS.join(', ')} pinned to version ${SECRET_VERSION_ID} of ${secretArn}`,
          `app config ${LIVE_SECRET_VERSION_ID} -> ${SECRET_VERSION_ID}: added [WORKER_CONCURRENCY], removed [LEGACY_CHECKOUT], changed [SESSION_SECRET]`,
        ],
      },
      secretVersions: { current: [LIVE_SECRET_VERSION_ID], next: SECRET_VERSION_ID },
      configDiff: {
        secretArn,
        fromVersionId: LIVE_SECRET_VERSION_ID,
        toVersionId: SECRET_VERSION_ID,
        added: ['WORKER_CONCURRENCY'],
        removed: ['LEGACY_CHECKOUT'],
        changed: ['SESSION_SECRET'],
      },
      traffic: [{ weight: 100, pauseSeconds: 0 }],
      bakeSeconds: 300,
    });
  });

  it('fails with ResourceMissingError when DescribeServices reports the idle service MISSING', async () => {
    // Arrange
    ecsMock.on(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] }).resolves({
      services: [],
      failures: [{ arn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/web-green`, reason: 'MISSING' }],
    });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe('ECS service web-green not found in cluster prod (MISSING)');
  });

  it('fails with ResourceMissingError when the cluster does not exist', async () => {
    // Arrange
    ecsMock.on(DescribeServicesCommand).rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe('ECS cluster prod not found');
  });

  it('fails with ResourceMissingError when a target group does not exist', async () => {
    // Arrange
    elbMock
      .on(DescribeTargetHealthCommand, { TargetGroupArn: web.green.targetGroupArn })
      .rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe(`target group ${web.green.targetGroupArn} not found`);
  });

  it('fails with ListenerSplitError when the listener is split', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [web.productionListenerArn] })
      .resolves(listenerWith(web, { blue: 50, green: 50 }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(error.message).toContain('split blue 50 % / green 50 %');
  });

  it('fails with ListenerSplitError when the live colour changed since initialize', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [web.productionListenerArn] })
      .resolves(listenerWith(web, { blue: 0, green: 100 }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(error.message).toBe('the live colour changed from blue to green since the deployment started');
  });

  it('fails with ResourceMissingError when the configured container is not in the live task definition', async () => {
    // Arrange
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TASK_DEFINITION_ARN }).resolves({
      taskDefinition: {
        taskDefinitionArn: LIVE_TASK_DEFINITION_ARN,
        family: 'web',
        containerDefinitions: [{ name: 'app', image: OLD_IMAGE_URI }],
      },
    });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe(`container "web" (config containerName) is not in task definition ${LIVE_TASK_DEFINITION_ARN}`);
  });

  it('fails with ImageNotFoundError when ECR does not have the tag', async () => {
    // Arrange
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] })
      .rejects(new ImageNotFoundException({ message: "The image with imageId {imageTag:'v1.4.2'} does not exist", $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(error.message).toBe(`image tag ${NEW_TAG} not found in ECR repository web`);
  });

  it('fails with DuplicateTriggerError when the live colour already runs the digest', async () => {
    // Arrange
    liveContainerImage(NEW_IMAGE_URI);

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(DuplicateTriggerError);
    expect(error.message).toBe(`web already runs ${NEW_DIGEST} on blue; nothing to deploy`);
  });

  it('reads the push times of the new image, by digest, and of the live image, by its digest', async () => {
    // Arrange: the live image is OLD_IMAGE_URI, pushed before the new one (beforeEach).

    // Act
    await handler(initialState());

    // Assert
    expect(imageReads()).toEqual([
      { repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] },
      { repositoryName: 'web', imageIds: [{ imageDigest: NEW_DIGEST }] },
      { repositoryName: 'web', imageIds: [{ imageDigest: OLD_DIGEST }] },
    ]);
  });

  it('fails with SupersededError, before reading the secret, when the new image was pushed before the live one', async () => {
    // Arrange
    givenImage({ imageDigest: NEW_DIGEST }, { imageDigest: NEW_DIGEST, imageTags: [NEW_TAG], imagePushedAt: OLD_PUSHED });
    givenImage({ imageDigest: OLD_DIGEST }, { imageDigest: OLD_DIGEST, imageTags: ['v1.4.1'], imagePushedAt: NEW_PUSHED });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SupersededError);
    expect(error.message).toBe(
      `${NEW_TAG} (pushed 2025-03-01T08:00:00.000Z) is older than the image live on blue (${OLD_IMAGE_URI}, pushed 2025-03-04T09:45:00.000Z); releases do not go backwards by accident (use "baton rollback" to go back)`,
    );
    expect(secretsMock).not.toHaveReceivedAnyCommand();
    expect(cacheMock).not.toHaveReceivedAnyCommand();
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('fails with ImageNotFoundError, reading nothing more, when the digest does not carry the pushedTag', async () => {
    // Arrange: an ECR trigger naming v9.9.9 for the digest tagged NEW_TAG.
    const pushed = initialState({
      request: { service: 'web', imageDigest: NEW_DIGEST, pushedTag: 'v9.9.9', hotfix: false, dryRun: false, trigger: 'ecr' },
    });

    // Act
    const error = await failure(handler(pushed));

    // Assert
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(error.message).toBe(`pushedTag: image ${NEW_DIGEST} in ECR repository web is not tagged v9.9.9 (its tags: ${NEW_TAG})`);
    expect(secretReads()).toEqual([]);
  });

  it('accepts a pushedTag the digest carries', async () => {
    const pushed = initialState({
      request: { service: 'web', imageDigest: NEW_DIGEST, pushedTag: NEW_TAG, hotfix: false, dryRun: false, trigger: 'ecr' },
    });

    expect((await handler(pushed)).image?.digest).toBe(NEW_DIGEST);
  });

  it('names the new image by digest in the SupersededError of a request by digest', async () => {
    // Arrange
    const byDigest = initialState({ request: { service: 'web', imageDigest: NEW_DIGEST, hotfix: false, dryRun: false, trigger: 'ecr' } });
    givenImage({ imageDigest: NEW_DIGEST }, { imageDigest: NEW_DIGEST, imagePushedAt: OLD_PUSHED });
    givenImage({ imageDigest: OLD_DIGEST }, { imageDigest: OLD_DIGEST, imagePushedAt: NEW_PUSHED });

    // Act
    const error = await failure(handler(byDigest));

    // Assert
    expect(error).toBeInstanceOf(SupersededError);
    expect(error.message).toBe(
      `${NEW_DIGEST} (pushed 2025-03-01T08:00:00.000Z) is older than the image live on blue (${OLD_IMAGE_URI}, pushed 2025-03-04T09:45:00.000Z); releases do not go backwards by accident (use "baton rollback" to go back)`,
    );
  });

  it('compares with a live image referenced by tag through that tag', async () => {
    // Arrange
    const liveByTag = `${REPOSITORY_URI}:v1.4.1`;
    liveContainerImage(liveByTag);
    givenImage(
      { imageTag: 'v1.4.1' },
      { imageDigest: OLD_DIGEST, imageTags: ['v1.4.1'], imagePushedAt: new Date('2025-03-04T09:50:00.000Z') },
    );

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SupersededError);
    expect(error.message).toBe(
      `${NEW_TAG} (pushed 2025-03-04T09:45:00.000Z) is older than the image live on blue (${liveByTag}, pushed 2025-03-04T09:50:00.000Z); releases do not go backwards by accident (use "baton rollback" to go back)`,
    );
  });

  it('passes when the new image was pushed after the live one', async () => {
    // Arrange: NEW_PUSHED is after OLD_PUSHED (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image).toEqual({ repositoryName: 'web', tag: NEW_TAG, digest: NEW_DIGEST, uri: NEW_IMAGE_URI });
  });

  it('compares no push times when the live image comes from another repository', async () => {
    // Arrange
    const foreign = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/web-legacy@${OLD_DIGEST}`;
    liveContainerImage(foreign);

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.previous?.image).toBe(foreign);
    expect(imageReads()).toEqual([{ repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] }]);
  });

  it('passes when ECR no longer knows the live image, so no order can be decided', async () => {
    // Arrange
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageDigest: OLD_DIGEST }] })
      .rejects(
        new ImageNotFoundException({ message: `The image with imageId {imageDigest:'${OLD_DIGEST}'} does not exist`, $metadata: {} }),
      );

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image?.digest).toBe(NEW_DIGEST);
  });

  it('passes when ECR reports no push time', async () => {
    // Arrange
    givenImage({ imageDigest: NEW_DIGEST }, { imageDigest: NEW_DIGEST, imageTags: [NEW_TAG] });
    givenImage({ imageDigest: OLD_DIGEST }, { imageDigest: OLD_DIGEST, imagePushedAt: NEW_PUSHED });

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image?.digest).toBe(NEW_DIGEST);
  });

  it('fails with SecretInvalidError when the secret does not exist', async () => {
    // Arrange
    secretsMock
      .on(DescribeSecretCommand, { SecretId: secretArn })
      .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${secretArn} not found`);
  });

  describe('a secret encrypted with a customer managed KMS key', () => {
    const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
    const KEY_ARN = `arn:aws:kms:eu-west-1:123456789012:key/${KEY_ID}`;
    const OTHER_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/0f0f0f0f-1111-2222-3333-444455556666';

    function encryptedWith(kmsKeyId: string) {
      secretsMock.on(DescribeSecretCommand, { SecretId: secretArn }).resolves({
        ARN: secretArn,
        KmsKeyId: kmsKeyId,
        VersionIdsToStages: { [SECRET_VERSION_ID]: ['AWSCURRENT'], [LIVE_SECRET_VERSION_ID]: ['AWSPREVIOUS'] },
      });
    }

    function withKey(kmsKeyArn: string | undefined): DeploymentState {
      const state = initialState();
      const appConfig = state.service.appConfig;
      if (!appConfig) throw new Error('the example service has no appConfig');
      return { ...state, service: { ...state.service, appConfig: { ...appConfig, ...(kmsKeyArn ? { kmsKeyArn } : {}) } } };
    }

    it('refuses it, reading no value, when appConfig.kmsKeyArn does not name the key', async () => {
      // Arrange
      encryptedWith(KEY_ARN);

      // Act
      const error = await failure(handler(withKey(undefined)));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(
        `app-config secret ${secretArn} is encrypted with the customer managed KMS key ${KEY_ARN}, which appConfig.kmsKeyArn does not name; set appConfig.kmsKeyArn to the ARN of that key, so the pipeline may decrypt the secret`,
      );
      expect(secretReads()).toEqual([]);
    });

    it('refuses it when appConfig.kmsKeyArn names another key', async () => {
      // Arrange: DescribeSecret names the key by its id.
      encryptedWith(KEY_ID);

      // Act
      const error = await failure(handler(withKey(OTHER_KEY_ARN)));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(
        `app-config secret ${secretArn} is encrypted with the customer managed KMS key ${KEY_ID}, not with the key appConfig.kmsKeyArn names (${OTHER_KEY_ARN}); set appConfig.kmsKeyArn to the ARN of that key, so the pipeline may decrypt the secret`,
      );
    });

    it.each([
      ['its ARN', KEY_ARN],
      ['its id', KEY_ID],
    ])('reads it when appConfig.kmsKeyArn names the key DescribeSecret gives by %s', async (_case, kmsKeyId) => {
      // Arrange
      encryptedWith(kmsKeyId);

      // Act
      const state = await handler(withKey(KEY_ARN));

      // Assert
      expect(state.secret?.versionId).toBe(SECRET_VERSION_ID);
    });

    it.each(['alias/aws/secretsmanager', 'arn:aws:kms:eu-west-1:123456789012:alias/aws/secretsmanager'])(
      'reads a secret under the AWS managed key (%s) without appConfig.kmsKeyArn',
      async (kmsKeyId) => {
        // Arrange
        encryptedWith(kmsKeyId);

        // Act
        const state = await handler(withKey(undefined));

        // Assert
        expect(state.secret?.versionId).toBe(SECRET_VERSION_ID);
      },
    );

    it('refuses a secret under a customer managed alias without appConfig.kmsKeyArn', async () => {
      // Arrange
      encryptedWith('alias/web-config');

      // Act
      const error = await failure(handler(withKey(undefined)));

      // Assert
      expect(error.message).toBe(
        `app-config secret ${secretArn} is encrypted with the customer managed KMS key alias/web-config, which appConfig.kmsKeyArn does not name; set appConfig.kmsKeyArn to the ARN of that key, so the pipeline may decrypt the secret`,
      );
    });
  });

  it('fails with SecretInvalidError naming the missing key and the version, without any value', async () => {
    // Arrange
    const { SESSION_SECRET: _dropped, ...withoutSession } = SECRET_VALUES;
    secretValue(withoutSession);

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${secretArn} version ${SECRET_VERSION_ID}: key SESSION_SECRET is missing`);
  });

  it('fails with SecretInvalidError naming the key and version of a broken rule, but not its value', async () => {
    // Arrange
    const badValue = 'eight-workers-hunter2';
    secretValue({ ...SECRET_VALUES, WORKER_CONCURRENCY: badValue });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toContain('key WORKER_CONCURRENCY must be an integer');
    expect(error.message).toContain(SECRET_VERSION_ID);
    expect(error.message).not.toContain(badValue);
  });

  it('fails with CacheNotReadyError, which the state machine retries, while the replication group is modifying', async () => {
    // Arrange
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheId })
      .resolves({ ReplicationGroups: [{ ReplicationGroupId: cacheId, Status: 'modifying' }] });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(CacheNotReadyError);
    expect(error.message).toBe(
      'ElastiCache replication group web-cache is "modifying", not yet available (the deployment waits up to pipeline.cacheWaitSeconds for it)',
    );
  });

  it('fails with CacheNotServingError when the replication group is being deleted', async () => {
    // Arrange
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheId })
      .resolves({ ReplicationGroups: [{ ReplicationGroupId: cacheId, Status: 'deleting' }] });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(CacheNotServingError);
    expect(error.message).toBe('ElastiCache replication group web-cache is "deleting", not available');
  });

  it('fails with CacheNotServingError when the replication group does not exist', async () => {
    // Arrange
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheId })
      .rejects(new ReplicationGroupNotFoundFault({ message: 'ReplicationGroup web-cache not found.', $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(CacheNotServingError);
    expect(error.message).toBe('ElastiCache replication group web-cache not found');
  });

  it('passes while the replication group is snapshotting', async () => {
    // Arrange
    cacheMock
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheId })
      .resolves({ ReplicationGroups: [{ ReplicationGroupId: cacheId, Status: 'snapshotting' }] });

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image?.digest).toBe(NEW_DIGEST);
  });

  it('fails with AlarmFiringError naming the alarm already in ALARM', async () => {
    // Arrange
    cloudwatchMock.on(DescribeAlarmsCommand, { AlarmNames: web.alarms }).resolves(alarms(web.alarms, { 'web-p99-latency': 'ALARM' }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(AlarmFiringError);
    expect(error.message).toContain('alarm(s) already firing before any change: web-p99-latency is ALARM (Threshold Crossed');
  });

  it('fails with ResourceMissingError when a configured alarm does not exist', async () => {
    // Arrange
    cloudwatchMock.on(DescribeAlarmsCommand, { AlarmNames: web.alarms }).resolves(alarms(['web-5xx-rate']));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe('CloudWatch alarm(s) not found: web-p99-latency');
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
        `rollbackTo: deployment ${ROLLBACK_ID} ended ROLLED_BACK; only a release that succeeded can be redeployed; see "baton history web"`,
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
        `web already runs the release of ${ROLLBACK_ID} (${LIVE_TASK_DEFINITION_ARN}) on blue; nothing to roll back`,
      );
      expect(ecrMock).not.toHaveReceivedCommand(DescribeImagesCommand);
    });
  });
});

describe('liveImageRef', () => {
  it.each([
    ['an image by digest', `${REPOSITORY_URI}@${OLD_DIGEST}`, 'web', { imageDigest: OLD_DIGEST }],
    ['an image by tag', `${REPOSITORY_URI}:v1.4.1`, 'web', { imageTag: 'v1.4.1' }],
    [
      'a repository name with a namespace',
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1.4.1`,
      'team/web',
      { imageTag: 'v1.4.1' },
    ],
    ['a registry that is not ECR (it cannot hold the service repository)', 'registry.internal:5000/web:v1.4.1', 'web', undefined],
    ['public ECR', 'public.ecr.aws/web:v1.4.1', 'web', undefined],
    ['an ECR registry in China', `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/web:v1.4.1`, 'web', { imageTag: 'v1.4.1' }],
    ['a registry host whose account is not 12 digits', '12345.dkr.ecr.eu-west-1.amazonaws.com/web:v1.4.1', 'web', undefined],
    [
      'a host that only starts like an ECR registry',
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com.evil.example/web:v1.4.1`,
      'web',
      undefined,
    ],
    [
      'a tag and a digest (the digest counts)',
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/web:v1.4.1@${OLD_DIGEST}`,
      'web',
      { imageDigest: OLD_DIGEST },
    ],
    ['an image without tag or digest', REPOSITORY_URI, 'web', undefined],
    ['an image of another repository', `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/api@${OLD_DIGEST}`, 'web', undefined],
    [
      'a repository whose name only ends like the configured one',
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1.4.1`,
      'web',
      undefined,
    ],
    ['a digest that is not sha256 and 64 hex digits', `${REPOSITORY_URI}@sha256:abc123`, 'web', undefined],
    ['an image without a registry', 'web:v1.4.1', 'web', undefined],
  ])('reads %s', (_case, image, repositoryName, expected) => {
    // Arrange: the image and repository of the row.

    // Act
    const ref = liveImageRef(image, repositoryName);

    // Assert
    expect(ref).toEqual(expected);
  });
});
