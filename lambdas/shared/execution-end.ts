/**
 * What Step Functions says about an execution a recovery works for: whether
 * it has ended (DescribeExecution), the state it was in when it ended and the
 * error and cause it ended with (GetExecutionHistory, newest first: the
 * ExecutionAborted event carries StopExecution's error and cause, which the
 * status-change event does not promise). The execution is the authority; an
 * execution input can claim anything.
 */
import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import { sfn } from './clients/sfn.ts';
import { type CaughtError, CaughtErrorSchema } from './contract.ts';

/** Statuses that say an execution has ended; DOES_NOT_EXIST when Step Functions no longer knows it. */
export const ENDED_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'DOES_NOT_EXIST']);

export async function executionStatus(executionArn: string): Promise<string> {
  try {
    const out = await sfn().send(new DescribeExecutionCommand({ executionArn }));
    return out.status ?? 'UNKNOWN';
  } catch (error) {
    if (!(error instanceof ExecutionDoesNotExist)) throw error;
    return 'DOES_NOT_EXIST';
  }
}

/** The states an execution passes before it changes anything: stopped in one of them, nothing needs undoing. */
export const STATES_BEFORE_ANY_CHANGE: ReadonlySet<string> = new Set([
  S.receive,
  S.isRecovery,
  S.isRelease,
  S.initialize,
  `${S.initialize} failed`,
  S.validate,
  `${S.validate} failed`,
  S.isDryRun,
  S.recordRejection,
  S.isDuplicate,
]);

const Details = z.object({ error: z.string().nullish(), cause: z.string().nullish() }).nullish();
const HistoryEventSchema = z.object({
  type: z.string(),
  stateEnteredEventDetails: z.object({ name: z.string(), input: z.string().nullish() }).nullish(),
  executionAbortedEventDetails: Details,
  executionFailedEventDetails: Details,
  executionTimedOutEventDetails: Details,
});
const HistoryPageSchema = z.object({ events: z.array(HistoryEventSchema).default([]), nextToken: z.string().nullish() });

export interface ExecutionEnd {
  /** The last state the execution entered, when the history names one. */
  readonly state: string | undefined;
  /** The error that state was handling (its input's `error`): the rejection a stopped "Record rejection" was writing. */
  readonly handling: CaughtError | undefined;
  /** The state that failed with that error (the input's `failedPhase`). */
  readonly failedPhase?: string;
  /** The error and cause the execution ended with (StopExecution's for an abort). */
  readonly error: string | undefined;
  readonly cause: string | undefined;
}

/** Pages read at most: the end and the last state entered are among the newest events. */
const MAX_PAGES = 3;

export async function executionEnd(executionArn: string): Promise<ExecutionEnd> {
  let error: string | undefined;
  let cause: string | undefined;
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = HistoryPageSchema.parse(
      await sfn().send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, includeExecutionData: true, nextToken }),
      ),
    );
    for (const event of out.events) {
      const ended = event.executionAbortedEventDetails ?? event.executionFailedEventDetails ?? event.executionTimedOutEventDetails;
      if (ended && error === undefined && cause === undefined) {
        error = ended.error ?? undefined;
        cause = ended.cause ?? undefined;
      }
      const entered = event.stateEnteredEventDetails;
      if (event.type.endsWith('StateEntered') && entered) {
        return { state: entered.name, ...handlingOf(entered.input), error, cause };
      }
    }
    if (!out.nextToken) break;
    nextToken = out.nextToken;
  }
  return { state: undefined, handling: undefined, error, cause };
}

function handlingOf(input: string | null | undefined): { handling: CaughtError | undefined; failedPhase?: string } {
  try {
    const parsed = z.object({ error: CaughtErrorSchema, failedPhase: z.string().optional() }).safeParse(JSON.parse(input ?? 'null'));
    if (!parsed.success) return { handling: undefined };
    return { handling: parsed.data.error, ...(parsed.data.failedPhase ? { failedPhase: parsed.data.failedPhase } : {}) };
  } catch {
    return { handling: undefined };
  }
}
