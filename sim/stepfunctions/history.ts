/**
 * Step Functions' execution history, counted from what an execution did.
 *
 * The local engine (aws-local-stepfunctions) logs state-level events:
 * StateEntered, StateExited, StateFailed, StateRetried, StateCaught, the
 * Map iteration events and the execution's start and end. Step Functions
 * writes more history events for the same run (GetExecutionHistory,
 * HistoryEvent "type":
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html),
 * and an execution whose history reaches 25,000 events fails
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html,
 * "Maximum execution history size"; https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html).
 *
 * Per state, as Step Functions writes them:
 * - a Task whose Resource is a Lambda function ARN: TaskStateEntered,
 *   LambdaFunctionScheduled, LambdaFunctionStarted, then
 *   LambdaFunctionSucceeded | LambdaFunctionFailed | LambdaFunctionTimedOut,
 *   and TaskStateExited when the state is left (also after a Catch; not when
 *   the failure ends the execution). A retry schedules the function again:
 *   LambdaFunctionScheduled, LambdaFunctionStarted.
 * - a Task of a service integration (arn:aws:states:::lambda:invoke, …):
 *   TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded | TaskFailed |
 *   TaskTimedOut, TaskStateExited; a callback (.waitForTaskToken) or .sync
 *   integration writes TaskSubmitted once the call is accepted, before it
 *   waits. A retry writes TaskScheduled, TaskStarted (and TaskSubmitted).
 * - Wait, Choice, Pass, Succeed: <Type>StateEntered, <Type>StateExited.
 * - Fail: FailStateEntered; the ExecutionFailed that follows is the execution's.
 * - Map: MapStateEntered, MapStateStarted, per item MapIterationStarted and
 *   MapIterationSucceeded | MapIterationFailed (the iteration's states in
 *   between), MapStateSucceeded | MapStateFailed, MapStateExited.
 * - Parallel: ParallelStateEntered, ParallelStateStarted, the branches' states,
 *   ParallelStateSucceeded | ParallelStateFailed, ParallelStateExited.
 * - the execution: ExecutionStarted, then ExecutionSucceeded | ExecutionFailed
 *   | ExecutionAborted | ExecutionTimedOut.
 *
 * So one gate poll of a loop Wait -> Lambda Task -> Choice is 2 + 5 + 2 = 9
 * events (GATE_POLL_HISTORY_EVENTS in lambdas/shared/history-budget.ts).
 * Not seen in the local log and not counted: MapIterationAborted (the
 * iterations a failed Map stops), heartbeats, ExecutionRedriven.
 */
import { HISTORY_EVENT_LIMIT } from '../../lambdas/shared/history-budget.ts';
import type { ExecutionResult } from './execution.ts';

/**
 * How Step Functions ends an execution that reaches the quota: FAILED with
 * error States.Runtime and this cause, the ExecutionFailed event being event
 * 25,000 itself (the last event the states wrote is 24,999). The quota page
 * does not document the error; this is what Step Functions answers (reported
 * verbatim in e.g. loads/ardere issue #86 and measured in floci-io/floci
 * issue #2734).
 */
export const HISTORY_LIMIT_ERROR = 'States.Runtime';
export const HISTORY_LIMIT_CAUSE = `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).`;

/** The fields of an aws-local-stepfunctions event log entry this module reads (execution.ts's EventLog is one). */
export interface LocalEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type?: string };
  readonly Error?: string;
}

/** The fields of an ASL state this module reads (a Map's ItemProcessor or Iterator, a Parallel's Branches are read when they are definitions). */
export interface HistoryState {
  readonly Type: string;
  readonly Resource?: string;
  readonly ItemProcessor?: unknown;
  readonly Iterator?: unknown;
  readonly Branches?: unknown;
}

/** A state machine definition (as synthesized: Wait states are Wait states, not the stand-ins tasks.ts runs). sim/definition.ts's AslDefinition is one. */
export interface HistoryDefinition {
  readonly States: Readonly<Record<string, HistoryState>>;
}

function isDefinition(value: unknown): value is HistoryDefinition {
  return typeof value === 'object' && value !== null && typeof (value as { States?: unknown }).States === 'object';
}

type Kind = 'lambda' | 'task' | 'callback' | 'map' | 'parallel' | 'fail' | 'plain';

function statesOf(definition: HistoryDefinition): Map<string, HistoryState> {
  const states = new Map<string, HistoryState>();
  const visit = (level: HistoryDefinition) => {
    for (const [name, state] of Object.entries(level.States)) {
      states.set(name, state);
      const processor = state.ItemProcessor ?? state.Iterator;
      if (isDefinition(processor)) visit(processor);
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) if (isDefinition(branch)) visit(branch);
    }
  };
  visit(definition);
  return states;
}

function kindOf(state: HistoryState): Kind {
  switch (state.Type) {
    case 'Task': {
      const resource = state.Resource ?? '';
      if (resource.startsWith('arn:aws:lambda:') || /^arn:aws[a-z-]*:lambda:/.test(resource)) return 'lambda';
      if (resource.endsWith('.waitForTaskToken') || /\.sync(:\d+)?$/.test(resource)) return 'callback';
      return 'task';
    }
    case 'Map':
      return 'map';
    case 'Parallel':
      return 'parallel';
    case 'Fail':
      return 'fail';
    default:
      return 'plain';
  }
}

const TIMEOUTS = new Set(['States.Timeout', 'States.HeartbeatTimeout']);

/** The history events Step Functions writes for one local event of a state. */
function stateEvents(event: LocalEvent, state: HistoryState, kind: Kind, caught: boolean): string[] {
  const type = state.Type;
  switch (event.type) {
    case 'StateEntered':
      if (kind === 'lambda') return ['TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted'];
      if (kind === 'task') return ['TaskStateEntered', 'TaskScheduled', 'TaskStarted'];
      if (kind === 'callback') return ['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted'];
      if (kind === 'map' || kind === 'parallel') return [`${type}StateEntered`, `${type}StateStarted`];
      return [`${type}StateEntered`];
    case 'StateExited':
      // After a Catch the failure event is already written: only the exit is left.
      if (kind === 'lambda') return caught ? ['TaskStateExited'] : ['LambdaFunctionSucceeded', 'TaskStateExited'];
      if (kind === 'task' || kind === 'callback') return caught ? ['TaskStateExited'] : ['TaskSucceeded', 'TaskStateExited'];
      if (kind === 'map' || kind === 'parallel') return caught ? [`${type}StateExited`] : [`${type}StateSucceeded`, `${type}StateExited`];
      return [`${type}StateExited`];
    case 'StateFailed':
      if (kind === 'lambda') return [TIMEOUTS.has(event.Error ?? '') ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed'];
      if (kind === 'task' || kind === 'callback') return [TIMEOUTS.has(event.Error ?? '') ? 'TaskTimedOut' : 'TaskFailed'];
      if (kind === 'map' || kind === 'parallel') return [`${type}StateFailed`];
      // A Fail state (or a Choice with no match) writes nothing of its own: the ExecutionFailed is the execution's.
      return [];
    case 'StateRetried':
      if (kind === 'lambda') return ['LambdaFunctionScheduled', 'LambdaFunctionStarted'];
      if (kind === 'task') return ['TaskScheduled', 'TaskStarted'];
      if (kind === 'callback') return ['TaskScheduled', 'TaskStarted', 'TaskSubmitted'];
      if (kind === 'map' || kind === 'parallel') return [`${type}StateStarted`];
      return [];
    default:
      // StateCaught writes nothing of its own.
      return [];
  }
}

const EXECUTION_EVENTS: Readonly<Record<string, string>> = {
  ExecutionStarted: 'ExecutionStarted',
  ExecutionSucceeded: 'ExecutionSucceeded',
  ExecutionFailed: 'ExecutionFailed',
  ExecutionAborted: 'ExecutionAborted',
  ExecutionTimeout: 'ExecutionTimedOut',
  ExecutionTimedOut: 'ExecutionTimedOut',
  MapIterationStarted: 'MapIterationStarted',
  MapIterationSucceeded: 'MapIterationSucceeded',
  MapIterationFailed: 'MapIterationFailed',
};

/** A local event of a state the definition does not have: the count would be wrong, so it is an error. */
export class UnknownStateError extends Error {
  override readonly name = 'UnknownStateError';
}

/**
 * The types of the history events Step Functions writes for what the local
 * log shows, in order. `definition` is the state machine as synthesized (the
 * copy tasks.ts prepares turns Wait states into Tasks; pass the original).
 */
export function historyEventTypes(events: readonly LocalEvent[], definition: HistoryDefinition): string[] {
  const states = statesOf(definition);
  /** States caught and not yet exited, per name (a Catch is followed by the state's exit). */
  const caught = new Map<string, number>();
  const out: string[] = [];
  for (const event of events) {
    const execution = EXECUTION_EVENTS[event.type];
    if (execution) {
      out.push(execution);
      continue;
    }
    if (!event.state) continue; // ParallelBranch* events: no history event of their own.
    const name = event.state.name;
    const state = states.get(name);
    if (!state) throw new UnknownStateError(`the event log names state "${name}", which the definition does not have`);
    if (event.type === 'StateCaught') {
      caught.set(name, (caught.get(name) ?? 0) + 1);
      continue;
    }
    const pending = caught.get(name) ?? 0;
    const wasCaught = event.type === 'StateExited' && pending > 0;
    if (wasCaught) caught.set(name, pending - 1);
    out.push(...stateEvents(event, state, kindOf(state), wasCaught));
  }
  return out;
}

/** How many history events Step Functions writes for what the local log shows. */
export function countHistoryEvents(events: readonly LocalEvent[], definition: HistoryDefinition): number {
  return historyEventTypes(events, definition).length;
}

/**
 * Whether an execution that has written `count` history events (none of them
 * closing it) has reached the quota: its next event would be number 25,000,
 * and Step Functions writes that one as the ExecutionFailed
 * (HISTORY_LIMIT_ERROR, HISTORY_LIMIT_CAUSE) instead of the state's event.
 */
export function historyLimitReached(count: number): boolean {
  return count >= HISTORY_EVENT_LIMIT - 1;
}

/**
 * An execution's events as GetExecutionHistory returns them (the kinds the CLI
 * reads); `stateTypes` gives each state's type, which the local log reports
 * as the Task a Wait was turned into.
 */
export function executionHistory(
  execution: Pick<ExecutionResult, 'events' | 'error' | 'cause'>,
  stateTypes: ReadonlyMap<string, string>,
): Array<Record<string, unknown>> {
  return execution.events.flatMap((event, index) => {
    const base = { id: index + 1, timestamp: new Date(event.timestamp) };
    const state = event.state;
    if (!state)
      return [
        { ...base, type: event.type === 'ExecutionTimeout' ? 'ExecutionTimedOut' : event.type, ...endDetails(event.type, execution) },
      ];
    const type = stateTypes.get(state.name) ?? state.type;
    if (event.type === 'StateEntered') {
      return [
        {
          ...base,
          type: `${type}StateEntered`,
          stateEnteredEventDetails: { name: state.name, input: JSON.stringify(state.input ?? null) },
        },
      ];
    }
    if (event.type === 'StateExited') {
      return [
        {
          ...base,
          type: `${type}StateExited`,
          stateExitedEventDetails: { name: state.name, output: JSON.stringify(state.output ?? null) },
        },
      ];
    }
    return [{ ...base, type: `${type}${event.type.replace('State', '')}` }];
  });
}

/** The error and cause of an execution's last event, as GetExecutionHistory gives them (StopExecution's for an abort). */
function endDetails(type: string, execution: Pick<ExecutionResult, 'error' | 'cause'>): Record<string, unknown> {
  const field = {
    ExecutionAborted: 'executionAbortedEventDetails',
    ExecutionFailed: 'executionFailedEventDetails',
    ExecutionTimeout: 'executionTimedOutEventDetails',
  }[type];
  if (!field) return {};
  return { [field]: { ...(execution.error ? { error: execution.error } : {}), ...(execution.cause ? { cause: execution.cause } : {}) } };
}
