/**
 * shift traffic: applies the next step of the strategy's plan as absolute
 * listener weights, after the gates pass. The state machine waits the step's
 * pause and calls again until the plan is done; then the bake starts.
 */

import { setWeights, weightsFor } from '../shared/aws/listener.ts';
import { type DeploymentState, DeploymentStateSchema } from '../shared/contract.ts';
import { ContractViolationError, GateFailedError } from '../shared/errors.ts';
import { gateFailures } from '../shared/gates.ts';
import { logger } from '../shared/logger.ts';
import { definePhase } from '../shared/phase.ts';
import { planSteps } from '../shared/strategy.ts';
import { addSeconds, isPast, nowIso, secondsUntil } from '../shared/time.ts';

export const handler = definePhase(
  'shiftTraffic',
  DeploymentStateSchema,
  async (state): Promise<DeploymentState> => {
    const { traffic, rollout } = state;
    if (!traffic || !rollout) throw new ContractViolationError('shift traffic needs the output of verify');
    const steps = planSteps(state.strategy);
    const step = steps[traffic.nextStep];
    if (!step) throw new ContractViolationError(`traffic step ${traffic.nextStep} is past the plan (${steps.length} steps)`);
    const interval = state.service.gateIntervalSeconds;

    const failures = await gateFailures(state, state.idle, rollout.desiredCount);
    if (failures.length > 0) {
      const where = traffic.holdUntil
        ? `while holding ${state.idle.colour} at ${traffic.weight} %`
        : `before shifting ${state.idle.colour} to ${step.weight} % (at ${traffic.weight} %)`;
      throw new GateFailedError(`gate failed ${where}: ${failures.join('; ')}`);
    }
    // Holding at a step: the gates passed; look again after one gate interval.
    if (traffic.holdUntil && !isPast(traffic.holdUntil)) {
      return { ...state, wait: { seconds: Math.min(interval, secondsUntil(traffic.holdUntil)) } };
    }

    await setWeights(state.service, weightsFor(state.idle.colour, step.weight));
    logger.info('traffic shifted', { colour: state.idle.colour, weight: step.weight, step: traffic.nextStep + 1, of: steps.length });

    const nextStep = traffic.nextStep + 1;
    const complete = nextStep >= steps.length;
    if (!complete) {
      const holdUntil = addSeconds(nowIso(), step.pauseSeconds);
      return {
        ...state,
        traffic: { nextStep, weight: step.weight, complete, holdUntil },
        wait: { seconds: Math.min(interval, step.pauseSeconds) },
      };
    }
    const until = addSeconds(nowIso(), state.bakeSeconds);
    return {
      ...state,
      traffic: { nextStep, weight: step.weight, complete },
      bake: { until, complete: false },
      wait: { seconds: Math.min(interval, state.bakeSeconds) },
    };
  },
  { done: (next) => next.traffic?.complete === true },
);
