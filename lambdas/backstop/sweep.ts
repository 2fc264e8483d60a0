/**
 * The backstop's periodic sweep. Step Functions delivers its status-change
 * events best effort, so an execution can end without the backstop hearing of
 * it; an EventBridge schedule (lib/constructs/backstop.ts) invokes the
 * backstop every `pipeline.backstopSweepMinutes` to find what such a lost event
 * left open.
 *
 * What it reads: each configured service's lock (GetItem LOCK#<service>,
 * consistent) and, when the lock is held, the holder's execution
 * (DescribeExecution). A deployment takes its service's lock before it writes
 * its record and keeps it until its record is terminal; a recovery takes it
 * over (the lock names the recovery execution). So a record left IN_PROGRESS
 * always sits behind a lock whose execution has ended: one read per service,
 * plus one DescribeExecution per held lock, finds every one, however old,
 * whereas a Query of the byService index would read a window of recent
 * records (eventually consistent, and mostly terminal ones) and miss an open
 * record older than the window. What it cannot find: an execution stopped
 * before it took the lock, which changed nothing (the event path gives it a
 * REJECTED record).
 *
 * An ended holder is handled by exactly the code an event runs (`ended`, with
 * the execution as DescribeExecution describes it): the same recovery name
 * and input, so an event and a sweep for the same record start one recovery
 * (a second StartExecution finds it: ExecutionAlreadyExists, or the same
 * execution back for the same name and input). A free lock lets the queued
 * image start, as after any end.
 */

import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { sfn } from '../shared/clients/sfn.ts';
import { ContractViolationError } from '../shared/errors.ts';
import { readLock } from '../shared/lock/table.ts';
import { logger } from '../shared/logger.ts';
import { type DrainResult, startQueued } from '../shared/queue-start.ts';
import { getRecord } from '../shared/records/deployment.ts';
import { formatIssues } from '../shared/zod-format.ts';

/** The event an EventBridge schedule rule sends its target. */
export const ScheduledEventSchema = z.object({
  id: z.string(),
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  /** The rule's ARN. */
  resources: z.array(z.string()).min(1),
  time: z.string(),
});

const EndedStatusSchema = z.enum(['ABORTED', 'TIMED_OUT', 'FAILED', 'SUCCEEDED']);

/** The execution that ended, as a status-change event names it. */
export interface EndedExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: z.infer<typeof EndedStatusSchema>;
  readonly error: string | null;
  readonly cause: string | null;
  readonly input: string | null;
  readonly startDate: number;
}

const DescribedExecutionSchema = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  name: z.string(),
  status: z.string(),
  input: z.string().nullish(),
  startDate: z.date(),
  error: z.string().nullish(),
  cause: z.string().nullish(),
});

export type SweepResult =
  | { readonly service: string; readonly action: 'free'; readonly queue?: DrainResult }
  | { readonly service: string; readonly action: 'held'; readonly holder: string; readonly status: string }
  | { readonly service: string; readonly action: 'ended'; readonly holder: string; readonly status: string; readonly result: unknown }
  | { readonly service: string; readonly action: 'failed'; readonly error: string };

/**
 * Sweeps every service: an ended lock holder gets `ended` (the event path);
 * a free lock starts the queued image. A service whose sweep fails is logged
 * and reported, and the others are still swept.
 */
export async function sweep(
  services: readonly string[],
  stateMachineArn: string,
  ended: (execution: EndedExecution) => Promise<unknown>,
): Promise<SweepResult[]> {
  // A release holds the locks of several services with one execution: it is closed once.
  const closed = new Map<string, unknown>();
  const results: SweepResult[] = [];
  for (const service of services) {
    logger.appendKeys({ targetService: service });
    try {
      results.push(await sweepService(service, stateMachineArn, ended, closed));
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      logger.error('sweep of a service failed', { error });
      results.push({ service, action: 'failed', error: `${error.name}: ${error.message}` });
    } finally {
      logger.removeKeys(['targetService', 'deploymentId', 'executionArn']);
    }
  }
  return results;
}

async function sweepService(
  service: string,
  stateMachineArn: string,
  ended: (execution: EndedExecution) => Promise<unknown>,
  closed: Map<string, unknown>,
): Promise<SweepResult> {
  // A lock item that is not what baton writes stops here (ContractViolationError naming the field): the sweep of that service fails.
  const holder = await readLock(service);
  if (!holder) {
    // Nothing holds the service: the queued image starts, checked against what its holder put live.
    const queue = await startQueued(service, stateMachineArn, (entry) => getRecord(entry.behind));
    return queue.action === 'empty' ? { service, action: 'free' } : { service, action: 'free', queue };
  }
  // What is logged from here on is about the holder's deployment.
  logger.appendKeys({ deploymentId: holder.deploymentId, executionArn: holder.executionArn });
  const execution = await describe(holder.executionArn);
  // Running, waiting to be redriven, or no longer known to Step Functions: nothing to close from here.
  if (!('ended' in execution)) return { service, action: 'held', holder: holder.deploymentId, status: execution.status };
  const { ended: end } = execution;
  if (!closed.has(end.executionArn)) {
    logger.warn('sweep found a lock held by an ended execution', { execution: end.name, status: end.status });
    closed.set(end.executionArn, await ended(end));
  }
  return { service, action: 'ended', holder: holder.deploymentId, status: end.status, result: closed.get(end.executionArn) };
}

/** The lock holder's execution, as a status-change event would describe its end when it has ended. */
async function describe(executionArn: string): Promise<{ ended: EndedExecution } | { status: string }> {
  let out: unknown;
  try {
    out = await sfn().send(new DescribeExecutionCommand({ executionArn }));
  } catch (caught) {
    if (caught instanceof ExecutionDoesNotExist) return { status: 'DOES_NOT_EXIST' };
    throw caught;
  }
  const parsed = DescribedExecutionSchema.safeParse(out);
  if (!parsed.success) throw new ContractViolationError(`DescribeExecution of ${executionArn}: ${formatIssues(parsed.error)}`);
  const { startDate, input, error, cause, status, ...rest } = parsed.data;
  const endedStatus = EndedStatusSchema.safeParse(status);
  if (!endedStatus.success) return { status };
  return {
    ended: {
      ...rest,
      status: endedStatus.data,
      input: input ?? null,
      error: error ?? null,
      cause: cause ?? null,
      startDate: startDate.getTime(),
    },
  };
}
