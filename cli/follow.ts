/** Following one deployment's execution to its end: deploy --watch, watch and rollback --watch. */

import { type Change, ChangeLog, describeChange, stamp } from './changes.ts';
import { paintStatus } from './colour.ts';
import { type CliContext, terminalColumns } from './context.ts';
import { type RecordItem, readRecord } from './deployments.ts';
import { EXIT_DEPLOYMENT_FAILED } from './errors.ts';
import { type ExecutionView, executionView } from './execution.ts';
import { redraw, wrapText } from './frame.ts';
import { printJson, renderView } from './output.ts';

/**
 * With --json, a JSON object a line (NDJSON) for each change, each with the
 * service and the time; the last, `end`, carries the verdict and the record
 * as `--json` prints it (views.ts), or null when there is none.
 */
function printChanges(ctx: CliContext, service: string, changes: readonly Change[], now: Date, record?: RecordItem | null): void {
  for (const change of changes) {
    const at = now.toISOString();
    if (change.type !== 'end') printJson(ctx, { ...change, service, at });
    else printJson(ctx, { ...change, service, status: record?.status ?? change.execution, at, record: record ?? null });
  }
}

/**
 * Until the execution ends: on a terminal, the view redrawn in place;
 * without one, a line per change (and a heartbeat), then the last view; with
 * --json, the changes as NDJSON. Exit 0 only if it succeeded.
 */
export async function follow(ctx: CliContext, service: string, executionArn: string, intervalSeconds: number): Promise<number> {
  let onScreen: string[] = [];
  const log = new ChangeLog();
  for (;;) {
    const view = await executionView(ctx, executionArn);
    const now = new Date();
    const ended = view.status !== 'RUNNING';
    // Once it ended, the record read after the execution is final.
    const record = ended ? ((await readRecord(ctx, view.name)) ?? null) : undefined;
    if (ctx.json) printChanges(ctx, service, log.changes(view, now), now, record);
    else if (ctx.io.isTty) {
      const frame = redraw(onScreen, renderView(service, view, now, ctx.colour), terminalColumns(ctx.io));
      ctx.io.out(frame.text);
      onScreen = frame.drawn;
    } else writeLines(ctx, service, log.changes(view, now), now, view);
    if (ended) {
      if (!ctx.json && record) ctx.io.out(`${verdict(ctx, record)}\n`);
      return view.status === 'SUCCEEDED' ? 0 : EXIT_DEPLOYMENT_FAILED;
    }
    await ctx.io.sleep(intervalSeconds * 1000);
  }
}

/** Without a terminal: the changes in words, each line with its time and the service; after the end, the last view. */
function writeLines(ctx: CliContext, service: string, changes: readonly Change[], now: Date, view: ExecutionView): void {
  const lines = [
    ...changes.map((change) => `${stamp(now)} ${service} ${describeChange(service, change)}`),
    ...(view.status !== 'RUNNING' ? renderView(service, view, now) : []),
  ];
  if (lines.length) ctx.io.out(`${lines.join('\n')}\n`);
}

/** The record's status and reason; on a terminal wrapped at its width (a line wider would leave the terminal to wrap it). */
function verdict(ctx: CliContext, record: RecordItem): string {
  const reason = record.outcomeReason ?? '';
  if (!ctx.io.isTty) return `${record.status}: ${reason}`;
  const [first = '', ...rest] = wrapText(`${record.status}: ${reason}`, terminalColumns(ctx.io));
  return [first.replace(record.status, paintStatus(ctx.colour, record.status)), ...rest].join('\n');
}
