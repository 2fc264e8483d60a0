/**
 * initialize: validates the request, resolves the live colour from the
 * listener weights, takes the per-service lock and writes the record.
 * A dry run takes no lock and writes nothing.
 */

import { imageRefOf, olderThan } from '../shared/aws/images.ts';
import { liveColourOf, readWeights } from '../shared/aws/listener.ts';
import type { ServiceConfig } from '../shared/config-schema.ts';
import { type DeploymentRequest, type DeploymentState, ExecutionEnvelopeSchema, otherColour } from '../shared/contract.ts';
import { acquireLock, createRecord, LEASE_SECONDS, type LockItem, reclaimLock } from '../shared/deployments.ts';
import { DeploymentLockedError, DuplicateTriggerError, SupersededError, UnknownServiceError } from '../shared/errors.ts';
import { inspectHolder } from '../shared/lock-holder.ts';
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
  const lock = {
    service: service.name,
    deploymentId: envelope.deploymentId,
    executionArn: envelope.executionArn,
    imageRef,
    acquiredAt: envelope.startedAt,
    leaseExpiresAt: Math.floor(Date.now() / 1000) + LEASE_SECONDS,
  };
  let taken = await acquireLock(lock);
  // Released between the write and the read: the lock is free now.
  if (!taken.acquired && !taken.holder) taken = await acquireLock(lock);
  if (!taken.acquired) {
    const reclaimed = taken.holder ? await takeOverOrRefuse(service, lock, taken.holder) : undefined;
    if (!reclaimed) throw new DeploymentLockedError(`${service.name} is locked by another deployment`);
    state.warnings.push(reclaimed);
  }
  await createRecord(recordBase(state));
  logger.info('lock taken', { liveColour, idleColour, strategy: strategy.type });
  return state;
});

/**
 * The lock is held: a dead holder's lock is taken over (the returned warning
 * says from whom); otherwise a duplicate of the holder ends DUPLICATE, an
 * image older than the holder's ends SUPERSEDED, and anything else is refused
 * naming the holder.
 */
async function takeOverOrRefuse(service: ServiceConfig, lock: Omit<LockItem, 'pk' | 'sk'>, holder: LockItem): Promise<string> {
  // A dead holder's lock is taken over first: a re-trigger of its image is then a fresh deployment, not a duplicate.
  const verdict = await inspectHolder(holder);
  const described = `deployment ${holder.deploymentId} (${describeRef(holder.imageRef)}, since ${holder.acquiredAt}, execution ${holder.executionArn})`;
  if (verdict.reclaimable) {
    if (await reclaimLock(lock, holder)) {
      logger.warn('lock reclaimed', { from: holder.deploymentId, why: verdict.why });
      return `took over the lock of ${described}: ${verdict.why}`;
    }
    throw new DeploymentLockedError(`${service.name} was locked by ${described}, and another deployment took the lock first`);
  }
  if (holder.imageRef === lock.imageRef) {
    throw new DuplicateTriggerError(
      `${service.name} is already deploying ${describeRef(lock.imageRef)} (deployment ${holder.deploymentId}); this trigger changes nothing`,
    );
  }
  // A rollback's reference names no image, so it is never superseded: going back is what it is for.
  const mine = imageRefOf(lock.imageRef);
  const theirs = imageRefOf(holder.imageRef);
  const older = mine && theirs ? await olderThan(service.ecr.repositoryName, mine, theirs) : undefined;
  if (older) {
    throw new SupersededError(
      `${describeRef(lock.imageRef)} (pushed ${older.candidate.toISOString()}) is older than ${describeRef(holder.imageRef)} (pushed ${older.reference.toISOString()}), which ${described} is deploying; releases do not go backwards by accident (use "baton rollback" to go back)`,
    );
  }
  throw new DeploymentLockedError(`${service.name} is locked by ${described}${verdict.why ? `: ${verdict.why}` : ''}`);
}

function describeRef(imageRef: string): string {
  if (imageRef.startsWith('rollback:')) return `a rollback to ${imageRef.slice('rollback:'.length)}`;
  return imageRef.startsWith('tag:') ? `image tag ${imageRef.slice(4)}` : `image ${imageRef}`;
}
