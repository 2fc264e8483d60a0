/** Faults of the platform the pipeline runs on: API throttling, Lambda's concurrency, Step Functions' status events. */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import { throttlingError } from '../account/services/common.ts';
import type { Fault } from './fault.ts';

export const PLATFORM_FAULTS: Record<string, Fault> = {
  throttling: {
    description: 'The first 3 ECS and ELB calls are throttled: the state machine retries them and the deployment still succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      let remaining = 3;
      ctx.interceptors.push((service) => {
        if ((service === 'ecs' || service === 'elb') && remaining > 0) {
          remaining -= 1;
          throw throttlingError(service);
        }
      });
    },
  },
  'lambda-throttling-burst': {
    description:
      "Lambda rejects the first 5 invocations (the account's concurrency is used up) with Lambda.TooManyRequestsException: the Task's throttling retrier (6 attempts, 2 s doubling) waits 62 s and the deployment succeeds.",
    expected: 'SUCCEEDED',
    apply(ctx) {
      let remaining = 5;
      ctx.beforeInvoke.push(() => {
        if (remaining <= 0) return;
        remaining -= 1;
        const error = new Error('Rate Exceeded. (Service: Lambda, Status Code: 429, Reason: ConcurrentInvocationLimitExceeded)');
        error.name = 'Lambda.TooManyRequestsException';
        throw error;
      });
    },
  },
  'signal-rules-disabled': {
    description:
      'An operator disabled the signal rules (DisableRule): no alarm or task event reaches the signal function. Alone the deployment succeeds; with a bad signal (e.g. alarm-during-hold) the polling gates still roll back, at their next check.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      ctx.model.disabledRules.add('signal');
    },
  },
  'status-event-lost': {
    description:
      "The operator stops the deployment as it enters Check bake (all traffic on the new colour) and Step Functions' status-change event of that end is never delivered (best effort): no event reaches the backstop; its sweep finds the lock held by the ended execution with the record IN_PROGRESS and starts the recovery, which rolls back: ROLLED_BACK, 100 % on the old colour.",
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.stopAt(S.checkBake);
      ctx.loseMainStatusEvent();
    },
  },
};
