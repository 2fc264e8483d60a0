/**
 * prepare: registers the release's task definition for the idle colour: the
 * live task definition with the new image (by digest) and the app-config keys
 * pinned to the validated secret version. Nothing else of the task changes.
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
import * as clients from '../shared/clients.ts';
import { type DeploymentState, DeploymentStateSchema, type SecretPin } from '../shared/contract.ts';
import { annotateRecord } from '../shared/deployments.ts';
import { ContractViolationError, TaskDefinitionRegistrationError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { resumePoint } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';

export const DEPLOYMENT_TAG = 'baton:deployment-id';

/** `valueFrom` for one JSON key of a secret at one exact version. */
export function pinnedValueFrom(pin: SecretPin, key: string): string {
  return `${pin.arn}:${key}::${pin.versionId}`;
}

export function withRelease(container: ContainerDefinition, imageUri: string, pin: SecretPin | undefined): ContainerDefinition {
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

export const handler = definePhase('prepare', DeploymentStateSchema, async (state): Promise<DeploymentState> => {
  const { previous, image, service } = state;
  if (!previous || !image) throw new ContractViolationError('prepare needs the output of validate (previous, image)');

  const live = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: previous.taskDefinitionArn, include: ['TAGS'] }));
  const source = live.taskDefinition;
  if (!source?.family) throw new ContractViolationError(`task definition ${previous.taskDefinitionArn} has no family`);

  for (const [field, allowed] of [
    ['taskRoleArn', service.taskRoleArn],
    ['executionRoleArn', service.executionRoleArn],
  ] as const) {
    const used = source[field];
    if (used && used !== allowed) {
      throw new TaskDefinitionRegistrationError(
        `task definition ${previous.taskDefinitionArn} uses ${field} ${used}, but the config allows ${allowed}; update ${field} in the config`,
      );
    }
  }

  const reused = await findEarlierRegistration(source.family, state.deploymentId, image.uri);
  if (reused) {
    logger.info('task definition already registered by an earlier attempt', { taskDefinitionArn: reused });
    return { ...state, release: { taskDefinitionArn: reused } };
  }

  const containers = (source.containerDefinitions ?? []).map((container) =>
    container.name === service.containerName ? withRelease(container, image.uri, state.secret) : container,
  );
  try {
    const out = await clients.ecs.send(new RegisterTaskDefinitionCommand(registrationInput(source, containers, state.deploymentId)));
    const taskDefinitionArn = out.taskDefinition?.taskDefinitionArn;
    if (!taskDefinitionArn) throw new TaskDefinitionRegistrationError('RegisterTaskDefinition returned no ARN');
    logger.info('task definition registered', { taskDefinitionArn, image: image.uri, secretVersionId: state.secret?.versionId });
    const prepared: DeploymentState = { ...state, release: { taskDefinitionArn } };
    await annotateRecord(state.deploymentId, { newTaskDefinitionArn: taskDefinitionArn, resume: resumePoint(prepared) });
    return prepared;
  } catch (error) {
    if (error instanceof ClientException || error instanceof InvalidParameterException) {
      throw new TaskDefinitionRegistrationError(`RegisterTaskDefinition for ${source.family} failed: ${error.name}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
});

/**
 * A retried prepare must not register a second revision: the newest revision
 * of the family carries the deployment id tag if an earlier attempt got that far.
 */
async function findEarlierRegistration(family: string, deploymentId: string, imageUri: string): Promise<string | undefined> {
  const latest = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }));
  const tagged = latest.tags?.some((tag) => tag.key === DEPLOYMENT_TAG && tag.value === deploymentId);
  const sameImage = latest.taskDefinition?.containerDefinitions?.some((c) => c.image === imageUri);
  return tagged && sameImage ? latest.taskDefinition?.taskDefinitionArn : undefined;
}
