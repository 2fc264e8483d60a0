/**
 * check bake: while the new colour carries all traffic and the old colour
 * still runs (docs/architecture.md I2), the gates must keep passing until the bake time
 * is over, and then on until the scale-down delay is over: the old colour is
 * the way back only while it runs, so the new one is watched for as long as
 * it does, inside each invocation (watch.ts). The first bad signal rolls back. The state machine calls it from
 * two loops ("Check bake", then "Check before retiring old colour"), so the
 * console shows which wait it is in; the function tells them by `bake.complete`.
 */
import * as z from 'zod';
import { GateFailedError } from '../shared/errors.ts';
import { gateFailures, oldColourAsKept } from '../shared/gates.ts';
import { definePhase } from '../shared/phase.ts';
import { signalFailures } from '../shared/signals.ts';
import { type BakingState, BakingStateSchema, type RetiringState, RetiringStateSchema } from '../shared/stages.ts';
import { addSeconds, nowIso } from '../shared/time.ts';
import { watchUntil } from '../shared/watch.ts';

/** The bake (not complete yet), or the scale-down wait that follows it (the bake complete, the old colour's retirement set). */
const CheckBakeInputSchema = z.union([
  RetiringStateSchema.refine((state) => state.bake.complete),
  BakingStateSchema.refine((state) => !state.bake.complete, { message: 'the scale-down wait needs the output of the bake' }),
]);

export const handler = definePhase(
  'checkBake',
  CheckBakeInputSchema,
  async (state, { remainingMillis }): Promise<BakedState> =>
    'retire' in state ? beforeRetiring(state, remainingMillis) : baking(state, remainingMillis),
  { done: (next) => next.retire?.due === true },
);

/** A baking deployment after a check: the old colour's retirement set once the bake is over. */
type BakedState = BakingState & Partial<Pick<RetiringState, 'retire'>>;

/**
 * The gates of the new colour at 100 %, watched until `until` (watch.ts); `failed` words a failure. True when the
 * watch is over, false when the invocation's time ran out first (nothing promotes a bake).
 */
async function watchNewColour(
  state: BakingState,
  until: string,
  remainingMillis: () => number,
  failed: (failures: string) => string,
): Promise<boolean> {
  const end = await watchUntil({
    signals: async () => ({ failures: await signalFailures(state) }),
    until,
    intervalSeconds: state.service.gateIntervalSeconds,
    check: () => gateFailures(state, state.idle, state.rollout.desiredCount),
    fail: (failures) => new GateFailedError(failed(failures.join('; '))),
    remainingMillis,
  });
  return end === 'over';
}

/** The bake: the gates must pass until it is over; then the old colour is retired after the scale-down delay. */
async function baking(state: BakingState, remainingMillis: () => number): Promise<BakedState> {
  const { bake } = state;
  const over = await watchNewColour(
    state,
    bake.until,
    remainingMillis,
    (failures) => `gate failed during the bake of ${state.idle.colour} at 100 %: ${failures}`,
  );
  if (!over) return state;
  return {
    ...state,
    bake: { ...bake, complete: true },
    retire: { at: addSeconds(nowIso(), state.service.scaleDownDelaySeconds), due: false },
  };
}

/** The scale-down wait: the old colour is the way back while it runs, so the gates are watched until it is retired. */
async function beforeRetiring(state: RetiringState, remainingMillis: () => number): Promise<RetiringState> {
  const { retire } = state;
  const over = await watchNewColour(
    state,
    retire.at,
    remainingMillis,
    (failures) =>
      // A failure may end a sentence of its own (a CloudWatch reason does): one full stop, not two.
      `gate failed before retiring ${state.live.colour} (${state.idle.colour} at 100 %): ${failures.replace(/\.$/, '')}. ${oldColourAsKept(state)}.`,
  );
  return over ? { ...state, retire: { ...retire, due: true } } : state;
}
