/** `baton history`: a service's deployments, newest first. */
import { type Command, limitOf, type OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { history as readHistory } from '../deployments.ts';
import { formatDuration, print, secondsBetween } from '../output.ts';

async function run(ctx: CliContext, serviceName: string | undefined, values: OptionValues): Promise<number> {
  const limit = limitOf(values);
  const service = serviceNamed(ctx, serviceName);
  const records = await readHistory(ctx, service.name, limit);
  const human = records.length
    ? records.map((r) => {
        const took = r.endedAt ? formatDuration(secondsBetween(r.startedAt, r.endedAt)) : 'running';
        return `${r.startedAt}  ${r.deploymentId}  ${(r.imageTag ?? r.imageDigest ?? '?').padEnd(12)}  ${r.status.padEnd(15)} ${took.padStart(7)}  ${r.outcomeReason ?? ''}`;
      })
    : [`no deployments of ${service.name} recorded`];
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
