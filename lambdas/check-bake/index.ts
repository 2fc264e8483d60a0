/**
 * check bake: while the new colour carries all traffic and the old colour
 * still runs (invariant 2), the gates must keep passing until the bake time
 * is over. The first bad signal rolls back.
 */
import { type DeploymentState, DeploymentStateSchema } from '../shared/contract.ts';
import { ContractViolationError, GateFailedError } from '../shared/errors.ts';
import { gateFailures } from '../shared/gates.ts';
import { definePhase } from '../shared/phase.ts';
import { isPast, secondsUntil } from '../shared/time.ts';

export const handler = definePhase(
  'checkBake',
  DeploymentStateSchema,
  async (state): Promise<DeploymentState> => {
    const { bake, rollout } = state;
    if (!bake || !rollout) throw new ContractViolationError('check bake needs the output of shift traffic');
    const failures = await gateFailures(state, state.idle, rollout.desiredCount);
    if (failures.length > 0) {
      throw new GateFailedError(`gate failed during the bake of ${state.idle.colour} at 100 %: ${failures.join('; ')}`);
    }
    if (isPast(bake.until)) {
      return { ...state, bake: { ...bake, complete: true }, wait: { seconds: state.service.scaleDownDelaySeconds } };
    }
    return { ...state, wait: { seconds: Math.min(state.service.gateIntervalSeconds, secondsUntil(bake.until)) } };
  },
  { done: (next) => next.bake?.complete === true },
);
