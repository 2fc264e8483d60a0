/**
 * One traffic step of a deployment: the gates, the hold between steps, and
 * the next absolute weights of the strategy's plan. Shift traffic walks one
 * service through its plan; shift together walks every service of a release
 * through one plan at the same moments.
 */
import type { PhaseName } from '../../lib/constructs/phases.ts';
import { weightsFor } from './aws/listener.ts';
import { setProductionWeights } from './production-weights.ts';
import type { BakingState, VerifiedState } from './stages.ts';

/** A verified deployment after a traffic step: the bake set once the last step is applied. */
export type ShiftedState = VerifiedState & Partial<Pick<BakingState, 'bake'>>;

import { analysisFailures, judgeStep } from './analysis/gate.ts';
import type { Judgement } from './analysis/judge.ts';
import { ContractViolationError, GateFailedError } from './errors.ts';
import { gateFailures } from './gates.ts';
import { assertLockHeld } from './lock/lease.ts';
import type { PromotionRequest } from './lock/table.ts';
import { logger } from './logger.ts';
import { holdSignals } from './signals.ts';
import { planSteps } from './strategy.ts';
import { addSeconds, isPast, nowIso } from './time.ts';
import { watchUntil } from './watch.ts';

/** Where the plan stands, and the step it applies next (`full`, for `baton promote --full`: the last one, 100 %). */
function progressOf(state: VerifiedState, full = false) {
  const { rollout } = state;
  const steps = planSteps(state.strategy);
  const traffic = full ? { ...state.traffic, nextStep: Math.max(state.traffic.nextStep, steps.length - 1) } : state.traffic;
  const step = steps[traffic.nextStep];
  if (!step) throw new ContractViolationError(`traffic step ${traffic.nextStep} is past the plan (${steps.length} steps)`);
  return { traffic, rollout, steps, step };
}

/** The gates of the current step: alarms, health, running count, the events' signal, and the analysis (its judgement kept). */
export async function stepGates(state: VerifiedState): Promise<{ failures: string[]; judgement?: Judgement }> {
  const [failures, judgement] = await Promise.all([gateFailures(state, state.idle, state.rollout.desiredCount), judgeStep(state)]);
  return { failures: [...failures, ...analysisFailures(judgement)], ...(judgement ? { judgement } : {}) };
}

/** The gates before a step when none holds; the analysis' judgement of the step before it, if there was one. */
export async function checkTrafficGates(state: VerifiedState, options: { full?: boolean } = {}): Promise<Judgement | undefined> {
  const { traffic, step } = progressOf(state, options.full);
  const { failures, judgement } = await stepGates(state);
  if (failures.length === 0) return judgement;
  throw new GateFailedError(
    `gate failed before shifting ${state.idle.colour} to ${step.weight} % (at ${traffic.weight} %): ${failures.join('; ')}`,
  );
}

/** Whether a worker's next step is still raising its tasks (an earlier invocation's time ran out while it waited). */
export function isRaising(state: VerifiedState): boolean {
  return state.traffic.raising !== undefined;
}

/** Whether the current step still holds (its pause is not over). */
export function isHolding(state: VerifiedState): boolean {
  const { traffic } = progressOf(state);
  return traffic.holdUntil !== undefined && !isPast(traffic.holdUntil);
}

/** The step whose hold is current (the last one applied), with its place in the plan. */
export function heldStep(state: VerifiedState) {
  const steps = planSteps(state.strategy);
  const index = state.traffic.nextStep - 1;
  return { step: steps[index], number: index + 1, of: steps.length };
}

/** How a hold's watch ended: its time over, the invocation's time out first, or an operator's `baton promote`. */
export type HoldEnd =
  | { readonly kind: 'over'; readonly judgement?: Judgement }
  | { readonly kind: 'out-of-time' }
  | { readonly kind: 'promoted'; readonly promotion: PromotionRequest };

/**
 * Watches the current step's hold inside this invocation (watch.ts): the
 * gates every gate interval, the events and the operator's promotion every
 * second. Over when the hold's time is over and every check passed.
 */
export async function watchHold(state: VerifiedState, remainingMillis: () => number): Promise<HoldEnd> {
  const { traffic } = progressOf(state);
  const { number } = heldStep(state);
  let promotion: PromotionRequest | undefined;
  let judgement: Judgement | undefined;
  const end = await watchUntil({
    signals: async () => {
      const look = await holdSignals(state, number);
      promotion = look.promotion;
      return { failures: look.failures, promoted: look.promotion !== undefined };
    },
    until: traffic.holdUntil ?? nowIso(),
    intervalSeconds: state.service.gateIntervalSeconds,
    check: async () => {
      const gates = await stepGates(state);
      judgement = gates.judgement;
      return gates.failures;
    },
    fail: (failures) =>
      new GateFailedError(`gate failed while holding ${state.idle.colour} at ${traffic.weight} %: ${failures.join('; ')}`),
    remainingMillis,
  });
  if (end === 'promoted' && promotion) return { kind: 'promoted', promotion };
  if (end === 'out-of-time') return { kind: 'out-of-time' };
  return { kind: 'over', ...(judgement ? { judgement } : {}) };
}

/** A promotion of the hold that is over already (found by the invocation after it): it names this step, so it counts. */
export async function promotionOfEndedHold(state: VerifiedState): Promise<PromotionRequest | undefined> {
  return (await holdSignals(state, heldStep(state).number)).promotion;
}

/**
 * Sets the next step's weights (absolute) for `phase` and returns the state with the plan advanced; `now` times the
 * hold or the bake.
 */
export async function applyNextStep(
  state: VerifiedState,
  now: string,
  phase: PhaseName,
  options: { full?: boolean; remainingMillis?: () => number } = {},
): Promise<ShiftedState> {
  // A worker's step still raising (an earlier invocation's time ran out) goes on as it began.
  const full = state.traffic.raising?.full ?? options.full === true;
  const { traffic, steps, step } = progressOf(state, full);
  const raisedAt = state.traffic.raising?.since ?? nowIso();
  const written = await setProductionWeights(state, weightsFor(state.idle.colour, step.weight), phase, {
    step: { step: traffic.nextStep + 1, of: steps.length },
    raisedAt,
    ...(options.remainingMillis ? { remainingMillis: options.remainingMillis } : {}),
    // A worker's new tasks take work as they start: the gates again before the old colour gives its tasks up to them.
    beforeLower: async () => {
      // The wait may have lasted the invocation: a recovery that took the lock meanwhile rolls back, and this step
      // lowers nothing behind its back.
      await assertLockHeld(
        {
          deploymentId: state.deploymentId,
          executionArn: state.executionArn,
          ...(state.heldBy ? { heldBy: state.heldBy } : {}),
          service: state.service.name,
        },
        phase,
      );
      const failures = await gateFailures(state, state.idle, state.rollout.desiredCount);
      if (failures.length === 0) return;
      throw new GateFailedError(
        `gate failed before ${state.live.colour} gave up its tasks to ${state.idle.colour} at ${step.weight} % (at ${traffic.weight} %): ${failures.join('; ')}`,
      );
    },
  });
  if (!written) {
    logger.info('raised tasks not all running yet; the next invocation waits on', { weight: step.weight, since: raisedAt });
    return { ...state, traffic: { ...state.traffic, raising: { since: raisedAt, full } } };
  }
  // A worker's write waits for the tasks it raised: its hold or bake counts from when the step is in place.
  const at = state.service.kind === 'worker' ? nowIso() : now;
  logger.info('traffic shifted', {
    targetService: state.service.name,
    colour: state.idle.colour,
    weight: step.weight,
    step: traffic.nextStep + 1,
    of: steps.length,
  });
  const nextStep = traffic.nextStep + 1;
  const complete = nextStep >= steps.length;
  if (!complete) {
    return {
      ...state,
      traffic: { nextStep, weight: step.weight, complete, holdUntil: addSeconds(at, step.pauseSeconds), heldSince: at },
    };
  }
  return {
    ...state,
    traffic: { nextStep, weight: step.weight, complete },
    bake: { until: addSeconds(at, state.bakeSeconds), complete: false },
  };
}
