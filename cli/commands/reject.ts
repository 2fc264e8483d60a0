/** `baton reject`: reject a deployment waiting for approval; it rolls back. */
import { SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { OUTCOME_ERRORS } from '../../lambdas/shared/errors.ts';
import { answerApproval } from '../approval.ts';
import type { Command, OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { operator } from '../identity.ts';
import { print } from '../output.ts';

async function run(ctx: CliContext, serviceName: string | undefined, { reason }: OptionValues): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const cause = `rejected by ${(await operator(ctx)).shown}${reason ? `: ${reason}` : ''}`;
  const rejected = await answerApproval(ctx, service.name, (taskToken) =>
    ctx.sfn.send(new SendTaskFailureCommand({ taskToken, error: OUTCOME_ERRORS.approvalRejected, cause })),
  );
  print(ctx, `Rejected ${rejected}; it rolls back. Follow it with: baton watch ${service.name}`, { rejected, cause });
  return 0;
}

export const reject: Command = {
  name: 'reject',
  usage: 'baton reject <service> [--reason <text>]',
  summary: 'reject a deployment waiting for approval; it rolls back',
  details: 'Example:\n  baton reject web --reason "p99 too high on green"',
  options: ['reason'],
  run,
};
