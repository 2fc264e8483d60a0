/**
 * prepare: registers the new revision's task definition for the idle colour: the
 * live task definition with the new image (by digest) and the app-config keys
 * pinned to the validated secret version. Nothing else of the task changes.
 * A rollback reuses the earlier revision's task definition as it is.
 * Announces the start of the deployment first (telemetry/start.ts).
 */

import {
  ClientException,
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Secret,
} from '@aws-sdk/client-ecs';
import { ecs } from '../shared/clients/ecs.ts';
import type { SecretPin } from '../shared/contract.ts';
import { ContractViolationError, TaskDefinitionRegistrationError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { resumePoint, revisionOf } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import { annotateRecord } from '../shared/records/deployment.ts';
import { pinnedValueFrom, secretRefs } from '../shared/secret-refs.ts';
import { type PreparedState, type ValidatedState, ValidatedStateSchema } from '../shared/stages.ts';
import { announceStart } from '../shared/telemetry/start.ts';

export const DEPLOYMENT_TAG = 'baton:deployment-id';

export function withRevision(container: ContainerDefinition, imageUri: string, pin: SecretPin | undefined): ContainerDefinition {
  if (!pin) return { ...container, image: imageUri };
  const managed = new Set(pin.keys);
  const keptSecrets: Secret[] = (container.secrets ?? []).filter((secret) => !managed.has(secret.name ?? ''));
  const pinned: Secret[] = pin.keys.map((key) => ({ name: key, valueFrom: pinnedValueFrom(pin, key) }));
  return {
    ...container,
    image: imageUri,
    // A managed key must come only from the pinned secret, never from plaintext environment.
    environment: (container.environment ?? []).filter((entry) => !managed.has(entry.name ?? '')),
    secrets: [...keptSecrets, ...pinned],
  };
}

type TaskDefinition = NonNullable<DescribeTaskDefinitionCommandOutput['taskDefinition']>;

export function registrationInput(
  source: TaskDefinition,
  containers: ContainerDefinition[],
  deploymentId: string,
): RegisterTaskDefinitionCommandInput {
  if (!source.family) throw new ContractViolationError('live task definition has no family');
  return {
    family: source.family,
    containerDefinitions: containers,
    taskRoleArn: source.taskRoleArn,
    executionRoleArn: source.executionRoleArn,
    networkMode: source.networkMode,
    volumes: source.volumes,
    placementConstraints: source.placementConstraints,
    requiresCompatibilities: source.requiresCompatibilities,
    cpu: source.cpu,
    memory: source.memory,
    pidMode: source.pidMode,
    ipcMode: source.ipcMode,
    proxyConfiguration: source.proxyConfiguration,
    inferenceAccelerators: source.inferenceAccelerators,
    ephemeralStorage: source.ephemeralStorage,
    runtimePlatform: source.runtimePlatform,
    enableFaultInjection: source.enableFaultInjection,
    tags: [{ key: DEPLOYMENT_TAG, value: deploymentId }],
  };
}

export const handler = definePhase('prepare', ValidatedStateSchema, async (state): Promise<PreparedState> => {
  const { previous, image, service } = state;
  // Before anything changes, so that whatever follows (a rollback too) comes after it (telemetry/start.ts says why here).
  await announceStart(state);

  const live = await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: previous.taskDefinitionArn, include: ['TAGS'] }));
  const source = live.taskDefinition;
  if (!source?.family) throw new ContractViolationError(`task definition ${previous.taskDefinitionArn} has no family`);

  if (state.restore) return restoreRevision(state, state.restore);
  checkRoles(source, service);

  const reused = await findEarlierRegistration(source.family, state.deploymentId, image.uri);
  if (reused) {
    logger.info('task definition already registered by an earlier attempt', { taskDefinitionArn: reused.taskDefinitionArn });
    return prepared(state, reused);
  }

  const containers = (source.containerDefinitions ?? []).map((container) =>
    container.name === service.containerName ? withRevision(container, image.uri, state.secret) : container,
  );
  const registered = await register(registrationInput(source, containers, state.deploymentId));
  logger.info('task definition registered', {
    taskDefinitionArn: registered.taskDefinitionArn,
    image: image.uri,
    secretVersionId: state.secret?.versionId,
  });
  return prepared(state, registered);
});

type Registered = NonNullable<DescribeTaskDefinitionCommandOutput['taskDefinition']>;

/** Registration passes the task's roles; only the roles of the config may be passed (iam:PassRole is scoped to them). */
function checkRoles(taskDefinition: Registered, service: ValidatedState['service']): void {
  for (const [field, allowed] of [
    ['taskRoleArn', service.taskRoleArn],
    ['executionRoleArn', service.executionRoleArn],
  ] as const) {
    const used = taskDefinition[field];
    if (used && used !== allowed) {
      throw new TaskDefinitionRegistrationError(
        `task definition ${taskDefinition.taskDefinitionArn} uses ${field} ${used}, but the config allows ${allowed}; update ${field} in the config`,
      );
    }
  }
}

async function register(input: RegisterTaskDefinitionCommandInput): Promise<Registered> {
  try {
    const out = await ecs().send(new RegisterTaskDefinitionCommand(input));
    if (!out.taskDefinition?.taskDefinitionArn) throw new TaskDefinitionRegistrationError('RegisterTaskDefinition returned no ARN');
    return out.taskDefinition;
  } catch (error) {
    if (error instanceof ClientException || error instanceof InvalidParameterException) {
      throw new TaskDefinitionRegistrationError(`RegisterTaskDefinition for ${input.family} failed: ${error.name}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The state and record once the new revision's task definition exists (the state's `release` field holds it). */
async function prepared(state: ValidatedState, taskDefinition: Registered): Promise<PreparedState> {
  const container = taskDefinition.containerDefinitions?.find((c) => c.name === state.service.containerName);
  const next: PreparedState = {
    ...state,
    release: { taskDefinitionArn: taskDefinition.taskDefinitionArn ?? '', secrets: container ? secretRefs(container) : [] },
  };
  await annotateRecord(state.deploymentId, state, {
    newTaskDefinitionArn: next.release.taskDefinitionArn,
    previousRelease: revisionOf(next, 'previous'),
    newRelease: revisionOf(next, 'new'),
    ...(state.configDiff ? { configDiff: state.configDiff } : {}),
    ...(state.restore ? { restores: state.restore.deploymentId } : {}),
    resume: resumePoint(next),
  });
  return next;
}

/**
 * A rollback runs the earlier revision's task definition itself while it is
 * ACTIVE; a deregistered one (INACTIVE or DELETE_IN_PROGRESS cannot be
 * deployed) is registered again unchanged: same image digest, same pinned
 * secret versions.
 */
async function restoreRevision(state: ValidatedState, restore: NonNullable<ValidatedState['restore']>): Promise<PreparedState> {
  const out = await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: restore.taskDefinitionArn }));
  const target = out.taskDefinition;
  if (!target?.family) throw new ContractViolationError(`task definition ${restore.taskDefinitionArn} has no family`);
  if (target.status === 'ACTIVE') {
    logger.info('redeploying an earlier revision as it is', {
      taskDefinitionArn: restore.taskDefinitionArn,
      restores: restore.deploymentId,
    });
    return prepared(state, target);
  }
  const reused = await findEarlierRegistration(target.family, state.deploymentId, state.image.uri);
  if (reused) return prepared(state, reused);
  checkRoles(target, state.service);
  const copy = await register(registrationInput(target, target.containerDefinitions ?? [], state.deploymentId));
  logger.info('re-registered an inactive release unchanged', {
    taskDefinitionArn: copy.taskDefinitionArn,
    copyOf: restore.taskDefinitionArn,
  });
  return prepared(state, copy);
}

/**
 * A retried prepare must not register a second revision: the newest revision
 * of the family carries the deployment id tag if an earlier attempt got that far.
 */
async function findEarlierRegistration(family: string, deploymentId: string, imageUri: string): Promise<Registered | undefined> {
  const latest = await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }));
  const tagged = latest.tags?.some((tag) => tag.key === DEPLOYMENT_TAG && tag.value === deploymentId);
  const sameImage = latest.taskDefinition?.containerDefinitions?.some((c) => c.image === imageUri);
  return tagged && sameImage ? latest.taskDefinition : undefined;
}
