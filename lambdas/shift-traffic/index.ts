/**
 * shift traffic: applies the next step of the strategy's plan as absolute
 * listener weights, after the approval (when one was asked for) and the gates
 * pass. While a step holds, it watches the hold inside its invocation
 * (traffic.ts watchHold) and the state machine calls it again until the plan
 * is done; then the bake starts. A step that waits for `baton promote`
 * (promotion.ts) is a hold that ends early when promoted; when nobody
 * promoted it in time it rolls back or goes on, as its strategy says. With
 * an analysis (analysis/), each step's last judgement is recorded, and a step
 * with too few requests to judge holds longer (lowTraffic "hold").
 */

import { analysisEntry } from '../shared/analysis/entry.ts';
import type { Judgement } from '../shared/analysis/judge.ts';
import { recordJudgement } from '../shared/analysis/record.ts';
import { acceptApproval } from '../shared/approval.ts';
import { GateFailedError, PromotionTimeoutError } from '../shared/errors.ts';
import type { PromotionRequest } from '../shared/lock/table.ts';
import { logger } from '../shared/logger.ts';
import { definePhase } from '../shared/phase.ts';
import { announcePromotionWait, closePromotionWait, recordPromotion } from '../shared/promotion.ts';
import { type VerifiedState, VerifiedStateSchema } from '../shared/stages.ts';
import { addSeconds, nowIso } from '../shared/time.ts';
import {
  applyNextStep,
  checkTrafficGates,
  heldStep,
  isHolding,
  isRaising,
  promotionOfEndedHold,
  type ShiftedState,
  watchHold,
} from '../shared/traffic.ts';

/** How the current hold ended: promoted (by whom), or its time over; undefined while it holds on. The analysis' last judgement with it. */
async function endOfHold(
  state: VerifiedState,
  remainingMillis: () => number,
): Promise<{ promotion?: PromotionRequest; judgement?: Judgement } | undefined> {
  if (state.traffic.holdUntil === undefined) return {};
  if (isHolding(state)) {
    const end = await watchHold(state, remainingMillis);
    if (end.kind === 'out-of-time') return undefined;
    if (end.kind === 'promoted') return { promotion: end.promotion };
    return end.judgement ? { judgement: end.judgement } : {};
  }
  // The hold ended between two invocations: a promotion of it still counts.
  const promotion = await promotionOfEndedHold(state);
  return promotion ? { promotion } : {};
}

/**
 * A step due to end with too few requests to judge it (lowTraffic): "hold"
 * keeps it one more gate interval, up to maxExtraHoldSeconds beyond its pause
 * (an operator's promotion goes on instead); "fail" fails the gate; "pass"
 * goes on. Undefined when the step may go on.
 */
function lowTrafficAtEnd(state: VerifiedState, judgement: Judgement | undefined, promoted: boolean): VerifiedState | undefined {
  const analysis = state.service.analysis;
  const { step } = heldStep(state);
  if (judgement?.verdict !== 'too-few-requests' || !analysis || !step) return undefined;
  const failed = (why: string) =>
    new GateFailedError(`gate failed while holding ${state.idle.colour} at ${state.traffic.weight} %: ${judgement.words}${why}`);
  if (analysis.lowTraffic === 'fail') throw failed(' (lowTraffic "fail")');
  if (analysis.lowTraffic === 'pass' || promoted || !state.traffic.heldSince) return undefined;
  const limit = Date.parse(addSeconds(state.traffic.heldSince, step.pauseSeconds + analysis.maxExtraHoldSeconds));
  if (Date.now() >= limit) throw failed(`, after ${analysis.maxExtraHoldSeconds} s more than the step's pause (maxExtraHoldSeconds)`);
  logger.info('too few requests to judge the step: it holds longer', { weight: state.traffic.weight, words: judgement.words });
  return { ...state, traffic: { ...state.traffic, holdUntil: addSeconds(nowIso(), state.service.gateIntervalSeconds) } };
}

/**
 * Announces the wait of the step just applied, if it waits for `baton promote`. Not while a worker's step is still
 * raising: its hold has not begun, and the hold in the state is the one before it (maybe promoted already).
 */
async function announced(next: ShiftedState): Promise<ShiftedState> {
  if (!next.traffic.complete && !isRaising(next)) await announcePromotionWait(next);
  return next;
}

export const handler = definePhase(
  'shiftTraffic',
  VerifiedStateSchema,
  async (state, { phase, remainingMillis }): Promise<ShiftedState> => {
    // The approval is checked (and recorded) before any gate or weight: a refused one rolls back.
    await acceptApproval(state);
    if (isRaising(state)) {
      // A worker's step whose raised tasks an earlier invocation waited for: the gates of the step it is leaving, then on.
      await checkTrafficGates(state);
      return announced(await applyNextStep(state, nowIso(), phase, { remainingMillis }));
    }
    // A hold watched to its end had its last gate check then (watch.ts); any other way to the next step checks now.
    const watched = isHolding(state);
    const ended = await endOfHold(state, remainingMillis);
    if (!ended) return state;
    const { step, number } = heldStep(state);
    const { promotion } = ended;
    let judgement = ended.judgement;
    if (promotion) {
      logger.info('hold promoted', { by: promotion.by, full: promotion.full, weight: state.traffic.weight });
      // The last gate check may be up to a gate interval old.
      judgement = await checkTrafficGates(state, { full: promotion.full });
      await recordPromotion(state, promotion);
    } else {
      if (state.traffic.holdUntil !== undefined && step?.promotion) {
        await closePromotionWait(state);
        if (step.promotion.onTimeout === 'rollback') {
          throw new PromotionTimeoutError(
            `nobody ran "baton promote ${state.service.name}" while ${state.idle.colour} held ${state.traffic.weight} % (until ${state.traffic.holdUntil}): the step's onTimeout is "rollback"`,
          );
        }
        logger.info('hold not promoted in time; the strategy goes on', { weight: state.traffic.weight });
      }
      if (!watched) judgement = await checkTrafficGates(state);
    }
    // The step is due to end: too few requests to judge it are the lowTraffic policy's to settle.
    const longer = lowTrafficAtEnd(state, judgement, promotion !== undefined);
    if (longer) return longer;
    if (judgement && step)
      await recordJudgement(state.deploymentId, state, analysisEntry(number, state.traffic.weight, nowIso(), judgement));
    return announced(await applyNextStep(state, nowIso(), phase, { full: promotion?.full === true, remainingMillis }));
  },
  { done: (next) => next.traffic.complete },
);
