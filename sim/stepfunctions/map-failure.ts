/**
 * A patch of aws-local-stepfunctions, installed when this module is first
 * imported (sim/stepfunctions/backend.ts imports it).
 *
 * In Step Functions a Map state that fails stops all its iterations, the ones
 * not yet started included. aws-local-stepfunctions aborts the running
 * iterations but still starts the queued ones: its MapStateAction.execute
 * queues every item with p-limit(MaxConcurrency), awaits Promise.all, and on a
 * failure calls the abort function of each iteration started so far
 * (executionAbortFuncs), leaving the queue to run
 * (https://github.com/nibble-4bits/aws-local-stepfunctions/blob/main/src/stateMachine/stateActions/MapStateAction.ts,
 * `execute`; unchanged in the 3.0.0 build this project installs). A Map with
 * MaxConcurrency 1 would go on to the next wave after one failed.
 *
 * A Map runs all its iterations on one iterator StateMachine instance, so the
 * patch wraps StateMachine.prototype.run
 * (https://github.com/nibble-4bits/aws-local-stepfunctions/blob/main/src/stateMachine/StateMachine.ts,
 * `run`): once a run of an instance has failed, later runs of that instance
 * end aborted at once.
 */
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';

const failedIterators = new WeakSet<object>();
type Run = StateMachine['run'];
const originalRun: Run = StateMachine.prototype.run;
StateMachine.prototype.run = function (this: StateMachine, ...args: Parameters<Run>): ReturnType<Run> {
  if (failedIterators.has(this)) {
    const result = Promise.reject(new ExecutionAbortedError());
    // Rejected on purpose: the Map that would read it has already failed.
    result.catch(() => undefined);
    return { abort: () => undefined, eventLogs: (async function* () {})(), result } as unknown as ReturnType<Run>;
  }
  const execution = originalRun.apply(this, args);
  execution.result.catch(() => failedIterators.add(this));
  return execution;
};
