/**
 * shift together: with a release's shift "together", every service moves its
 * production weight at the same steps of one plan. All gates are checked
 * before any weight moves, so a failing gate stops the release with every
 * service still at the same step; the joint rollback then brings them back.
 */

import * as z from 'zod';
import { acceptApproval } from '../shared/approval.ts';
import { GateFailedError } from '../shared/errors.ts';
import { assertLockHeld, keepLease } from '../shared/lock/lease.ts';
import { logger } from '../shared/logger.ts';
import { definePhase } from '../shared/phase.ts';
import { type ReleaseState, ReleaseStateSchema } from '../shared/release.ts';
import { type VerifiedState, VerifiedStateSchema } from '../shared/stages.ts';
import { nowIso } from '../shared/time.ts';
import { applyNextStep, checkTrafficGates, holdSeconds, type ShiftedState } from '../shared/traffic.ts';

/** The release once every service passed verify: at least one service (the first one's hold is every service's). */
const ShiftTogetherInputSchema = ReleaseStateSchema.extend({ services: z.tuple([VerifiedStateSchema], VerifiedStateSchema) });

const refOf = (state: VerifiedState) => ({
  deploymentId: state.deploymentId,
  executionArn: state.executionArn,
  ...(state.heldBy ? { heldBy: state.heldBy } : {}),
  service: state.service.name,
});

export const handler = definePhase(
  'shiftTogether',
  ShiftTogetherInputSchema,
  async (release, { phase }): Promise<ReleaseState> => {
    const { services } = release;
    for (const state of services) await assertLockHeld(refOf(state), 'shiftTogether');
    // Each service's approval (its message names the deployment) before any gate or weight.
    for (const state of services) await acceptApproval(state);
    for (const state of services) {
      try {
        await checkTrafficGates(state);
      } catch (error) {
        if (error instanceof GateFailedError) throw new GateFailedError(`${state.service.name}: ${error.message}`);
        throw error;
      }
    }
    // One plan and one clock for all: the first service's hold is every service's hold.
    const hold = holdSeconds(services[0]);
    let next: ShiftedState[];
    if (hold !== undefined) {
      next = services.map((state) => ({ ...state, wait: { seconds: hold } }));
    } else {
      const now = nowIso();
      next = [];
      for (const state of services) next.push(await applyNextStep(state, now, phase));
      logger.info('release traffic step applied', { weight: next[0]?.traffic?.weight, services: services.length });
    }
    const seconds = Math.min(...next.map((state) => state.wait?.seconds ?? 0));
    for (const state of next) await keepLease(refOf(state), 'shiftTogether', seconds);
    return {
      ...release,
      services: next,
      traffic: { complete: next.every((state) => state.traffic.complete) },
      wait: { seconds },
    };
  },
  {
    track: false,
    identify: (input) => {
      const release = ReleaseStateSchema.safeParse(input);
      return release.success
        ? { deploymentId: release.data.releaseId, executionArn: release.data.executionArn, service: undefined }
        : undefined;
    },
  },
);
