/**
 * What an execution is doing, read from Step Functions (DescribeExecution and
 * the execution history): the phase it is in, the phases done, the traffic
 * split of its latest payload, the time elapsed. Rendered by status, watch
 * and deploy --watch. Also the lines of a release: its order and its verdict.
 */

import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { classifyInput } from '../lambdas/shared/execution-input.ts';
import { describeCause } from '../lambdas/shared/release-outcome.ts';
import type { ReleaseRecord } from '../lambdas/shared/release-records.ts';
import type { CliContext } from './context.ts';
import { NotFoundError } from './errors.ts';

export interface ExecutionView {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly elapsedSeconds: number;
  /** The state the execution is in (or ended in). */
  readonly currentState?: string;
  /** Task states that finished, in order, repeats folded. */
  readonly completed: string[];
  /** Production weights as of the latest payload, when it carries them. */
  readonly traffic?: { blue: number; green: number };
  /** Set for the execution of a multi-service release (its input names a release). */
  readonly kind?: 'release';
  readonly error?: string;
  readonly cause?: string;
}

interface PayloadShape {
  idle?: { colour?: string };
  traffic?: { weight?: number };
  live?: { colour?: string };
}

function trafficOf(payload: unknown): { blue: number; green: number } | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const state = payload as PayloadShape;
  const idle = state.idle?.colour;
  if (idle !== 'blue' && idle !== 'green') return undefined;
  const weight = state.traffic?.weight ?? 0;
  return idle === 'green' ? { blue: 100 - weight, green: weight } : { blue: weight, green: 100 - weight };
}

function parse(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

async function allEvents(ctx: CliContext, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** DescribeExecution; an execution that does not exist is not found (exit 3). */
export async function describeExecution(ctx: CliContext, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  try {
    return await ctx.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) throw new NotFoundError(`no execution ${executionArn}`, { cause: error });
    throw error;
  }
}

export async function executionView(ctx: CliContext, executionArn: string): Promise<ExecutionView> {
  const described = await describeExecution(ctx, executionArn);
  const events = await allEvents(ctx, executionArn);
  const completed: string[] = [];
  let currentState: string | undefined;
  let traffic: { blue: number; green: number } | undefined;
  for (const event of events) {
    if (event.stateEnteredEventDetails?.name) currentState = event.stateEnteredEventDetails.name;
    const exited = event.stateExitedEventDetails;
    if (exited?.name) {
      if (event.type === 'TaskStateExited' && completed[completed.length - 1] !== exited.name) completed.push(exited.name);
      traffic = trafficOf(parse(exited.output)) ?? traffic;
    }
  }
  const start = described.startDate ?? new Date();
  const end = described.stopDate ?? new Date();
  return {
    executionArn,
    name: described.name ?? executionArn.split(':').pop() ?? '',
    status: described.status ?? 'UNKNOWN',
    startDate: start.toISOString(),
    ...(described.stopDate ? { stopDate: described.stopDate.toISOString() } : {}),
    elapsedSeconds: Math.max(0, Math.round((end.getTime() - start.getTime()) / 1000)),
    ...(currentState ? { currentState } : {}),
    completed,
    ...(traffic ? { traffic } : {}),
    ...(classifyInput(parse(described.input)).kind === 'release' ? { kind: 'release' as const } : {}),
    ...(described.error ? { error: described.error } : {}),
    ...(described.cause ? { cause: described.cause } : {}),
  };
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}

/** The lines `watch` draws: header, phases, traffic bar. */
export function renderView(service: string, view: ExecutionView): string[] {
  const lines = [`${service}  ${view.name}  ${view.status}  ${formatDuration(view.elapsedSeconds)} elapsed`];
  for (const state of view.completed) {
    if (state !== view.currentState || view.status !== 'RUNNING') lines.push(`  done     ${state}`);
  }
  if (view.status === 'RUNNING' && view.currentState) lines.push(`  now      ${view.currentState}`);
  if (view.traffic) {
    const bar = (weight: number) => '#'.repeat(Math.round(weight / 5)).padEnd(20, '.');
    lines.push(`  traffic  blue  ${String(view.traffic.blue).padStart(3)} % ${bar(view.traffic.blue)}`);
    lines.push(`           green ${String(view.traffic.green).padStart(3)} % ${bar(view.traffic.green)}`);
  }
  if (view.error) lines.push(`  ${view.error}: ${view.cause ?? ''}`);
  return lines;
}

/** The verdict of a release as its record states it: status and reason, then what set off a rollback and what it did. */
export function renderReleaseVerdict(record: ReleaseRecord): string[] {
  const lines = [`${record.status}: ${record.outcomeReason ?? ''}`.trimEnd()];
  const rollback = record.status === 'ROLLED_BACK' || record.status === 'ROLLBACK_FAILED';
  if (record.cause) lines.push(`  cause        ${describeCause(record.cause)}`);
  if (rollback) lines.push(`  rolled back  ${record.rolledBack?.length ? record.rolledBack.join(' -> ') : 'none'}`);
  if (rollback || record.untouched?.length) lines.push(`  untouched    ${record.untouched?.length ? record.untouched.join(', ') : 'none'}`);
  return lines;
}
