/** `baton report`: a deployment's timeline as one HTML page that needs no network to be viewed (cli/report/). */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExecutionDoesNotExist, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { Command, OptionValues } from '../command.ts';
import type { CliContext } from '../context.ts';
import { readRecord } from '../deployments.ts';
import { NotFoundError, UsageError } from '../errors.ts';
import { allEvents } from '../execution.ts';
import { print } from '../output.ts';
import { renderReport } from '../report/html.ts';

/** The execution's history; none, and why, once Step Functions no longer keeps it (90 days after the end; the record stays 400). */
async function history(ctx: CliContext, executionArn: string): Promise<{ events: HistoryEvent[]; historyMissing?: string }> {
  try {
    return { events: await allEvents(ctx, executionArn) };
  } catch (error) {
    if (!(error instanceof ExecutionDoesNotExist)) throw error;
    return {
      events: [],
      historyMissing: `Step Functions no longer has the execution ${executionArn} (it keeps one 90 days after it ends)`,
    };
  }
}

async function run(ctx: CliContext, deploymentId: string | undefined, values: OptionValues): Promise<number> {
  const id = deploymentId ?? '';
  const record = await readRecord(ctx, id);
  if (!record)
    throw new NotFoundError(`no deployment "${id}" is recorded; a service's deployments are listed by "baton history <service>"`);
  const page = renderReport({ record, ...(await history(ctx, record.executionArn)) });
  const file = resolve(values.out ?? `baton-report-${id}.html`);
  try {
    writeFileSync(file, page);
  } catch (error) {
    throw new UsageError(`--out: cannot write ${file} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  print(ctx, `wrote ${file}`, { file, deploymentId: record.deploymentId, status: record.status });
  return 0;
}

export const report: Command = {
  name: 'report',
  usage: 'baton report <deployment> [--out <file>]',
  summary: "a deployment's timeline as an HTML page: weights, states, gate checks, bad signal, rollback",
  details: `Writes one self-contained HTML page (inline CSS and SVG, no script; it loads nothing, so it
opens offline or as a CI artifact): the traffic weight of each colour over time, each state as a
bar on the same time axis, the gate checks, the first bad signal and the rollback marked, the
strategy's plan and the record's evidence. Prints the path written.

Options:
  --out <file>   where to write it (default: baton-report-<deployment>.html here)

Examples:
  baton report web-v1_4_2-20261123T090000Z
  baton report web-v1_4_2-20261123T090000Z --out /tmp/rollback.html`,
  options: ['out'],
  run,
};
