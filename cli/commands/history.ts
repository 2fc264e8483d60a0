/** `baton history`: a service's deployments, newest first, in columns under a header. */

import { paintStatus } from '../colour.ts';
import { type Command, limitOf, type OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { type RecordItem, history as readHistory } from '../deployments.ts';
import { formatDuration, print, secondsBetween } from '../output.ts';
import { type Column, table } from '../table.ts';

function columns(ctx: CliContext): readonly Column<RecordItem>[] {
  return [
    { header: 'STARTED', value: (r) => r.startedAt },
    { header: 'DEPLOYMENT', value: (r) => r.deploymentId },
    { header: 'IMAGE', value: (r) => r.imageTag ?? r.imageDigest ?? '?' },
    { header: 'STATUS', value: (r) => r.status, paint: (cell) => paintStatus(ctx.colour, cell) },
    { header: 'TOOK', value: (r) => (r.endedAt ? formatDuration(secondsBetween(r.startedAt, r.endedAt)) : 'running'), align: 'right' },
    { header: 'REASON', value: (r) => r.outcomeReason ?? '' },
  ];
}

async function run(ctx: CliContext, serviceName: string | undefined, values: OptionValues): Promise<number> {
  const limit = limitOf(values);
  const service = serviceNamed(ctx, serviceName);
  const records = await readHistory(ctx, service.name, limit);
  const human = records.length ? table(columns(ctx), records) : [`no deployments of ${service.name} recorded`];
  print(ctx, human, records);
  return 0;
}

export const history: Command = {
  name: 'history',
  usage: 'baton history <service> [--limit <n>]',
  summary: "a service's deployments, newest first",
  details: 'Options:\n  --limit <n>   how many (default 20)\n\nExample:\n  baton history web --limit 5 --json',
  options: ['limit'],
  run,
};
