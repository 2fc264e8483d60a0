/**
 * plan release: the first phase of a multi-service release. Parses the
 * release input, orders its services in waves from the config's dependsOn,
 * then takes every service's lock, in name order, or none: a lock held by a
 * live deployment releases the locks already taken and refuses the release,
 * naming the holder. Two overlapping releases therefore never wait on each
 * other: whichever reaches their first common service first proceeds.
 * Writes the release record and one deployment record per service.
 */

import type { ServiceConfig } from '../shared/config-schema.ts';
import { type DeploymentRequest, ExecutionEnvelopeSchema } from '../shared/contract.ts';
import { startState } from '../shared/deployment-start.ts';
import { DeploymentLockedError } from '../shared/errors.ts';
import { describeHolder, lockFor, lockHolderOf } from '../shared/lock/holder.ts';
import { releaseLock } from '../shared/lock/table.ts';
import { takeLock } from '../shared/lock/takeover.ts';
import { logger } from '../shared/logger.ts';
import { initialRecord } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import { createRecord } from '../shared/records/deployment.ts';
import { createReleaseRecord, type ReleaseServiceEntry } from '../shared/records/release.ts';
import {
  formatOrder,
  parseReleaseRequest,
  planWaves,
  type ReleaseRequest,
  type ReleaseState,
  serviceDeploymentId,
  togetherStrategy,
} from '../shared/release.ts';
import { pipelineConfig } from '../shared/runtime-config.ts';
import type { DeploymentState } from '../shared/stages.ts';

export const handler = definePhase(
  'planRelease',
  ExecutionEnvelopeSchema,
  async (envelope): Promise<ReleaseState> => {
    const config = pipelineConfig();
    const request = parseReleaseRequest(envelope.request);
    const waves = planWaves(config, Object.keys(request.services));
    const configured = new Map(config.services.map((service) => [service.name, service]));
    const serviceOf = (name: string): ServiceConfig => configured.get(name) as ServiceConfig;
    const strategy = request.shift === 'together' ? togetherStrategy(request, waves.flat().map(serviceOf)) : request.strategy;
    const releaseId = envelope.deploymentId;

    const states = await Promise.all(
      waves.map((wave) =>
        Promise.all(
          wave.map((name) =>
            startState(
              {
                deploymentId: serviceDeploymentId(releaseId, name),
                releaseId,
                executionArn: envelope.executionArn,
                startedAt: envelope.startedAt,
              },
              serviceRequest(request, name, strategy),
              serviceOf(name),
              config.pipeline,
            ),
          ),
        ),
      ),
    );
    const byName = new Map(states.flat().map((state) => [state.service.name, state]));
    const services: Record<string, ReleaseServiceEntry> = {};
    waves.forEach((wave, index) => {
      for (const name of wave) {
        const image = request.services[name];
        services[name] = {
          deploymentId: serviceDeploymentId(releaseId, name),
          wave: index + 1,
          ...(image?.imageTag ? { imageTag: image.imageTag } : {}),
          ...(image?.imageDigest ? { imageDigest: image.imageDigest } : {}),
        };
      }
    });
    const state: ReleaseState = {
      releaseId,
      executionArn: envelope.executionArn,
      startedAt: envelope.startedAt,
      request,
      order: waves,
      waves: states,
      warnings: [],
    };
    if (request.dryRun) {
      logger.info('release dry run planned', { release: request.release, order: formatOrder(waves) });
      return state;
    }
    // The record first: if the execution stops while it takes locks, the backstop finds the release and frees them.
    await createReleaseRecord({
      releaseId,
      release: request.release,
      status: 'IN_PROGRESS',
      executionArn: envelope.executionArn,
      startedAt: envelope.startedAt,
      trigger: request.trigger,
      requestedBy: request.requestedBy,
      reason: request.reason,
      shift: request.shift,
      waves,
      services,
    });

    const warnings = await lockAll([...byName.values()]);
    for (const planned of byName.values()) await createRecord(initialRecord(planned));
    logger.info('release planned', { release: request.release, order: formatOrder(waves) });
    return { ...state, warnings };
  },
  {
    track: false,
    identify: (input) => {
      const envelope = ExecutionEnvelopeSchema.safeParse(input);
      return envelope.success
        ? { deploymentId: envelope.data.deploymentId, executionArn: envelope.data.executionArn, service: undefined }
        : undefined;
    },
  },
);

/** What each service of the release deploys, as a single deployment would be asked for. */
function serviceRequest(request: ReleaseRequest, name: string, strategy: ReleaseRequest['strategy']): DeploymentRequest {
  const image = request.services[name];
  return {
    service: name,
    ...(image?.imageTag ? { imageTag: image.imageTag } : {}),
    ...(image?.imageDigest ? { imageDigest: image.imageDigest } : {}),
    ...(strategy ? { strategy } : {}),
    hotfix: false,
    dryRun: request.dryRun,
    trigger: request.trigger,
    ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
    reason: `release ${request.release}${request.reason ? `: ${request.reason}` : ''}`,
  };
}

/**
 * Every lock or none, in name order: a fixed order means two overlapping
 * releases meet at their first common service, where one of them stops.
 * Returns the warnings of locks taken over from dead holders.
 */
async function lockAll(states: DeploymentState[]): Promise<string[]> {
  const ordered = [...states].sort((a, b) => a.service.name.localeCompare(b.service.name));
  const taken: DeploymentState[] = [];
  const warnings: string[] = [];
  for (const state of ordered) {
    const attempt = await takeLock(lockFor(state));
    if (attempt.taken) {
      taken.push(state);
      if (attempt.warning) warnings.push(`${state.service.name}: ${attempt.warning}`);
      continue;
    }
    for (const held of taken.reverse()) await releaseLock(held.service.name, lockHolderOf(held));
    const holder = attempt.holder ? describeHolder(attempt.holder) : 'another deployment';
    throw new DeploymentLockedError(
      `${state.service.name} is locked by ${holder}${attempt.why ? `: ${attempt.why}` : ''}; the release takes no lock (${
        taken.length > 0 ? `released ${taken.map((s) => s.service.name).join(', ')} again` : 'none was taken'
      }) and changes nothing`,
    );
  }
  return warnings;
}
