/** Step Functions history events as GetExecutionHistory returns them, for the tests of what the CLI reads of a history. */
import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';

/** The time `seconds` after 2026-11-23T09:00:00Z, the example deployment's start. */
export function at(seconds = 0): Date {
  return new Date(Date.UTC(2026, 10, 23, 9, 0, seconds));
}

export function entered(name: string, seconds = 0, type: HistoryEventType = 'TaskStateEntered'): HistoryEvent {
  return { id: 0, timestamp: at(seconds), type, stateEnteredEventDetails: { name } };
}

export function exited(name: string, output: unknown, seconds = 0, type: HistoryEventType = 'TaskStateExited'): HistoryEvent {
  return { id: 0, timestamp: at(seconds), type, stateExitedEventDetails: { name, output: JSON.stringify(output) } };
}

/** A Lambda Task's attempt that failed with `error`. */
export function lambdaFailed(error: string, seconds = 0): HistoryEvent {
  return { id: 0, timestamp: at(seconds), type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error } };
}

/** A Task's next attempt (a retry). */
export function lambdaScheduled(seconds = 0): HistoryEvent {
  return { id: 0, timestamp: at(seconds), type: 'LambdaFunctionScheduled' };
}
