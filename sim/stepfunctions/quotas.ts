/**
 * Step Functions' quotas on an execution, which no Retry or Catch handles
 * (States.ALL does not match States.DataLimitExceeded): a state's input or
 * output over 256 KiB, or a history over 25,000 events, fails the execution
 * at once.
 */
import { HISTORY_EVENT_LIMIT } from '../../lambdas/shared/history-budget.ts';
import type { BoundDefinition } from '../definition.ts';
import { type EventLog, type ExecutionResult, namedError } from './execution.ts';
import { countHistoryEvents, HISTORY_LIMIT_CAUSE, HISTORY_LIMIT_ERROR, historyLimitReached } from './history.ts';

/** Step Functions' maximum input or output of a state or an execution: 256 KiB of UTF-8. */
const PAYLOAD_LIMIT_BYTES = 262_144;

export class ExecutionQuotas {
  /** Executions Step Functions fails outright, whatever their Catch says, with the error and cause they end with. */
  private readonly fatal = new Map<string, { readonly error: string; readonly cause: string }>();

  private readonly definition: BoundDefinition['definition'];
  /** Stops an execution (StopExecution), as the backend does; its end then takes the fatal error. */
  private readonly stop: (execution: string) => void;

  constructor(definition: BoundDefinition['definition'], stop: (execution: string) => void) {
    this.definition = definition;
    this.stop = stop;
  }

  /** The error a quota failed the execution with, if one did. */
  failureOf(execution: string): Error | undefined {
    const fatal = this.fatal.get(execution);
    return fatal ? namedError(fatal.error, fatal.cause) : undefined;
  }

  /** Checks an event of the local log as it arrives. */
  enforce(execution: ExecutionResult, event: EventLog): void {
    if (this.fatal.has(execution.name)) return;
    // 25,000 history events, counted as Step Functions writes them (every 100 local events, then every event near the limit).
    const near = (execution.historyEvents ?? 0) > HISTORY_EVENT_LIMIT - 1_000;
    if (near || execution.events.length % 100 === 0) {
      // Counted on the version the execution runs (sim/upgrade.ts), whatever was deployed since.
      execution.historyEvents = countHistoryEvents(execution.events, execution.version?.definition ?? this.definition);
      if (historyLimitReached(execution.historyEvents)) {
        this.fail(execution, HISTORY_LIMIT_ERROR, HISTORY_LIMIT_CAUSE);
        return;
      }
    }
    if (!event.state) return;
    if (event.type === 'StateEntered') this.payloadOverLimit(execution, event.state.name, 'input', event.state.input);
    if (event.type === 'StateExited') this.payloadOverLimit(execution, event.state.name, 'output', event.state.output);
  }

  /** A state's input or output over 256 KiB fails the execution with States.DataLimitExceeded; true when it did. */
  payloadOverLimit(execution: ExecutionResult, state: string, kind: 'input' | 'output', payload: unknown): boolean {
    if (payload === undefined) return false;
    const bytes = Buffer.byteLength(JSON.stringify(payload) ?? '', 'utf8');
    if (bytes <= PAYLOAD_LIMIT_BYTES) return false;
    this.fail(
      execution,
      'States.DataLimitExceeded',
      `The state/task '${state}' ${kind} is ${bytes} bytes, over the maximum of ${PAYLOAD_LIMIT_BYTES} bytes.`,
    );
    return true;
  }

  /** Fails an execution the way Step Functions does when a quota is exceeded: at once, past any Catch. */
  private fail(execution: ExecutionResult, error: string, cause: string): void {
    if (this.fatal.has(execution.name)) return;
    this.fatal.set(execution.name, { error, cause });
    this.stop(execution.name);
  }
}
