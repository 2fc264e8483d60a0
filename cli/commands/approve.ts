/** `baton approve`: let a deployment waiting for approval shift traffic, unless you requested it. */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { ServiceConfig } from '../../lambdas/shared/config-schema.ts';
import { displayIdentity, sameIdentity } from '../../lambdas/shared/identity.ts';
import { answerApproval, type Waiting } from '../approval.ts';
import type { Command, OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { ConflictError } from '../errors.ts';
import { type Operator, operator } from '../identity.ts';
import { print } from '../output.ts';

/**
 * The requester may not approve their own deployment (unless the service sets
 * allowSelfApproval): refused here, before anything is sent, and again by the
 * state machine (lambdas/shared/approval.ts) for an answer sent by other means.
 */
function refuseSelfApproval(service: ServiceConfig, waiting: Waiting, you: Operator): void {
  if (service.allowSelfApproval || waiting.requestedBy === undefined || !sameIdentity(you.arn, waiting.requestedBy)) return;
  throw new ConflictError(
    `${waiting.deploymentId} was requested by ${displayIdentity(waiting.requestedBy)}, and you are ${you.shown}: the approver must be someone else.\n` +
      `Ask another operator to run "baton approve ${service.name}", or reject it yourself: baton reject ${service.name} --reason <why>`,
  );
}

async function run(ctx: CliContext, serviceName: string | undefined, { reason }: OptionValues): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const you = await operator(ctx);
  const output = { approvedBy: you.arn, approvedAt: new Date().toISOString(), ...(reason ? { reason } : {}) };
  const approved = await answerApproval(ctx, service.name, (taskToken, waiting) => {
    refuseSelfApproval(service, waiting, you);
    return ctx.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  });
  print(ctx, `Approved ${approved} as ${you.shown}: traffic starts moving. Follow it with: baton watch ${service.name}`, {
    approved,
    ...output,
  });
  return 0;
}

export const approve: Command = {
  name: 'approve',
  usage: 'baton approve <service> [--reason <text>]',
  summary: 'let a deployment waiting for approval shift traffic; the approver must not be its requester',
  details: `Sends your AWS identity (STS GetCallerIdentity) as the approver. The deployment's
requester may not approve it (exit 4): ask another operator, unless the service
sets allowSelfApproval. The state machine checks it again before traffic moves.

Example:
  baton approve web --reason "smoke tests green"`,
  options: ['reason'],
  run,
};
