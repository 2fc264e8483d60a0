/**
 * shift traffic: applies the next step of the strategy's plan as absolute
 * listener weights, after the approval (when one was asked for) and the gates
 * pass. While a step holds, it watches the hold inside its invocation
 * (traffic.ts watchHold) and the state machine calls it again until the plan
 * is done; then the bake starts.
 */

import { acceptApproval } from '../shared/approval.ts';
import { definePhase } from '../shared/phase.ts';
import { VerifiedStateSchema } from '../shared/stages.ts';
import { nowIso } from '../shared/time.ts';
import { applyNextStep, checkTrafficGates, isHolding, type ShiftedState, watchHold } from '../shared/traffic.ts';

export const handler = definePhase(
  'shiftTraffic',
  VerifiedStateSchema,
  async (state, { phase, remainingMillis }): Promise<ShiftedState> => {
    // The approval is checked (and recorded) before any gate or weight: a refused one rolls back.
    await acceptApproval(state);
    if (isHolding(state)) {
      // The hold's last check passed at its end: the next step follows at once.
      if (!(await watchHold(state, remainingMillis))) return state;
    } else {
      await checkTrafficGates(state);
    }
    return applyNextStep(state, nowIso(), phase);
  },
  { done: (next) => next.traffic.complete },
);
