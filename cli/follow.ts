/** Following one deployment's execution to its end: deploy --watch, watch and rollback --watch. */
import { type CliContext, terminalColumns } from './context.ts';
import { readRecord } from './deployments.ts';
import { EXIT_DEPLOYMENT_FAILED } from './errors.ts';
import { executionView } from './execution.ts';
import { redraw } from './frame.ts';
import { printJson, renderView } from './output.ts';

/** Redraws the view until the execution ends; exit 0 only if it succeeded. */
export async function follow(ctx: CliContext, service: string, executionArn: string, intervalSeconds: number): Promise<number> {
  let onScreen: string[] = [];
  for (;;) {
    const view = await executionView(ctx, executionArn);
    if (!ctx.json) {
      const lines = renderView(service, view);
      // On a terminal, redraw the frame in place; elsewhere, only the last one.
      if (ctx.io.isTty) {
        const frame = redraw(onScreen, lines, terminalColumns(ctx.io));
        ctx.io.out(frame.text);
        onScreen = frame.drawn;
      } else if (view.status !== 'RUNNING') ctx.io.out(`${lines.join('\n')}\n`);
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
