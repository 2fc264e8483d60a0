/** `baton approve`: let a deployment waiting for approval shift traffic. */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { answerApproval } from '../approval.ts';
import type { Command, OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { print } from '../output.ts';
import { operator } from '../requests.ts';

async function run(ctx: CliContext, serviceName: string | undefined, { reason }: OptionValues): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const output = { approvedBy: operator(), approvedAt: new Date().toISOString(), ...(reason ? { reason } : {}) };
  const approved = await answerApproval(ctx, service.name, (taskToken) =>
    ctx.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
  );
  print(ctx, `Approved ${approved}: traffic starts moving. Follow it with: baton watch ${service.name}`, { approved, ...output });
  return 0;
}

export const approve: Command = {
  name: 'approve',
  usage: 'baton approve <service> [--reason <text>]',
  summary: 'let a deployment waiting for approval shift traffic',
  details: 'Example:\n  baton approve web --reason "smoke tests green"',
  options: ['reason'],
  run,
};
