/**
 * shift together: with a release's shift "together", every service moves its
 * production weight at the same steps of one plan. All gates are checked
 * before any weight moves, so a failing gate stops the release with every
 * service still at the same step; the joint rollback then brings them back.
 */

import * as z from 'zod';
import { analysisEntry } from '../shared/analysis/entry.ts';
import type { Judgement } from '../shared/analysis/judge.ts';
import { recordJudgement } from '../shared/analysis/record.ts';
import { acceptApproval } from '../shared/approval.ts';
import { GateFailedError } from '../shared/errors.ts';
import { assertLockHeld, keepLease } from '../shared/lock/lease.ts';
import { logger } from '../shared/logger.ts';
import { definePhase } from '../shared/phase.ts';
import { type ReleaseState, ReleaseStateSchema } from '../shared/release.ts';
import { signalFailures } from '../shared/signals.ts';
import { type VerifiedState, VerifiedStateSchema } from '../shared/stages.ts';
import { nowIso } from '../shared/time.ts';
import { applyNextStep, checkTrafficGates, isHolding, isRaising, type ShiftedState, stepGates } from '../shared/traffic.ts';
import { watchUntil } from '../shared/watch.ts';

/** The release once every service passed verify: at least one service (the first one's hold is every service's). */
const ShiftTogetherInputSchema = ReleaseStateSchema.extend({ services: z.tuple([VerifiedStateSchema], VerifiedStateSchema) });

const refOf = (state: VerifiedState) => ({
  deploymentId: state.deploymentId,
  executionArn: state.executionArn,
  ...(state.heldBy ? { heldBy: state.heldBy } : {}),
  service: state.service.name,
});

/** A gate failure of one service of the release, named after it. */
async function named<T>(state: VerifiedState, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof GateFailedError) throw new GateFailedError(`${state.service.name}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Each service's failures, named after it. */
async function everyService(
  services: readonly VerifiedState[],
  failuresOf: (state: VerifiedState) => Promise<string[]>,
): Promise<string[]> {
  const all = await Promise.all(services.map(async (state) => (await failuresOf(state)).map((line) => `${state.service.name}: ${line}`)));
  return all.flat();
}

/** Each service's last judgement of the analysis (services[].analysis), by deployment id. */
type Judgements = Map<string, Judgement>;

/**
 * Watches every service's gates through the release's hold, in one watch: the events of any service end it at once.
 * Each service's last judgement is kept in `judgements`.
 */
async function watchTogether(
  services: readonly [VerifiedState, ...VerifiedState[]],
  remainingMillis: () => number,
  judgements: Judgements,
): Promise<boolean> {
  const [first] = services;
  // A release holds for its time: a promotion is for one service's own steps (the release's plan refuses "pause").
  const end = await watchUntil({
    signals: async () => ({ failures: await everyService(services, signalFailures) }),
    until: first.traffic.holdUntil ?? nowIso(),
    intervalSeconds: Math.min(...services.map((state) => state.service.gateIntervalSeconds)),
    check: () =>
      everyService(services, async (state) => {
        const gates = await stepGates(state);
        if (gates.judgement) judgements.set(state.deploymentId, gates.judgement);
        return gates.failures;
      }),
    fail: (failures) => new GateFailedError(`gate failed while holding the release at ${first.traffic.weight} %: ${failures.join('; ')}`),
    remainingMillis,
  });
  return end === 'over';
}

/**
 * The release's hold counts from when its last service had the step in place (a worker's raise may have spanned
 * invocations while the others held): every service holds until then.
 */
function holdFromLast(services: ShiftedState[]): ShiftedState[] {
  const last = services.reduce<ShiftedState | undefined>(
    (latest, state) => ((state.traffic.heldSince ?? '') > (latest?.traffic.heldSince ?? '') ? state : latest),
    undefined,
  );
  const { heldSince, holdUntil } = last?.traffic ?? {};
  if (!heldSince || !holdUntil) return services;
  return services.map((state) => (state.traffic.complete ? state : { ...state, traffic: { ...state.traffic, heldSince, holdUntil } }));
}

export const handler = definePhase(
  'shiftTogether',
  ShiftTogetherInputSchema,
  async (release, { phase, remainingMillis }): Promise<ReleaseState> => {
    const { services } = release;
    for (const state of services) await assertLockHeld(refOf(state), 'shiftTogether');
    // Each service's approval (its message names the deployment) before any gate or weight.
    for (const state of services) await acceptApproval(state);
    // One plan and one clock for all: the first service's hold is every service's hold, watched for all of them.
    const [first] = services;
    const judgements: Judgements = new Map();
    // A worker still raising its tasks finishes the step the others applied already: no hold is watched until it has.
    const raising = services.some(isRaising);
    if (!raising && isHolding(first)) {
      if (!(await watchTogether(services, remainingMillis, judgements))) return release;
    } else {
      for (const state of services) {
        const judgement = await named(state, () => checkTrafficGates(state));
        if (judgement) judgements.set(state.deploymentId, judgement);
      }
    }
    const now = nowIso();
    // Each service's step ends with the release's: its last verdict into its record; too few requests under
    // lowTraffic "fail" fail the release ("hold" goes on: one service cannot hold the others' step).
    for (const state of services) {
      const judgement = judgements.get(state.deploymentId);
      if (!judgement || state.traffic.nextStep < 1) continue;
      if (judgement.verdict === 'too-few-requests' && state.service.analysis?.lowTraffic === 'fail') {
        throw new GateFailedError(
          `gate failed while holding the release at ${state.traffic.weight} %: ${state.service.name}: ${judgement.words} (lowTraffic "fail")`,
        );
      }
      await recordJudgement(state.deploymentId, state, analysisEntry(state.traffic.nextStep, state.traffic.weight, now, judgement));
    }
    // Workers first: a worker's write waits for the tasks it raised, and while one still raises (its invocation's time
    // ran out) no other service moves, so every service stays at the same step; the next invocation goes on.
    const order = [...services].sort((a, b) => Number(b.service.kind === 'worker') - Number(a.service.kind === 'worker'));
    const applied = new Map<string, ShiftedState>();
    const behind = Math.min(...services.map((state) => state.traffic.nextStep));
    for (const state of order) {
      // Applied this step already, while a worker after it raised its tasks: it waits for the others.
      if (state.traffic.nextStep > behind) continue;
      const shifted = await applyNextStep(state, now, phase, { remainingMillis });
      applied.set(state.deploymentId, shifted);
      if (isRaising(shifted)) {
        return {
          ...release,
          services: services.map((service) => (service.deploymentId === state.deploymentId ? shifted : service)),
          // The Choice after this state reads it, on the first step too (before any step there is none).
          traffic: { complete: false },
        };
      }
    }
    const next = holdFromLast(services.map((state) => applied.get(state.deploymentId) ?? state));
    logger.info('release traffic step applied', { weight: next[0]?.traffic?.weight, services: services.length });
    for (const state of next) await keepLease(refOf(state), 'shiftTogether', 0);
    return { ...release, services: next, traffic: { complete: next.every((state) => state.traffic.complete) } };
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
