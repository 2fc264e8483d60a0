/**
 * What the commands write: readable lines or, with --json, one JSON document;
 * and the formatting more than one command shares (durations, the view of an
 * execution, the verdict of a release).
 */
import type { ReleaseRecord } from '../lambdas/shared/records/release.ts';
import { describeCause } from '../lambdas/shared/release-outcome.ts';
import { paint, paintStatus } from './colour.ts';
import type { CliContext } from './context.ts';
import type { ExecutionView } from './execution.ts';
import type { ProductionTraffic } from './traffic.ts';

/** Where the commands write, and how: a pipeline's command or `baton init`. */
type Printer = Pick<CliContext, 'json' | 'io'>;

/** The lines, or with --json the document. */
export function print(ctx: Printer, human: string[] | string, json: unknown): void {
  if (ctx.json) printJson(ctx, json);
  else say(ctx, human);
}

/** Lines only a reader gets: with --json, the one document is all that is written. */
export function say(ctx: Printer, human: string[] | string): void {
  if (!ctx.json) ctx.io.out(`${Array.isArray(human) ? human.join('\n') : human}\n`);
}

export function printJson(ctx: Printer, json: unknown): void {
  ctx.io.out(`${JSON.stringify(json)}\n`);
}

/** Whole seconds from one time to another, never negative. */
export function secondsBetween(from: Date | string, to: Date | string): number {
  return Math.max(0, Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000));
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}

/** A time of day in UTC, as an operator reads it against a clock: 10:42:05 UTC. */
export function formatClock(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}

/** What the state the execution is in waits for: the strategy step, and until when it holds or bakes. */
function waitingFor(view: ExecutionView, now: Date): string {
  const until = (what: string, iso: string) => `${what} until ${formatClock(iso)} (${formatDuration(secondsBetween(now, iso))} left)`;
  const parts = [
    ...(view.step ? [`step ${view.step.applied}/${view.step.total}`] : []),
    ...(view.holdUntil ? [until('holds', view.holdUntil)] : []),
    ...(view.bakeUntil ? [until('bakes', view.bakeUntil)] : []),
  ];
  return parts.length ? `  (${parts.join(', ')})` : '';
}

/**
 * The lines `watch` draws: header, image, phases (failed ones marked), where
 * it waits and what to do next, traffic bars. With `colour`, the status in
 * its colour, failed states red, what to run while it waits yellow.
 */
export function renderView(service: string, view: ExecutionView, now = new Date(), colour = false): string[] {
  const failed = (state: string, error: string) => `  ${paint(colour, 'red', `failed   ${state}: ${error}`)}`;
  const lines = [`${service}  ${view.name}  ${paintStatus(colour, view.status)}  ${formatDuration(view.elapsedSeconds)} elapsed`];
  if (view.image) lines.push(`  image    ${view.image}`);
  const running = view.status === 'RUNNING';
  view.completed.forEach((state, index) => {
    if (running && state === view.currentState && index === view.completed.length - 1) return;
    // A state that failed and was caught; only its last run, if it ran again after.
    const failure = view.completed.lastIndexOf(state) === index ? view.failed.find((entry) => entry.state === state) : undefined;
    lines.push(failure ? failed(state, failure.error) : `  done     ${state}`);
  });
  // The state an execution ended in, failing (no Catch took it): it never exited.
  const last = view.failed[view.failed.length - 1];
  if (last && !view.completed.includes(last.state)) lines.push(failed(last.state, last.error));
  if (running && view.currentState) lines.push(`  now      ${view.currentState}${waitingFor(view, now)}`);
  if (running && view.approvalDeadline) {
    const left = formatDuration(secondsBetween(now, view.approvalDeadline));
    const next = `run "baton approve ${service}" before ${formatClock(view.approvalDeadline)} (${left} left; then it rolls back)`;
    lines.push(`  next     ${paint(colour, 'yellow', next)}`);
  }
  if (running && view.promotion && view.holdUntil) {
    const left = formatDuration(secondsBetween(now, view.holdUntil));
    const otherwise = view.promotion.onTimeout === 'rollback' ? 'then it rolls back' : 'then it goes on by itself';
    const next = `run "baton promote ${service}" (--full: to 100 %) before ${formatClock(view.holdUntil)} (${left} left; ${otherwise}), or "baton abort ${service}"`;
    lines.push(`  next     ${paint(colour, 'yellow', next)}`);
  }
  lines.push(...renderTraffic(view));
  if (view.error) lines.push(`  ${view.error}: ${view.cause ?? ''}`);
  return lines;
}

/** The production split (a listener's weights, a worker's task counts) as bars, or why it could not be read. */
export function renderTraffic(view: ProductionTraffic): string[] {
  if (view.trafficUnknown) return [`  traffic  unknown (${view.trafficUnknown})`];
  if (!view.traffic) return [];
  const bar = (weight: number) => '#'.repeat(Math.round(weight / 5)).padEnd(20, '.');
  return [
    `  traffic  blue  ${String(view.traffic.blue).padStart(3)} % ${bar(view.traffic.blue)}`,
    `           green ${String(view.traffic.green).padStart(3)} % ${bar(view.traffic.green)}`,
  ];
}

/** The verdict of a release as its record states it: status and reason, then what set off a rollback and what it did. */
export function renderReleaseVerdict(record: ReleaseRecord, colour = false): string[] {
  const lines = [`${paintStatus(colour, record.status)}: ${record.outcomeReason ?? ''}`.trimEnd()];
  const rollback = record.status === 'ROLLED_BACK' || record.status === 'ROLLBACK_FAILED';
  if (record.cause) lines.push(`  cause        ${describeCause(record.cause)}`);
  if (rollback) lines.push(`  rolled back  ${record.rolledBack?.length ? record.rolledBack.join(' -> ') : 'none'}`);
  if (rollback || record.untouched?.length) lines.push(`  untouched    ${record.untouched?.length ? record.untouched.join(', ') : 'none'}`);
  return lines;
}
