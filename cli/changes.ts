/**
 * `watch` without a terminal (CI, a pipe): one line per change, each with
 * its UTC time, instead of a frame redrawn in place; and, while nothing
 * changes, a heartbeat line at most every HEARTBEAT_SECONDS, so a CI system
 * that kills a job silent for minutes does not kill one following a bake of
 * hours. Each line stands alone (grep-able): the time, the service, what
 * happened.
 */
import type { ExecutionView } from './execution.ts';
import { formatClock, formatDuration, secondsBetween } from './output.ts';

export const HEARTBEAT_SECONDS = 60;

/** 2026-11-23T09:00:00Z: the time of a line, to the second. */
function stamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

function trafficText(view: ExecutionView): string | undefined {
  if (view.trafficUnknown) return `traffic unknown (${view.trafficUnknown})`;
  return view.traffic ? `traffic blue ${view.traffic.blue} % / green ${view.traffic.green} %` : undefined;
}

/** What the state entered waits for: the step, the hold or bake, or the approval and its deadline. */
function enteredText(service: string, view: ExecutionView): string {
  const details = [
    ...(view.step ? [`step ${view.step.applied}/${view.step.total}`] : []),
    ...(view.holdUntil ? [`holds until ${formatClock(view.holdUntil)}`] : []),
    ...(view.bakeUntil ? [`bakes until ${formatClock(view.bakeUntil)}`] : []),
  ];
  const approval = view.approvalDeadline
    ? `; waiting for approval: run "baton approve ${service}" before ${formatClock(view.approvalDeadline)}`
    : '';
  return `entered ${view.currentState}${details.length ? ` (${details.join(', ')})` : ''}${approval}`;
}

/** What changed from `before` (nothing yet: undefined) to `after`, in the order it happened. */
export function changesBetween(service: string, before: ExecutionView | undefined, after: ExecutionView): string[] {
  const changes: string[] = [];
  if (!before) changes.push(`following ${after.name}${after.image ? ` (image ${after.image})` : ''}`);
  const finished = after.completed.slice(before?.completed.length ?? 0);
  const failedBefore = before?.failed.length ?? 0;
  for (const state of finished) changes.push(`finished ${state}`);
  for (const failure of after.failed.slice(failedBefore)) changes.push(`failed ${failure.state}: ${failure.error}`);
  if (after.status === 'RUNNING' && after.currentState && after.currentState !== before?.currentState)
    changes.push(enteredText(service, after));
  const traffic = trafficText(after);
  if (traffic && (!before || traffic !== trafficText(before))) changes.push(traffic);
  if (after.status !== 'RUNNING') changes.push(`ended ${after.status}${after.error ? ` (${after.error})` : ''}`);
  return changes;
}

/** The lines of one deployment's watch, view after view; remembers the last view and when it last wrote. */
export class ChangeLog {
  private last: ExecutionView | undefined;
  private wroteAt: Date | undefined;

  constructor(private readonly service: string) {}

  /** The lines to write for `view`, seen at `now`: its changes, else a heartbeat once HEARTBEAT_SECONDS passed without a line. */
  lines(view: ExecutionView, now: Date): string[] {
    let changes = changesBetween(this.service, this.last, view);
    this.last = view;
    if (changes.length === 0 && this.wroteAt && secondsBetween(this.wroteAt, now) >= HEARTBEAT_SECONDS) {
      changes = [`still ${view.currentState ? `in ${view.currentState}` : view.status}, ${formatDuration(view.elapsedSeconds)} elapsed`];
    }
    if (changes.length === 0) return [];
    this.wroteAt = now;
    return changes.map((change) => `${stamp(now)} ${this.service} ${change}`);
  }
}
