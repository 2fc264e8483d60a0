/** Following one deployment's execution to its end: deploy --watch, watch and rollback --watch. */
import { ChangeLog } from './changes.ts';
import { type CliContext, terminalColumns } from './context.ts';
import { readRecord } from './deployments.ts';
import { EXIT_DEPLOYMENT_FAILED } from './errors.ts';
import { executionView } from './execution.ts';
import { redraw } from './frame.ts';
import { printJson, renderView } from './output.ts';

/**
 * Until the execution ends: on a terminal, the view redrawn in place;
 * without one, a line per change (and a heartbeat), then the last view. Exit 0 only if it succeeded.
 */
export async function follow(ctx: CliContext, service: string, executionArn: string, intervalSeconds: number): Promise<number> {
  let onScreen: string[] = [];
  const log = new ChangeLog(service);
  for (;;) {
    const view = await executionView(ctx, executionArn);
    if (!ctx.json && ctx.io.isTty) {
      const frame = redraw(onScreen, renderView(service, view), terminalColumns(ctx.io));
      ctx.io.out(frame.text);
      onScreen = frame.drawn;
    } else if (!ctx.json) {
      const lines = [...log.lines(view, new Date()), ...(view.status !== 'RUNNING' ? renderView(service, view) : [])];
      if (lines.length) ctx.io.out(`${lines.join('\n')}\n`);
    }
    if (view.status !== 'RUNNING') {
      const record = await readRecord(ctx, view.name);
      if (ctx.json) printJson(ctx, { ...view, record: record ?? null });
      else if (record) ctx.io.out(`${record.status}: ${record.outcomeReason ?? ''}\n`);
      return view.status === 'SUCCEEDED' ? 0 : EXIT_DEPLOYMENT_FAILED;
    }
    await ctx.io.sleep(intervalSeconds * 1000);
  }
}
