/**
 * check bake: while the new colour carries all traffic and the old colour
 * still runs (docs/architecture.md I2), the gates must keep passing until the bake time
 * is over, and then on until the scale-down delay is over: the old colour is
 * the way back only while it runs, so the new one is watched for as long as
 * it does. The first bad signal rolls back. The state machine calls it from
 * two loops ("Check bake", then "Check before retiring old colour"), so the
 * console shows which wait it is in; the function tells them by `bake.complete`.
 */
import * as z from 'zod';
import { GateFailedError } from '../shared/errors.ts';
import { gateFailures } from '../shared/gates.ts';
import { definePhase } from '../shared/phase.ts';
import { type BakingState, BakingStateSchema, type RetiringState, RetiringStateSchema } from '../shared/stages.ts';
import { addSeconds, isPast, nowIso, secondsUntil } from '../shared/time.ts';

/** The bake (not complete yet), or the scale-down wait that follows it (the bake complete, the old colour's retirement set). */
const CheckBakeInputSchema = z.union([
  RetiringStateSchema.refine((state) => state.bake.complete),
  BakingStateSchema.refine((state) => !state.bake.complete, { message: 'the scale-down wait needs the output of the bake' }),
]);

export const handler = definePhase(
  'checkBake',
  CheckBakeInputSchema,
  async (state): Promise<BakedState> => ('retire' in state ? beforeRetiring(state) : baking(state)),
  { done: (next) => next.retire?.due === true },
);

/** A baking deployment after a check: the old colour's retirement set once the bake is over. */
type BakedState = BakingState & Partial<Pick<RetiringState, 'retire'>>;

/** The bake: the gates must pass until it is over; then the old colour is retired after the scale-down delay. */
async function baking(state: BakingState): Promise<BakedState> {
  const { bake, rollout } = state;
  const failures = await gateFailures(state, state.idle, rollout.desiredCount);
  const interval = state.service.gateIntervalSeconds;
  if (failures.length > 0) {
    throw new GateFailedError(`gate failed during the bake of ${state.idle.colour} at 100 %: ${failures.join('; ')}`);
  }
  if (isPast(bake.until)) {
    const delay = state.service.scaleDownDelaySeconds;
    return {
      ...state,
      bake: { ...bake, complete: true },
      retire: { at: addSeconds(nowIso(), delay), due: false },
      wait: { seconds: Math.min(interval, delay) },
    };
  }
  return { ...state, wait: { seconds: Math.min(interval, secondsUntil(bake.until)) } };
}

/** The scale-down wait: the old colour is the way back while it runs, so the gates are watched until it is retired. */
async function beforeRetiring(state: RetiringState): Promise<RetiringState> {
  const { retire, rollout } = state;
  const failures = await gateFailures(state, state.idle, rollout.desiredCount);
  const interval = state.service.gateIntervalSeconds;
  if (failures.length > 0) {
    throw new GateFailedError(
      `gate failed before retiring ${state.live.colour} (${state.idle.colour} at 100 %): ${failures.join('; ')}. ${state.live.colour} still runs.`,
    );
  }
  if (isPast(retire.at)) return { ...state, retire: { ...retire, due: true }, wait: { seconds: 0 } };
  return { ...state, wait: { seconds: Math.min(interval, secondsUntil(retire.at)) } };
}
