/** `baton abort`: stop the running deployment; the backstop rolls it back. */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { OUTCOME_ERRORS } from '../../lambdas/shared/errors.ts';
import type { Command, OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { readLock } from '../deployments.ts';
import { NotFoundError } from '../errors.ts';
import { operator } from '../identity.ts';
import { print } from '../output.ts';

async function run(ctx: CliContext, serviceName: string | undefined, { reason }: OptionValues): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const lock = await readLock(ctx, service.name);
  if (!lock) throw new NotFoundError(`no deployment of ${service.name} is running`);
  const you = await operator(ctx);
  await ctx.sfn.send(
    new StopExecutionCommand({
      executionArn: lock.executionArn,
      error: OUTCOME_ERRORS.abortedByOperator,
      cause: `aborted by ${you.shown}${reason ? `: ${reason}` : ''}`,
    }),
  );
  print(
    ctx,
    [`Stopped ${lock.deploymentId}.`, `The backstop now rolls it back and closes its record; follow with: baton history ${service.name}`],
    { aborted: lock.deploymentId, executionArn: lock.executionArn },
  );
  return 0;
}

export const abort: Command = {
  name: 'abort',
  usage: 'baton abort <service> [--reason <text>]',
  summary: 'stop the running deployment; the backstop rolls it back',
  details: 'Example:\n  baton abort web --reason "wrong image"',
  options: ['reason'],
  run,
};
