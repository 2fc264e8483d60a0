/**
 * initialize: validates the request, resolves the live colour from the
 * listener weights, takes the per-service lock and writes the record.
 * A dry run takes no lock and writes nothing.
 */

import { liveColourOf, readWeights } from '../shared/aws/listener.ts';
import type { ServiceConfig } from '../shared/config-schema.ts';
import { type DeploymentRequest, type DeploymentState, ExecutionEnvelopeSchema, otherColour } from '../shared/contract.ts';
import { acquireLock, createRecord } from '../shared/deployments.ts';
import { DeploymentLockedError, DuplicateTriggerError, UnknownServiceError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { recordBase } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import { parseRequest } from '../shared/request.ts';
import { pipelineConfig } from '../shared/runtime-config.ts';
import type { Strategy } from '../shared/strategy.ts';

/** Hotfix: everything at once and a short bake, but validate and verify still run. */
export const HOTFIX_BAKE_SECONDS = 60;

export function resolveStrategy(request: DeploymentRequest, service: ServiceConfig): { strategy: Strategy; bakeSeconds: number } {
  if (request.hotfix) return { strategy: { type: 'all-at-once' }, bakeSeconds: Math.min(service.bakeSeconds, HOTFIX_BAKE_SECONDS) };
  return { strategy: request.strategy ?? service.strategy, bakeSeconds: service.bakeSeconds };
}

export const handler = definePhase('initialize', ExecutionEnvelopeSchema, async (envelope): Promise<DeploymentState> => {
  const config = pipelineConfig();
  const request = parseRequest(envelope.request, config);
  const service = config.services.find((candidate) => candidate.name === request.service);
  if (!service) {
    throw new UnknownServiceError(
      `invalid execution input: service: "${request.service}" is not configured (known: ${config.services.map((s) => s.name).join(', ')})`,
    );
  }
  logger.appendKeys({ targetService: service.name });

  const weights = await readWeights(service);
  const liveColour = liveColourOf(weights, service.productionListenerArn);
  const idleColour = otherColour(liveColour);
  const { strategy, bakeSeconds } = resolveStrategy(request, service);

  const state: DeploymentState = {
    deploymentId: envelope.deploymentId,
    executionArn: envelope.executionArn,
    startedAt: envelope.startedAt,
    request,
    service,
    strategy,
    bakeSeconds,
    live: { colour: liveColour, ...service[liveColour] },
    idle: { colour: idleColour, ...service[idleColour] },
    approval: { required: request.approval ?? service.approval },
    warnings: [],
  };
  if (request.dryRun) return state;

  const imageRef = request.rollbackTo ? `rollback:${request.rollbackTo}` : (request.imageDigest ?? `tag:${request.imageTag ?? ''}`);
  const leaseSeconds = config.pipeline.executionTimeoutSeconds + 600;
  const lock = await acquireLock({
    service: service.name,
    deploymentId: envelope.deploymentId,
    executionArn: envelope.executionArn,
    imageRef,
    acquiredAt: envelope.startedAt,
    leaseExpiresAt: Math.floor(Date.now() / 1000) + leaseSeconds,
  });
  if (!lock.acquired) {
    const holder = lock.holder;
    if (holder && holder.imageRef === imageRef) {
      throw new DuplicateTriggerError(
        `${service.name} is already deploying ${describeRef(imageRef)} (deployment ${holder.deploymentId}); this trigger changes nothing`,
      );
    }
    throw new DeploymentLockedError(
      holder
        ? `${service.name} is locked by deployment ${holder.deploymentId} (${describeRef(holder.imageRef)}, since ${holder.acquiredAt}, execution ${holder.executionArn})`
        : `${service.name} is locked by another deployment`,
    );
  }
  await createRecord(recordBase(state));
  logger.info('lock taken', { liveColour, idleColour, strategy: strategy.type });
  return state;
});

function describeRef(imageRef: string): string {
  if (imageRef.startsWith('rollback:')) return `a rollback to ${imageRef.slice('rollback:'.length)}`;
  return imageRef.startsWith('tag:') ? `image tag ${imageRef.slice(4)}` : `image ${imageRef}`;
}
