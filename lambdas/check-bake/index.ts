/**
 * check bake: while the new colour carries all traffic and the old colour
 * still runs (docs/architecture.md I2), the gates must keep passing until the bake time
 * is over, and then on until the scale-down delay is over: the old colour is
 * the way back only while it runs, so the new one is watched for as long as
 * it does. The first bad signal rolls back. The state machine calls it from
 * two loops ("Check bake", then "Check before retiring old colour"), so the
 * console shows which wait it is in; the function tells them by `bake.complete`.
 */
import { type DeploymentState, DeploymentStateSchema } from '../shared/contract.ts';
import { ContractViolationError, GateFailedError } from '../shared/errors.ts';
import { gateFailures } from '../shared/gates.ts';
import { definePhase } from '../shared/phase.ts';
import { addSeconds, isPast, nowIso, secondsUntil } from '../shared/time.ts';

export const handler = definePhase(
  'checkBake',
  DeploymentStateSchema,
  async (state): Promise<DeploymentState> => {
    const { bake, rollout } = state;
    if (!bake || !rollout) throw new ContractViolationError('check bake needs the output of shift traffic');
    const failures = await gateFailures(state, state.idle, rollout.desiredCount);
    const interval = state.service.gateIntervalSeconds;
    if (!bake.complete) {
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
    const { retire } = state;
    if (!retire) throw new ContractViolationError('the scale-down wait needs the output of the bake');
    if (failures.length > 0) {
      throw new GateFailedError(
        `gate failed before retiring ${state.live.colour} (${state.idle.colour} at 100 %): ${failures.join('; ')}. ${state.live.colour} still runs.`,
      );
    }
    if (isPast(retire.at)) return { ...state, retire: { ...retire, due: true }, wait: { seconds: 0 } };
    return { ...state, wait: { seconds: Math.min(interval, secondsUntil(retire.at)) } };
  },
  { done: (next) => next.retire?.due === true },
);
