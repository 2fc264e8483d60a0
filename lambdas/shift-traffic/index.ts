/**
 * shift traffic: applies the next step of the strategy's plan as absolute
 * listener weights, after the approval (when one was asked for) and the gates
 * pass. The state machine waits the step's pause and calls again until the
 * plan is done; then the bake starts.
 */

import { acceptApproval } from '../shared/approval.ts';
import { definePhase } from '../shared/phase.ts';
import { VerifiedStateSchema } from '../shared/stages.ts';
import { nowIso } from '../shared/time.ts';
import { applyNextStep, checkTrafficGates, holdSeconds, type ShiftedState } from '../shared/traffic.ts';

export const handler = definePhase(
  'shiftTraffic',
  VerifiedStateSchema,
  async (state, { phase }): Promise<ShiftedState> => {
    // The approval is checked (and recorded) before any gate or weight: a refused one rolls back.
    await acceptApproval(state);
    await checkTrafficGates(state);
    // Holding at a step: the gates passed; look again after one gate interval.
    const hold = holdSeconds(state);
    if (hold !== undefined) return { ...state, wait: { seconds: hold } };
    return applyNextStep(state, nowIso(), phase);
  },
  { done: (next) => next.traffic.complete },
);
