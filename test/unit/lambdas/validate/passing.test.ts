import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeReplicationGroupsCommand } from '@aws-sdk/client-elasticache';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/validate/index.ts';
import {
  initialState,
  LIVE_TASK_DEFINITION_ARN,
  NEW_IMAGE_URI,
  NEW_TAG,
  OLD_IMAGE_URI,
  SECRET_KEYS,
  SECRET_VERSION_ID,
} from '../../../support/state.ts';
import {
  arrangeEveryCheckPasses,
  cacheMock,
  cloudwatchMock,
  dynamoMock,
  ecrMock,
  ecsMock,
  elbMock,
  LIVE_SECRET_VERSION_ID,
  secretArn,
  secretReads,
  secretsMock,
} from '../../../support/validate.ts';

describe('validate: every check passing', () => {
  beforeEach(() => {
    // Arrange (shared): an account in which every check passes.
    arrangeEveryCheckPasses();
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
});
