/**
 * initialize: validates the request, resolves the live colour from the
 * listener weights, takes the per-service lock and writes the record.
 * A dry run takes no lock and writes nothing.
 */

import { imageRefOf, pushTimes } from '../shared/aws/images.ts';
import type { ServiceConfig } from '../shared/config-schema.ts';
import { type DeploymentRequest, ExecutionEnvelopeSchema } from '../shared/contract.ts';
import { startState } from '../shared/deployment-start.ts';
import { DeploymentLockedError, DuplicateTriggerError, SupersededError, UnknownServiceError } from '../shared/errors.ts';
import { describeHolder, describeRef, lockFor } from '../shared/lock/holder.ts';
import type { LockItem } from '../shared/lock/table.ts';
import { takeLock } from '../shared/lock/takeover.ts';
import { logger } from '../shared/logger.ts';
import { initialRecord } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import { QUEUEING_TRIGGERS, queueBehind } from '../shared/queue.ts';
import { createRecord } from '../shared/records/deployment.ts';
import { recordKey } from '../shared/records/keys.ts';
import { nameReused, ownedBy, readOwnership } from '../shared/records/table.ts';
import { parseRequest } from '../shared/request.ts';
import { pipelineConfig } from '../shared/runtime-config.ts';
import type { InitializedState } from '../shared/stages.ts';

export { HOTFIX_BAKE_SECONDS, resolveStrategy } from '../shared/deployment-start.ts';

export const handler = definePhase('initialize', ExecutionEnvelopeSchema, async (envelope): Promise<InitializedState> => {
  const config = pipelineConfig();
  const request = parseRequest(envelope.request, config);
  const service = config.services.find((candidate) => candidate.name === request.service);
  if (!service) {
    throw new UnknownServiceError(
      `invalid execution input: service: "${request.service}" is not configured (known: ${config.services.map((s) => s.name).join(', ')})`,
    );
  }
  logger.appendKeys({ targetService: service.name });

  const state = await startState(envelope, request, service, config.pipeline);
  if (request.dryRun) return state;

  // A name Step Functions freed (90 days after its execution closed) may still be the id of a kept record: refused
  // before anything is touched, so neither the record nor the lock of that deployment changes.
  const existing = await readOwnership('deployment', state.deploymentId, recordKey(state.deploymentId));
  if (existing && !ownedBy(existing, state)) throw nameReused('deployment', state.deploymentId, existing);
  const lock = lockFor(state);
  const taken = await takeLock(lock);
  if (!taken.taken) {
    if (!taken.holder) throw new DeploymentLockedError(`${service.name} is locked by another deployment`);
    // Not a duplicate nor superseded: the failed release is not live, and the lock waits for "baton unlock".
    if (taken.rollbackFailed) throw new DeploymentLockedError(`${service.name} is locked by ${describeHolder(taken.holder)}: ${taken.why}`);
    if (taken.lostRace)
      throw new DeploymentLockedError(
        `${service.name} was locked by ${describeHolder(taken.holder)}, and another deployment took the lock first`,
      );
    return refuse(service, request, lock, taken.holder, taken.why);
  }
  if (taken.warning) state.warnings.push(taken.warning);
  await createRecord(initialRecord(state));
  logger.info('lock taken', { liveColour: state.live.colour, idleColour: state.idle.colour, strategy: state.strategy.type });
  return state;
});

/**
 * The lock is held by a live holder: a duplicate of the holder ends
 * DUPLICATE, an image older than the holder's ends SUPERSEDED, a newer one
 * pushed to ECR or deployed with the CLI is queued (ends QUEUED, see
 * lambdas/shared/queue.ts), and anything else is refused naming the holder.
 */
async function refuse(
  service: ServiceConfig,
  request: DeploymentRequest,
  lock: LockItem,
  holder: LockItem,
  why: string | undefined,
): Promise<never> {
  const described = describeHolder(holder);
  if (holder.imageRef === lock.imageRef) {
    throw new DuplicateTriggerError(
      `${service.name} is already deploying ${describeRef(lock.imageRef)} (deployment ${holder.deploymentId}); this trigger changes nothing`,
    );
  }
  // A rollback's reference names no image, so it is never superseded (going back is what it is for) nor queued behind.
  const mine = imageRefOf(lock.imageRef);
  const theirs = imageRefOf(holder.imageRef);
  const times = mine && theirs ? await pushTimes(service.ecr.repositoryName, mine, theirs) : undefined;
  if (times && times.candidate.getTime() < times.reference.getTime()) {
    throw new SupersededError(
      `${describeRef(lock.imageRef)} (pushed ${times.candidate.toISOString()}) is older than ${describeRef(holder.imageRef)} (pushed ${times.reference.toISOString()}), which ${described} is deploying; releases do not go backwards by accident (use "baton rollback" to go back)`,
    );
  }
  // A release's services move together: an image newer than a release's is refused, not queued.
  if (times && times.candidate.getTime() > times.reference.getTime() && QUEUEING_TRIGGERS.has(request.trigger) && !holder.release) {
    return queueBehind(service, lock, holder, request, times.candidate);
  }
  throw new DeploymentLockedError(`${service.name} is locked by ${described}${why ? `: ${why}` : ''}`);
}
