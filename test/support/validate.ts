/**
 * The account the validate handler tests read: mocked clients, the web
 * service's live (blue) and idle (green) side, its images in ECR, its
 * app-config secret, cache and alarms, arranged so that every check passes;
 * each test then overrides the one answer it is about.
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, ECRClient, type ImageDetail } from '@aws-sdk/client-ecr';
import { type ContainerDefinition, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { productionListenerOf, targetGroupOf } from '../../lambdas/shared/service-resources.ts';
import { alarms, ecsService, listenerWith, rejectByDefault, targets } from './aws.ts';
import {
  ACCOUNT,
  IDLE_TASK_DEFINITION_ARN,
  LIVE_COUNT,
  LIVE_TASK_DEFINITION_ARN,
  NEW_DIGEST,
  NEW_TAG,
  OLD_DIGEST,
  OLD_IMAGE_URI,
  SECRET_VERSION_ID,
  service,
} from './state.ts';

export const ecsMock = mockClient(ECSClient);
export const elbMock = mockClient(ElasticLoadBalancingV2Client);
export const ecrMock = mockClient(ECRClient);
export const secretsMock = mockClient(SecretsManagerClient);
export const cacheMock = mockClient(ElastiCacheClient);
export const cloudwatchMock = mockClient(CloudWatchClient);
export const dynamoMock = mockClient(DynamoDBDocumentClient);
export const scalingMock = mockClient(ApplicationAutoScalingClient);

export const web = service();
export const secretArn = web.appConfig?.secretArn ?? '';
export const cacheId = web.cache?.replicationGroupId ?? '';
/** When the live image (OLD_DIGEST) and the new one (NEW_DIGEST, tag NEW_TAG) were pushed to ECR. */
export const OLD_PUSHED = new Date('2025-03-01T08:00:00.000Z');
export const NEW_PUSHED = new Date('2025-03-04T09:45:00.000Z');
/** The version of the app-config secret the live (blue) release pinned: AWSPREVIOUS since the last rotation. */
export const LIVE_SECRET_VERSION_ID = '20260801-0000-4000-8000-000000000000';

/** Values that must never appear in the payload, a log line or an error message. */
export const SECRET_VALUES = {
  DATABASE_URL: 'postgres://web:Tr0ub4dor-and-3@db.internal:5432/web',
  SESSION_SECRET: 'correct-horse-battery-staple-9f8e7d',
  WORKER_CONCURRENCY: '8',
  LOG_LEVEL: 'info',
};
/** What the live release's version held: WORKER_CONCURRENCY came later, LEGACY_CHECKOUT went, the session secret was rotated. */
export const LIVE_SECRET_VALUES = {
  DATABASE_URL: SECRET_VALUES.DATABASE_URL,
  SESSION_SECRET: 'rotated-away-session-secret-1a2b3c',
  LOG_LEVEL: 'info',
  LEGACY_CHECKOUT: 'legacy-checkout-token-4d5e6f',
};

/** DescribeSecret of the app-config secret: its versions and their staging labels. */
export function secretStages(versions: Record<string, string[]>) {
  secretsMock.on(DescribeSecretCommand, { SecretId: secretArn }).resolves({ ARN: secretArn, VersionIdsToStages: versions });
}

export function secretValue(values: Record<string, string>, versionId = SECRET_VERSION_ID) {
  secretsMock.on(GetSecretValueCommand, { SecretId: secretArn, VersionId: versionId }).resolves({
    ARN: secretArn,
    VersionId: versionId,
    SecretString: JSON.stringify(values),
  });
}

export function liveContainerImage(
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
export function givenImage(
  imageId: { imageTag: string } | { imageDigest: string },
  detail: Omit<ImageDetail, 'registryId' | 'repositoryName'>,
) {
  ecrMock
    .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [imageId] })
    .resolves({ imageDetails: [{ registryId: ACCOUNT, repositoryName: 'web', ...detail }] });
}

/** The inputs of every DescribeImages call, in order. */
export function imageReads() {
  return ecrMock.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input);
}

/** The inputs of every GetSecretValue call, in order. */
export function secretReads() {
  return secretsMock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input);
}

/** An account in which every check passes (for a beforeEach). */
export function arrangeEveryCheckPasses(): void {
  rejectByDefault(ecsMock, elbMock, ecrMock, secretsMock, cacheMock, cloudwatchMock, dynamoMock, scalingMock);
  ecsMock
    .on(DescribeServicesCommand, { cluster: 'prod', services: ['web-blue'] })
    .resolves(ecsService('web-blue', { taskDefinition: LIVE_TASK_DEFINITION_ARN, desiredCount: LIVE_COUNT, runningCount: LIVE_COUNT }));
  ecsMock
    .on(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] })
    .resolves(ecsService('web-green', { taskDefinition: IDLE_TASK_DEFINITION_ARN, desiredCount: 0, runningCount: 0 }));
  liveContainerImage(OLD_IMAGE_URI);
  elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupOf(web.blue) }).resolves(targets(LIVE_COUNT));
  elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupOf(web.green) }).resolves(targets(0));
  elbMock.on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] }).resolves(listenerWith(web, { blue: 100, green: 0 }));
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
  // Neither colour is scaled by Application Auto Scaling.
  for (const name of ['web-blue', 'web-green']) {
    scalingMock
      .on(DescribeScalableTargetsCommand, {
        ServiceNamespace: 'ecs',
        ResourceIds: [`service/prod/${name}`],
        ScalableDimension: 'ecs:service:DesiredCount',
      })
      .resolves({ ScalableTargets: [] });
  }
}
