/**
 * A traffic step that waits for `baton promote` (strategy steps with
 * "pause": "approval"). While it waits the deployment record says so
 * (awaitingPromotion, which `baton promote` and `baton status` read) and the
 * people are told once how to act; the promotion that ends it is recorded
 * once, with who made it. The wait itself is a hold like any other
 * (traffic.ts): the gates every gate interval, the events and the operator's
 * promotion every second.
 */
import type { PromotionRequest } from './lock/table.ts';
import { executionConsoleUrl } from './names.ts';
import { type AwaitingPromotion, claimPromotionWait, endPromotionWait, promotedStep } from './records/deployment.ts';
import type { VerifiedState } from './stages.ts';
import { notifyPromotionWait } from './telemetry/notify.ts';
import { heldStep } from './traffic.ts';

/** When the current hold began: the state says so; a payload from before it did is worked out from the step's pause. */
export function holdStart(state: VerifiedState): string {
  const { traffic } = state;
  if (traffic.heldSince) return traffic.heldSince;
  const pause = heldStep(state).step?.pauseSeconds ?? 0;
  return new Date(Date.parse(traffic.holdUntil ?? new Date().toISOString()) - pause * 1000).toISOString();
}

/** The record's note of the current hold's wait for promotion; undefined when the held step does not wait for one. */
export function promotionWaitOf(state: VerifiedState): AwaitingPromotion | undefined {
  const { step, number, of } = heldStep(state);
  if (!step?.promotion || !state.traffic.holdUntil) return undefined;
  return {
    step: number,
    of,
    colour: state.idle.colour,
    weight: step.weight,
    since: holdStart(state),
    until: state.traffic.holdUntil,
    onTimeout: step.promotion.onTimeout,
  };
}

/** Says in the record, and to the people once, that the step just applied waits for `baton promote`. */
export async function announcePromotionWait(state: VerifiedState): Promise<void> {
  const wait = promotionWaitOf(state);
  if (!wait || state.request.dryRun) return;
  if (!(await claimPromotionWait(state.deploymentId, state, wait))) return;
  await notifyPromotionWait({
    service: state.service.name,
    deploymentId: state.deploymentId,
    image: state.image.tag ?? state.request.pushedTag ?? state.image.digest,
    colour: state.idle.serviceName,
    weight: wait.weight,
    step: wait.step,
    of: wait.of,
    until: wait.until,
    onTimeout: wait.onTimeout,
    consoleUrl: executionConsoleUrl(state.executionArn, state.executionArn.split(':')[3] ?? ''),
    trigger: state.request.trigger,
    requestedBy: state.request.requestedBy,
    requestReason: state.request.reason,
  });
}

/** Records the promotion that ended the current hold (a wait for it, or a timed hold), once; the wait, if any, ends with it. */
export async function recordPromotion(state: VerifiedState, promotion: PromotionRequest): Promise<void> {
  const { step, number } = heldStep(state);
  await promotedStep(state.deploymentId, state, {
    step: number,
    weight: step?.weight ?? state.traffic.weight,
    full: promotion.full,
    by: promotion.by,
    at: promotion.at,
    ...(promotion.reason ? { reason: promotion.reason } : {}),
  });
}

/** Ends the current hold's wait in the record, its time over with nobody promoting it. */
export async function closePromotionWait(state: VerifiedState): Promise<void> {
  if (!promotionWaitOf(state)) return;
  await endPromotionWait(state.deploymentId, state);
}
