/**
 * What the commands write: readable lines or, with --json, one JSON document;
 * and the formatting more than one command shares (durations, the view of an
 * execution, the verdict of a release).
 */
import type { ReleaseRecord } from '../lambdas/shared/records/release.ts';
import { describeCause } from '../lambdas/shared/release-outcome.ts';
import type { CliContext } from './context.ts';
import type { ExecutionView } from './execution.ts';
import type { ProductionTraffic } from './traffic.ts';

/** The lines, or with --json the document. */
export function print(ctx: CliContext, human: string[] | string, json: unknown): void {
  if (ctx.json) printJson(ctx, json);
  else say(ctx, human);
}

/** Lines only a reader gets: with --json, the one document is all that is written. */
export function say(ctx: CliContext, human: string[] | string): void {
  if (!ctx.json) ctx.io.out(`${Array.isArray(human) ? human.join('\n') : human}\n`);
}

export function printJson(ctx: CliContext, json: unknown): void {
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

/** The lines `watch` draws: header, phases, traffic bar. */
export function renderView(service: string, view: ExecutionView): string[] {
  const lines = [`${service}  ${view.name}  ${view.status}  ${formatDuration(view.elapsedSeconds)} elapsed`];
  for (const state of view.completed) {
    if (state !== view.currentState || view.status !== 'RUNNING') lines.push(`  done     ${state}`);
  }
  if (view.status === 'RUNNING' && view.currentState) lines.push(`  now      ${view.currentState}`);
  lines.push(...renderTraffic(view));
  if (view.error) lines.push(`  ${view.error}: ${view.cause ?? ''}`);
  return lines;
}

/** The production listener's split as bars, or why it could not be read. */
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
export function renderReleaseVerdict(record: ReleaseRecord): string[] {
  const lines = [`${record.status}: ${record.outcomeReason ?? ''}`.trimEnd()];
  const rollback = record.status === 'ROLLED_BACK' || record.status === 'ROLLBACK_FAILED';
  if (record.cause) lines.push(`  cause        ${describeCause(record.cause)}`);
  if (rollback) lines.push(`  rolled back  ${record.rolledBack?.length ? record.rolledBack.join(' -> ') : 'none'}`);
  if (rollback || record.untouched?.length) lines.push(`  untouched    ${record.untouched?.length ? record.untouched.join(', ') : 'none'}`);
  return lines;
}
