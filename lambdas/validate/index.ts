/**
 * validate: checks everything the deployment will touch before anything
 * changes: the ECS services, target groups and listener, the image, the
 * app-config secret, the cache and the alarms. Reads only.
 */

import { DescribeImagesCommand, ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import {
  ClientException,
  ClusterNotFoundException,
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
} from '@aws-sdk/client-ecs';
import { firingAlarms } from '../shared/aws/alarms.ts';
import { assertPinnedVersionsAvailable, checkAppConfig } from '../shared/aws/app-config.ts';
import { assertCacheServing } from '../shared/aws/cache.ts';
import { describeService, targetHealth } from '../shared/aws/health.ts';
import { type ImageRef, olderThan } from '../shared/aws/images.ts';
import { readWeights, weightsFor } from '../shared/aws/listener.ts';
import { liveColourOfProduction, readProduction } from '../shared/aws/production.ts';
import { countsFor } from '../shared/aws/worker-counts.ts';
import { ecr } from '../shared/clients/ecr.ts';
import { ecs } from '../shared/clients/ecs.ts';
import type { ConfigDiff, Plan, SecretPin, SecretRef } from '../shared/contract.ts';
import { deploymentControllerProblem } from '../shared/deployment-controller.ts';
import {
  AlarmFiringError,
  DeploymentControllerError,
  DuplicateTriggerError,
  ImageNotFoundError,
  InvalidInputError,
  ListenerSplitError,
  ResourceMissingError,
  RollbackTargetError,
  ScalingConfigError,
  SupersededError,
} from '../shared/errors.ts';
import { definePhase } from '../shared/phase.ts';
import { getRecord } from '../shared/records/deployment.ts';
import { readColourScaling, scheduledActionNames } from '../shared/scaling/read.ts';
import { scalingProblems } from '../shared/scaling/reconcile.ts';
import { describeScaling, type ScalingRecord } from '../shared/scaling/snapshot.ts';
import { secretRefs, versionsOf } from '../shared/secret-refs.ts';
import { targetGroupOf } from '../shared/service-resources.ts';
import { type InitializedState, InitializedStateSchema, type ValidatedState } from '../shared/stages.ts';
import { planSteps } from '../shared/strategy.ts';

/**
 * A worker's split is a split of its tasks: a step below 100 % puts at least
 * one task on each colour, so it needs two. Refused before any change.
 */
function assertWorkerCanSplit(state: InitializedState, liveCount: number): void {
  const split = planSteps(state.strategy).find((step) => step.weight < 100);
  if (!split || liveCount >= 2) return;
  throw new InvalidInputError(
    `strategy: worker ${state.service.name} runs ${liveCount} task${liveCount === 1 ? '' : 's'} on ${state.live.serviceName}; a step at ${split.weight} % puts at least one task on each colour and needs 2 or more (scale ${state.live.serviceName} up, or deploy all-at-once)`,
  );
}

/**
 * A worker's steps that put no more tasks on the new colour than the step before: a split of few tasks rounds
 * several weights to one count (25 % and 50 % of 3 tasks are both 1), so such a step only holds longer.
 */
function idleSteps(state: InitializedState, tasks: number): string[] {
  const steps = planSteps(state.strategy);
  const target = state.idle.colour;
  const counts = steps.map((step) => countsFor(weightsFor(target, step.weight), tasks)[target]);
  return steps.flatMap((step, index) => {
    const before = index === 0 ? 0 : (counts[index - 1] ?? 0);
    if ((counts[index] ?? 0) > before) return [];
    return [
      `strategy: the step at ${step.weight} % puts ${counts[index]} of ${tasks} tasks on ${state.idle.serviceName}, as the step before it did: it moves nothing and only holds longer`,
    ];
  });
}

export const handler = definePhase('validate', InitializedStateSchema, async (state): Promise<ValidatedState> => {
  const { service } = state;

  const [live, idle] = await Promise.all([
    describeServiceOrMissing(service.cluster, state.live.serviceName),
    describeServiceOrMissing(service.cluster, state.idle.serviceName),
  ]);
  // A web service's target groups must exist (DescribeTargetHealth fails on a missing one).
  if (service.kind === 'web') await Promise.all([targetHealth(targetGroupOf(state.live)), targetHealth(targetGroupOf(state.idle))]);

  const weights = await readProduction(service);
  // The test listener must exist and forward only to the two colours; its split does not matter.
  if (service.testListenerArn) await readWeights(service, service.testListenerArn);
  const liveNow = liveColourOfProduction(weights, service);
  if (liveNow !== state.live.colour) {
    throw new ListenerSplitError(`the live colour changed from ${state.live.colour} to ${liveNow} since the deployment started`);
  }

  if (service.kind === 'worker') assertWorkerCanSplit(state, live.desiredCount ?? 0);

  const liveTaskDefinitionArn = live.taskDefinition;
  if (!liveTaskDefinitionArn) throw new ResourceMissingError(`ECS service ${state.live.serviceName} has no task definition`);
  const taskDefinition = await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: liveTaskDefinitionArn }));
  const container = taskDefinition.taskDefinition?.containerDefinitions?.find((c) => c.name === service.containerName);
  if (!container?.image) {
    throw new ResourceMissingError(
      `container "${service.containerName}" (config containerName) is not in task definition ${liveTaskDefinitionArn}`,
    );
  }

  const liveSecrets = secretRefs(container);
  const target = state.request.rollbackTo ? await rollbackTarget(state) : undefined;
  if (target && target.taskDefinitionArn === liveTaskDefinitionArn) {
    throw new DuplicateTriggerError(
      `${service.name} already runs the revision of ${target.deploymentId} (${liveTaskDefinitionArn}) on ${state.live.colour}; nothing to roll back`,
    );
  }
  const image = await resolveImage(state, target);
  if (!target && container.image.endsWith(`@${image.digest}`)) {
    throw new DuplicateTriggerError(`${service.name} already runs ${image.digest} on ${state.live.colour}; nothing to deploy`);
  }
  if (!target) await assertNotOlderThanLive(state, container.image, image);

  let secret: SecretPin | undefined;
  let configDiff: ConfigDiff | undefined;
  if (service.appConfig && target) {
    // A rollback keeps the secret versions of the revision exactly; they must still exist.
    const pinned = target.secrets.filter((ref) => ref.arn === service.appConfig?.secretArn && ref.versionId);
    const versionIds = pinned.flatMap((ref) => (ref.versionId ? [ref.versionId] : []));
    await assertPinnedVersionsAvailable(service.appConfig.secretArn, versionIds, `release ${target.deploymentId}`);
  } else if (service.appConfig) {
    const live = versionsOf(liveSecrets, service.appConfig.secretArn);
    ({ pin: secret, diff: configDiff } = await checkAppConfig(service.appConfig, live));
  }

  if (service.cache) await assertCacheServing(service.cache.replicationGroupId);

  const firing = await firingAlarms(service.alarms, service.insufficientDataPolicy);
  if (firing.length > 0) {
    throw new AlarmFiringError(
      `alarm(s) already firing before any change: ${firing.map((a) => `${a.name} is ${a.state} (${a.reason})`).join('; ')}`,
    );
  }

  const scaling = await colourScaling(state);

  const warnings = [
    ...state.warnings,
    ...(scaling ? heldAlready(state, scaling) : []),
    ...(service.kind === 'worker' ? idleSteps(state, Math.max(live.desiredCount ?? 0, 1)) : []),
  ];
  const next: ValidatedState = {
    ...state,
    ...(scaling ? { scaling } : {}),
    ...(warnings.length > state.warnings.length ? { warnings } : {}),
    previous: {
      taskDefinitionArn: liveTaskDefinitionArn,
      desiredCount: live.desiredCount ?? 0,
      image: container.image,
      idleTaskDefinitionArn: idle.taskDefinition ?? liveTaskDefinitionArn,
      idleDesiredCount: idle.desiredCount ?? 0,
      secrets: liveSecrets,
    },
    image,
    ...(secret ? { secret } : {}),
    ...(configDiff ? { configDiff } : {}),
    ...(target ? { restore: { deploymentId: target.deploymentId, taskDefinitionArn: target.taskDefinitionArn } } : {}),
  };
  return state.request.dryRun ? { ...next, plan: dryRunPlan(next, container) } : next;
});

export function dryRunPlan(state: ValidatedState, container: ContainerDefinition): Plan {
  const { previous, image, secret, restore, configDiff } = state;
  const changes = restore
    ? [`redeploy task definition ${restore.taskDefinitionArn} of ${restore.deploymentId} as it is (image ${image.uri})`]
    : [`container ${state.service.containerName} image: ${previous.image} -> ${image.uri}`];
  if (secret) changes.push(`secrets ${secret.keys.join(', ')} pinned to version ${secret.versionId} of ${secret.arn}`);
  if (configDiff?.fromVersionId && configDiff.fromVersionId !== configDiff.toVersionId) {
    const { added, removed, changed } = configDiff;
    changes.push(
      `app config ${configDiff.fromVersionId} -> ${configDiff.toVersionId}: added [${added.join(', ')}], removed [${removed.join(', ')}], changed [${changed.join(', ')}]`,
    );
  }
  return {
    service: state.service.name,
    liveColour: state.live.colour,
    targetColour: state.idle.colour,
    image: { current: previous.image, next: image.uri },
    taskDefinition: { base: restore?.taskDefinitionArn ?? previous.taskDefinitionArn, family: state.service.taskDefinitionFamily, changes },
    secretVersions: {
      current: state.service.appConfig ? versionsOf(secretRefs(container), state.service.appConfig.secretArn) : [],
      ...(secret ? { next: secret.versionId } : {}),
    },
    ...(configDiff ? { configDiff } : {}),
    ...(restore ? { restores: restore } : {}),
    traffic: planSteps(state.strategy),
    ...(state.service.kind === 'worker' ? { tasks: Math.max(previous.desiredCount, 1) } : {}),
    bakeSeconds: state.bakeSeconds,
    ...(state.scaling ? { scaling: scalingPlan(state, state.scaling) } : {}),
  };
}

/** What a deployment would do to the colours' scaling, in words (lambdas/shared/scaling/apply.ts does it). */
function scalingPlan({ live, idle }: ValidatedState, { before }: ScalingRecord): string[] {
  const old = before[live.colour];
  return [
    `${live.serviceName} (${describeScaling(old)}): scale-in suspended until the bake passed, then min 0, max 0, all scaling suspended`,
    `${idle.serviceName} (${describeScaling(before[idle.colour])}): ${
      old.registered ? `max ${old.max} and the policies of ${live.serviceName}, then min ${old.min} once the bake passed` : 'unchanged'
    }; scale-in suspended until then`,
  ];
}

/**
 * Both colours' scalable targets and policies, before anything changes: what
 * Deploy copies and a rollback restores (lambdas/shared/scaling/). Undefined
 * when neither colour is scaled by Application Auto Scaling. Refused, naming
 * the difference, when Baton cannot move the scaling with the colours.
 */
async function colourScaling(state: InitializedState): Promise<ScalingRecord | undefined> {
  const { service, live, idle } = state;
  const [liveScaling, idleScaling] = await Promise.all([
    readColourScaling(service.cluster, live.serviceName),
    readColourScaling(service.cluster, idle.serviceName),
  ]);
  // Scheduled actions matter only where Baton would move the scaling: an unmanaged scalable target is refused anyway.
  const [liveScheduled, idleScheduled] = service.autoscaling
    ? await Promise.all([scheduledActionNames(service.cluster, live.serviceName), scheduledActionNames(service.cluster, idle.serviceName)])
    : [[], []];
  const problems = scalingProblems(service.name, service.autoscaling, {
    live: { ...live, scaling: liveScaling, scheduledActions: liveScheduled },
    idle: { ...idle, scaling: idleScaling, scheduledActions: idleScheduled },
  });
  if (problems.length > 0) throw new ScalingConfigError(problems.join('; '));
  if (!service.autoscaling) return undefined;
  const before = live.colour === 'blue' ? { blue: liveScaling, green: idleScaling } : { blue: idleScaling, green: liveScaling };
  return { before, changes: [] };
}

/**
 * A live colour whose scale-in is suspended already: left so by a deployment
 * that could not settle it (Complete's warning), or by hand. Baton restores
 * what it finds, so it says so.
 */
function heldAlready({ live }: InitializedState, { before }: ScalingRecord): string[] {
  const scaling = before[live.colour];
  if (!scaling.registered || !scaling.suspended.dynamicScalingIn) return [];
  return [
    `${live.serviceName} has scale-in suspended before this deployment; Baton keeps it so when it is done (resume it with RegisterScalableTarget if a deployment left it so)`,
  ];
}

/** A release never goes backwards by accident: an image pushed before the live one ends SUPERSEDED. */
async function assertNotOlderThanLive(state: InitializedState, liveImage: string, image: ValidatedState['image']): Promise<void> {
  const { repositoryName } = state.service.ecr;
  const live = liveImageRef(liveImage, repositoryName);
  if (!live) return;
  const older = await olderThan(repositoryName, { imageDigest: image.digest }, live);
  if (!older) return;
  throw new SupersededError(
    `${image.tag ?? image.digest} (pushed ${older.candidate.toISOString()}) is older than the image live on ${state.live.colour} (${liveImage}, pushed ${older.reference.toISOString()}); releases do not go backwards by accident (use "baton rollback" to go back)`,
  );
}

/** The live container's image as an ECR reference, if it comes from the service's repository. */
export function liveImageRef(image: string, repositoryName: string): ImageRef | undefined {
  // <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:<tag>][@sha256:<digest>]; the digest wins when both are given.
  const match = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^:@/]+))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(image);
  if (!match || match[1] !== repositoryName) return undefined;
  if (match[3]) return { imageDigest: match[3] };
  return match[2] ? { imageTag: match[2] } : undefined;
}

interface RollbackTarget {
  readonly deploymentId: string;
  readonly taskDefinitionArn: string;
  /** The image (by digest) of the revision's container. */
  readonly image: string;
  readonly imageTag: string | undefined;
  readonly secrets: SecretRef[];
}

/** The revision `rollbackTo` names, from its record and its task definition. */
async function rollbackTarget(state: InitializedState): Promise<RollbackTarget> {
  const deploymentId = state.request.rollbackTo ?? '';
  const record = await getRecord(deploymentId);
  const history = `see "baton history ${state.service.name}"`;
  if (!record || record.service !== state.service.name) {
    throw new RollbackTargetError(`rollbackTo: no deployment ${deploymentId} of ${state.service.name}; ${history}`);
  }
  if (record.status !== 'SUCCEEDED') {
    throw new RollbackTargetError(
      `rollbackTo: deployment ${deploymentId} ended ${record.status}; only a revision that succeeded can be redeployed; ${history}`,
    );
  }
  const taskDefinitionArn = record.newTaskDefinitionArn;
  if (!taskDefinitionArn) throw new RollbackTargetError(`rollbackTo: deployment ${deploymentId} recorded no task definition`);
  let described: DescribeTaskDefinitionCommandOutput;
  try {
    described = await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
  } catch (error) {
    if (error instanceof ClientException) {
      throw new RollbackTargetError(`rollbackTo: task definition ${taskDefinitionArn} of ${deploymentId} is gone: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const container = described.taskDefinition?.containerDefinitions?.find((c) => c.name === state.service.containerName);
  const digest = container?.image?.split('@')[1];
  if (!container || !digest) {
    throw new RollbackTargetError(
      `rollbackTo: task definition ${taskDefinitionArn} of ${deploymentId} has no container "${state.service.containerName}" with an image digest`,
    );
  }
  return { deploymentId, taskDefinitionArn, image: digest, imageTag: record.imageTag, secrets: secretRefs(container) };
}

/** The service, which must exist and be deployed by ECS (not CodeDeploy, not an external controller). */
async function describeServiceOrMissing(cluster: string, serviceName: string) {
  try {
    const service = await describeService(cluster, serviceName);
    const problem = deploymentControllerProblem(serviceName, service.deploymentController?.type);
    if (problem) throw new DeploymentControllerError(problem);
    return service;
  } catch (error) {
    if (error instanceof ClusterNotFoundException) {
      throw new ResourceMissingError(`ECS cluster ${cluster} not found`, { cause: error });
    }
    throw error;
  }
}

/** The image of the request, or the digest a rollback redeploys; it must still be in ECR. */
async function resolveImage(state: InitializedState, target?: RollbackTarget): Promise<ValidatedState['image']> {
  const { repositoryName } = state.service.ecr;
  // A rollback looks its image up by digest (the tag may point elsewhere by now) and keeps the tag it had for the record.
  const imageDigest = target?.image ?? state.request.imageDigest;
  const imageTag = target ? undefined : state.request.imageTag;
  const imageId = imageDigest ? { imageDigest } : { imageTag };
  const wanted = imageDigest ?? `tag ${imageTag}`;
  try {
    const out = await ecr().send(new DescribeImagesCommand({ repositoryName, imageIds: [imageId] }));
    const detail = out.imageDetails?.[0];
    if (!detail?.imageDigest) throw new ImageNotFoundError(`image ${wanted} not found in ECR repository ${repositoryName}`);
    // An ECR push names the tag it carried: the digest must still carry it (a forged or stale pushedTag changes nothing).
    const pushedTag = target ? undefined : state.request.pushedTag;
    if (pushedTag && !(detail.imageTags ?? []).includes(pushedTag)) {
      throw new ImageNotFoundError(
        `pushedTag: image ${detail.imageDigest} in ECR repository ${repositoryName} is not tagged ${pushedTag} (its tags: ${(detail.imageTags ?? []).join(', ') || 'none'})`,
      );
    }
    const registry = detail.registryId ?? state.service.taskRoleArn.split(':')[4];
    // The repository is in the region the function queried it in.
    const region = await ecr().config.region();
    // The tag people know the image by: the one asked for, the one the push carried (checked above), or the rollback target's.
    const tag = imageTag ?? pushedTag ?? target?.imageTag;
    return {
      repositoryName,
      ...(tag ? { tag } : {}),
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
