/**
 * Following a deployment without a terminal (CI, a pipe): what changed from
 * one view to the next, found once here and written in two forms, a line of
 * text per change (each with its UTC time) or, with --json, a JSON object
 * per change (NDJSON). While nothing changes, a heartbeat at most every
 * HEARTBEAT_SECONDS, so a CI system that kills a job silent for minutes does
 * not kill one following a bake of hours. Each line stands alone (grep-able,
 * or parseable on its own): the time, the service, what happened.
 */
import type { ExecutionView } from './execution.ts';
import { formatClock, formatDuration, secondsBetween } from './output.ts';

export const HEARTBEAT_SECONDS = 60;

/** One change, as the NDJSON line carries it (without `service` and `at`, which every line has). */
export type Change =
  | { readonly type: 'start'; readonly execution: string; readonly image?: string }
  | {
      readonly type: 'state';
      readonly state: string;
      readonly status: 'finished' | 'failed' | 'entered';
      /** What the state failed with. */
      readonly error?: string;
      /** What the state entered waits for: the strategy step, the hold or bake, the approval deadline. */
      readonly step?: { readonly applied: number; readonly total: number };
      readonly holdUntil?: string;
      readonly bakeUntil?: string;
      readonly approvalDeadline?: string;
    }
  | { readonly type: 'weights'; readonly blue: number; readonly green: number }
  | { readonly type: 'weights'; readonly unknown: string }
  | { readonly type: 'heartbeat'; readonly state?: string; readonly execution: string; readonly elapsedSeconds: number }
  /** The execution ended: its status and error (the follower adds the record's verdict). */
  | { readonly type: 'end'; readonly execution: string; readonly error?: string };

/** 2026-11-23T09:00:00Z: the time of a line, to the second. */
export function stamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

function trafficOf(view: ExecutionView): Change | undefined {
  if (view.trafficUnknown) return { type: 'weights', unknown: view.trafficUnknown };
  return view.traffic ? { type: 'weights', blue: view.traffic.blue, green: view.traffic.green } : undefined;
}

/** What changed from `before` (nothing yet: undefined) to `after`, in the order it happened. */
export function changesBetween(before: ExecutionView | undefined, after: ExecutionView): Change[] {
  const changes: Change[] = [];
  if (!before) changes.push({ type: 'start', execution: after.name, ...(after.image ? { image: after.image } : {}) });
  const failures = after.failed.slice(before?.failed.length ?? 0);
  // A state that failed also exited (completed lists it): it is reported failed, never finished.
  const failedNow = new Set(failures.map((failure) => failure.state));
  for (const state of after.completed.slice(before?.completed.length ?? 0))
    if (!failedNow.has(state)) changes.push({ type: 'state', state, status: 'finished' });
  for (const failure of failures) changes.push({ type: 'state', state: failure.state, status: 'failed', error: failure.error });
  if (after.status === 'RUNNING' && after.currentState && after.currentState !== before?.currentState) {
    const { step, holdUntil, bakeUntil, approvalDeadline } = after;
    changes.push({
      type: 'state',
      state: after.currentState,
      status: 'entered',
      ...(step ? { step } : {}),
      ...(holdUntil ? { holdUntil } : {}),
      ...(bakeUntil ? { bakeUntil } : {}),
      ...(approvalDeadline ? { approvalDeadline } : {}),
    });
  }
  const traffic = trafficOf(after);
  if (traffic && (!before || JSON.stringify(traffic) !== JSON.stringify(trafficOf(before)))) changes.push(traffic);
  if (after.status !== 'RUNNING') changes.push({ type: 'end', execution: after.status, ...(after.error ? { error: after.error } : {}) });
  return changes;
}

/** What the state entered waits for: the step, the hold or bake, or the approval and its deadline. */
function enteredText(service: string, change: Extract<Change, { type: 'state' }>): string {
  const details = [
    ...(change.step ? [`step ${change.step.applied}/${change.step.total}`] : []),
    ...(change.holdUntil ? [`holds until ${formatClock(change.holdUntil)}`] : []),
    ...(change.bakeUntil ? [`bakes until ${formatClock(change.bakeUntil)}`] : []),
  ];
  const approval = change.approvalDeadline
    ? `; waiting for approval: run "baton approve ${service}" before ${formatClock(change.approvalDeadline)}`
    : '';
  return `entered ${change.state}${details.length ? ` (${details.join(', ')})` : ''}${approval}`;
}

/** A change in words, as the line without a terminal says it (after the time and the service). */
export function describeChange(service: string, change: Change): string {
  switch (change.type) {
    case 'start':
      return `following ${change.execution}${change.image ? ` (image ${change.image})` : ''}`;
    case 'state':
      if (change.status === 'entered') return enteredText(service, change);
      return change.status === 'failed' ? `failed ${change.state}: ${change.error}` : `finished ${change.state}`;
    case 'weights':
      return 'unknown' in change ? `traffic unknown (${change.unknown})` : `traffic blue ${change.blue} % / green ${change.green} %`;
    case 'heartbeat':
      return `still ${change.state ? `in ${change.state}` : change.execution}, ${formatDuration(change.elapsedSeconds)} elapsed`;
    case 'end':
      return `ended ${change.execution}${change.error ? ` (${change.error})` : ''}`;
  }
}

/** The changes of one deployment's watch, view after view; remembers the last view and when it last reported. */
export class ChangeLog {
  private last: ExecutionView | undefined;
  private wroteAt: Date | undefined;

  /** The changes of `view`, seen at `now`; none, a heartbeat once HEARTBEAT_SECONDS passed without one. */
  changes(view: ExecutionView, now: Date): Change[] {
    let changes = changesBetween(this.last, view);
    this.last = view;
    if (changes.length === 0 && this.wroteAt && secondsBetween(this.wroteAt, now) >= HEARTBEAT_SECONDS) {
      changes = [
        {
          type: 'heartbeat',
          ...(view.currentState ? { state: view.currentState } : {}),
          execution: view.status,
          elapsedSeconds: view.elapsedSeconds,
        },
      ];
    }
    if (changes.length) this.wroteAt = now;
    return changes;
  }
}
