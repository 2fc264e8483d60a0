import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { ClusterNotFoundException, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeReplicationGroupsCommand, ElastiCacheClient, ReplicationGroupNotFoundFault } from '@aws-sdk/client-elasticache';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
  SecretInvalidError,
} from '../../lambdas/shared/errors.ts';
import { handler } from '../../lambdas/validate/index.ts';
import { alarms, ecsService, failure, listenerWith, rejectByDefault, targets } from '../fixtures/aws.ts';
import {
  ACCOUNT,
  IDLE_TASK_DEFINITION_ARN,
  initialState,
  LIVE_COUNT,
  LIVE_TASK_DEFINITION_ARN,
  NEW_DIGEST,
  NEW_IMAGE_URI,
  NEW_TAG,
  OLD_IMAGE_URI,
  SECRET_KEYS,
  SECRET_VERSION_ID,
  service,
} from '../fixtures/state.ts';

const web = service();
const secretArn = web.appConfig?.secretArn ?? '';
const cacheId = web.cache?.replicationGroupId ?? '';

/** Values that must never appear in the payload, a log line or an error message. */
const SECRET_VALUES = {
  DATABASE_URL: 'postgres://web:Tr0ub4dor-and-3@db.internal:5432/web',
  SESSION_SECRET: 'correct-horse-battery-staple-9f8e7d',
  WORKER_CONCURRENCY: '8',
  LOG_LEVEL: 'info',
};

describe('validate', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const ecrMock = mockClient(ECRClient);
  const secretsMock = mockClient(SecretsManagerClient);
  const cacheMock = mockClient(ElastiCacheClient);
  const cloudwatchMock = mockClient(CloudWatchClient);

  function secretValue(values: Record<string, string>) {
    secretsMock.on(GetSecretValueCommand, { SecretId: secretArn }).resolves({
      ARN: secretArn,
      VersionId: SECRET_VERSION_ID,
      SecretString: JSON.stringify(values),
    });
  }

  function liveContainerImage(image: string) {
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TASK_DEFINITION_ARN }).resolves({
      taskDefinition: {
        taskDefinitionArn: LIVE_TASK_DEFINITION_ARN,
        family: 'web',
        containerDefinitions: [
          { name: 'web', image, secrets: [{ name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::0ld-version` }] },
          { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable' },
        ],
      },
    });
  }

  beforeEach(() => {
    // Arrange (shared): an account in which every check passes.
    rejectByDefault(ecsMock, elbMock, ecrMock, secretsMock, cacheMock, cloudwatchMock);
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
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] })
      .resolves({ imageDetails: [{ registryId: ACCOUNT, repositoryName: 'web', imageDigest: NEW_DIGEST, imageTags: [NEW_TAG] }] });
    secretValue(SECRET_VALUES);
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
    for (const value of [SECRET_VALUES.DATABASE_URL, SECRET_VALUES.SESSION_SECRET, 'Tr0ub4dor']) {
      expect(output).not.toContain(value);
    }
  });

  it('reads the image, the secret, the cache and the alarms with their exact inputs', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    await handler(initialState());

    // Assert
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] });
    expect(secretsMock).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: secretArn });
    expect(cacheMock).toHaveReceivedCommandWith(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'web-cache' });
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['web-5xx-rate', 'web-p99-latency'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeServicesCommand, 2);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 2);
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
        ],
      },
      secretVersions: { current: ['0ld-version'], next: SECRET_VERSION_ID },
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

  it('fails with SecretInvalidError when the secret does not exist', async () => {
    // Arrange
    secretsMock
      .on(GetSecretValueCommand, { SecretId: secretArn })
      .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${secretArn} not found`);
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
});
