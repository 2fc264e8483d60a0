/**
 * Reading what aws-local-stepfunctions reports of an execution: its event log
 * as it grows (the path taken, the quotas, the progress output), and how the
 * run ended, in Step Functions' terms (status, error, cause).
 */
import type { EventLog, ExecutionResult, ProgressEvent } from './execution.ts';
import type { ExecutionQuotas } from './quotas.ts';
import { serviceOfInput } from './tasks.ts';

export interface EventLogReader {
  readonly quotas: ExecutionQuotas;
  /** Every state's type (the log reports a Wait as the Task it was turned into). */
  readonly stateTypes: ReadonlyMap<string, string>;
  /** The top-level states; the others run in a release's iterations and carry their service. */
  readonly topLevel: ReadonlySet<string>;
  /** The simulated start of the run, from which progress counts seconds. */
  readonly start: number;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** Reads the local event log as it grows, into the execution. */
export async function collectEvents(execution: ExecutionResult, eventLogs: AsyncIterable<unknown>, reader: EventLogReader): Promise<void> {
  const { onProgress, quotas, stateTypes, topLevel, start } = reader;
  // Retried and Caught events do not repeat the error; the Failed event before them has it.
  let lastError: string | undefined;
  let caught: string | undefined;
  for await (const raw of eventLogs) {
    const event = raw as EventLog;
    execution.events.push(event);
    quotas.enforce(execution, event);
    if (event.type === 'StateEntered' && event.state) execution.executionPath.push(event.state.name);
    if (event.type === 'StateFailed') lastError = event.Error;
    // A caught state also reports an exit; it did not finish "ok".
    const exitAfterCatch = event.type === 'StateExited' && event.state?.name === caught;
    caught = event.type === 'StateCaught' ? event.state?.name : undefined;
    if (event.state && onProgress && !exitAfterCatch) {
      onProgress({
        execution: execution.name,
        state: event.state.name,
        type: stateTypes.get(event.state.name) ?? event.state.type,
        kind: event.type.replace('State', '').toLowerCase() as ProgressEvent['kind'],
        simulatedSeconds: (event.timestamp - start) / 1000,
        ...(event.Error || lastError ? { error: event.Error ?? lastError } : {}),
        ...(topLevel.has(event.state.name) ? {} : serviceField(event.state.input)),
      });
    }
  }
}

function serviceField(input: unknown): { service?: string } {
  const service = serviceOfInput(input);
  return service ? { service } : {};
}

/**
 * How an execution ended, from what its run rejected with: a quota's failure
 * first (`fatal`), the execution timeout (`timedOut`), else the interpreter's
 * error; an aborted execution takes StopExecution's error and cause (`stopped`).
 */
export function recordEnd(
  execution: ExecutionResult,
  caught: unknown,
  end: {
    readonly fatal: Error | undefined;
    readonly timedOut: boolean;
    readonly stopped: { readonly error?: string; readonly cause?: string } | undefined;
  },
): void {
  const { fatal, stopped } = end;
  const failure = fatal ?? (caught as { cause?: unknown }).cause ?? caught;
  const name = end.timedOut ? 'ExecutionTimeoutError' : caught instanceof Error ? caught.name : 'Error';
  execution.status =
    fatal !== undefined
      ? 'FAILED'
      : name === 'ExecutionAbortedError'
        ? 'ABORTED'
        : name === 'ExecutionTimeoutError'
          ? 'TIMED_OUT'
          : 'FAILED';
  execution.error =
    execution.status === 'FAILED' && failure instanceof Error
      ? failure.name
      : `States.${execution.status === 'ABORTED' ? 'Aborted' : 'Timeout'}`;
  execution.cause = failure instanceof Error ? failure.message : String(failure);
  if (execution.status === 'ABORTED' && stopped) {
    execution.error = stopped.error ?? execution.error;
    execution.cause = stopped.cause ?? execution.cause;
  }
}
