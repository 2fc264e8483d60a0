/** `baton watch`: the live view of a service's running deployment until it ends. */
import { type Command, intervalOf, type OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { readLock } from '../deployments.ts';
import { NotFoundError } from '../errors.ts';
import { follow } from '../follow.ts';

async function run(ctx: CliContext, serviceName: string | undefined, values: OptionValues): Promise<number> {
  const intervalSeconds = intervalOf(values);
  const service = serviceNamed(ctx, serviceName);
  const lock = await readLock(ctx, service.name);
  if (!lock) throw new NotFoundError(`no deployment of ${service.name} is running; see the last ones with "baton history ${service.name}"`);
  return follow(ctx, service.name, lock.executionArn, intervalSeconds);
}

export const watch: Command = {
  name: 'watch',
  usage: 'baton watch <service> [--interval <seconds>]',
  summary: 'live view of the running deployment: phases, traffic split, elapsed time',
  details: `Shows the image, each state done or failed, the strategy step and the time left in a hold or
the bake, what to run while it waits for approval, and the production listener's traffic split.
Without a terminal (CI), prints one line per change with its UTC time, and a heartbeat at most
every 60 s while nothing changes. With --json, the same changes as NDJSON: one JSON object a line
(type start, state, weights, heartbeat), the last of type end with the record.

Options:
  --interval <seconds>   refresh period (default 2)

Example:
  baton watch web`,
  options: ['interval'],
  run,
};
