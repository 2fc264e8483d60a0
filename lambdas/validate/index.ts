/**
 * validate: checks everything the deployment will touch before anything
 * changes: the ECS services, target groups and listener, the image, the
 * app-config secret, the cache and the alarms. Reads only.
 */

import { DescribeImagesCommand, ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { ClusterNotFoundException, type ContainerDefinition, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { readAppConfig } from '../shared/aws/app-config.ts';
import { assertCacheServing, describeService, firingAlarms, targetHealth } from '../shared/aws/health.ts';
import { liveColourOf, readWeights } from '../shared/aws/listener.ts';
import * as clients from '../shared/clients.ts';
import { type DeploymentState, DeploymentStateSchema, type Plan } from '../shared/contract.ts';
import {
  AlarmFiringError,
  ContractViolationError,
  DuplicateTriggerError,
  ImageNotFoundError,
  ListenerSplitError,
  ResourceMissingError,
} from '../shared/errors.ts';
import { definePhase } from '../shared/phase.ts';
import { planSteps } from '../shared/strategy.ts';

export const handler = definePhase('validate', DeploymentStateSchema, async (state): Promise<DeploymentState> => {
  const { service } = state;

  const [live, idle] = await Promise.all([
    describeServiceOrMissing(service.cluster, state.live.serviceName),
    describeServiceOrMissing(service.cluster, state.idle.serviceName),
  ]);
  // Both target groups must exist (DescribeTargetHealth fails on a missing one).
  await Promise.all([targetHealth(state.live.targetGroupArn), targetHealth(state.idle.targetGroupArn)]);

  const weights = await readWeights(service);
  // The test listener must exist and forward only to the two colours; its split does not matter.
  if (service.testListenerArn) await readWeights(service, service.testListenerArn);
  const liveNow = liveColourOf(weights, service.productionListenerArn);
  if (liveNow !== state.live.colour) {
    throw new ListenerSplitError(`the live colour changed from ${state.live.colour} to ${liveNow} since the deployment started`);
  }

  const liveTaskDefinitionArn = live.taskDefinition;
  if (!liveTaskDefinitionArn) throw new ResourceMissingError(`ECS service ${state.live.serviceName} has no task definition`);
  const taskDefinition = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: liveTaskDefinitionArn }));
  const container = taskDefinition.taskDefinition?.containerDefinitions?.find((c) => c.name === service.containerName);
  if (!container?.image) {
    throw new ResourceMissingError(
      `container "${service.containerName}" (config containerName) is not in task definition ${liveTaskDefinitionArn}`,
    );
  }

  const image = await resolveImage(state);
  if (container.image.endsWith(`@${image.digest}`)) {
    throw new DuplicateTriggerError(`${service.name} already runs ${image.digest} on ${state.live.colour}; nothing to deploy`);
  }

  const secret = service.appConfig ? await readAppConfig(service.appConfig) : undefined;

  if (service.cache) await assertCacheServing(service.cache.replicationGroupId);

  const firing = await firingAlarms(service.alarms, service.insufficientDataPolicy);
  if (firing.length > 0) {
    throw new AlarmFiringError(
      `alarm(s) already firing before any change: ${firing.map((a) => `${a.name} is ${a.state} (${a.reason})`).join('; ')}`,
    );
  }

  const next: DeploymentState = {
    ...state,
    previous: {
      taskDefinitionArn: liveTaskDefinitionArn,
      desiredCount: live.desiredCount ?? 0,
      image: container.image,
      idleTaskDefinitionArn: idle.taskDefinition ?? liveTaskDefinitionArn,
      idleDesiredCount: idle.desiredCount ?? 0,
    },
    image,
    ...(secret ? { secret } : {}),
  };
  return state.request.dryRun ? { ...next, plan: dryRunPlan(next, container) } : next;
});

/** The secret version ids a container's secrets reference for one secret ARN. */
export function referencedVersions(container: ContainerDefinition, secretArn: string): string[] {
  const versions = new Set<string>();
  for (const secret of container.secrets ?? []) {
    const valueFrom = secret.valueFrom ?? '';
    if (!valueFrom.startsWith(`${secretArn}:`)) continue;
    // arn:...:secret:name-AbCdEf:json-key:version-stage:version-id
    const version = valueFrom.slice(secretArn.length + 1).split(':')[2];
    if (version) versions.add(version);
  }
  return [...versions].sort();
}

export function dryRunPlan(state: DeploymentState, container: ContainerDefinition): Plan {
  const { previous, image, secret } = state;
  if (!previous || !image) throw new ContractViolationError('a plan needs the output of validate');
  const changes = [`container ${state.service.containerName} image: ${previous.image} -> ${image.uri}`];
  if (secret) changes.push(`secrets ${secret.keys.join(', ')} pinned to version ${secret.versionId} of ${secret.arn}`);
  return {
    service: state.service.name,
    liveColour: state.live.colour,
    targetColour: state.idle.colour,
    image: { current: previous.image, next: image.uri },
    taskDefinition: { base: previous.taskDefinitionArn, family: state.service.taskDefinitionFamily, changes },
    secretVersions: {
      current: state.service.appConfig ? referencedVersions(container, state.service.appConfig.secretArn) : [],
      ...(secret ? { next: secret.versionId } : {}),
    },
    traffic: planSteps(state.strategy),
    bakeSeconds: state.bakeSeconds,
  };
}

async function describeServiceOrMissing(cluster: string, serviceName: string) {
  try {
    return await describeService(cluster, serviceName);
  } catch (error) {
    if (error instanceof ClusterNotFoundException) {
      throw new ResourceMissingError(`ECS cluster ${cluster} not found`, { cause: error });
    }
    throw error;
  }
}

async function resolveImage(state: DeploymentState): Promise<NonNullable<DeploymentState['image']>> {
  const { repositoryName } = state.service.ecr;
  const { imageTag, imageDigest } = state.request;
  const imageId = imageDigest ? { imageDigest } : { imageTag };
  const wanted = imageDigest ?? `tag ${imageTag}`;
  try {
    const out = await clients.ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [imageId] }));
    const detail = out.imageDetails?.[0];
    if (!detail?.imageDigest) throw new ImageNotFoundError(`image ${wanted} not found in ECR repository ${repositoryName}`);
    const registry = detail.registryId ?? state.service.taskRoleArn.split(':')[4];
    const region = state.service.blue.targetGroupArn.split(':')[3];
    return {
      repositoryName,
      ...(imageTag ? { tag: imageTag } : {}),
      digest: detail.imageDigest,
      uri: `${registry}.dkr.ecr.${region}.amazonaws.com/${repositoryName}@${detail.imageDigest}`,
    };
  } catch (error) {
    if (error instanceof ImageNotFoundException) {
      throw new ImageNotFoundError(`image ${wanted} not found in ECR repository ${repositoryName}`, { cause: error });
    }
    if (error instanceof RepositoryNotFoundException) {
      throw new ImageNotFoundError(`ECR repository ${repositoryName} not found`, { cause: error });
    }
    throw error;
  }
}
