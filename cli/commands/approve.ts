/** `baton approve`: let a deployment waiting for approval shift traffic, unless you requested it. */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { ApprovalAnswerSchema, isRefusedSelfApproval } from '../../lambdas/shared/approval.ts';
import type { ServiceConfig } from '../../lambdas/shared/config-schema.ts';
import { displayIdentity } from '../../lambdas/shared/identity.ts';
import { answerApproval, type Waiting } from '../approval.ts';
import type { Command, OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { ConflictError, checkedOption } from '../errors.ts';
import { type Operator, operator } from '../identity.ts';
import { print } from '../output.ts';

/**
 * The requester may not approve their own deployment (unless the service sets
 * allowSelfApproval): refused here, before anything is sent, and again by the
 * state machine (lambdas/shared/approval.ts) for an answer sent by other means.
 */
function refuseSelfApproval(service: ServiceConfig, waiting: Waiting, you: Operator): void {
  if (waiting.requestedBy === undefined || !isRefusedSelfApproval(you.arn, waiting.requestedBy, service)) return;
  throw new ConflictError(
    `${waiting.deploymentId} was requested by ${displayIdentity(waiting.requestedBy)}, and you are ${you.shown}: the approver must be someone else.\n` +
      `Ask another operator to run "baton approve ${service.name}", or reject it yourself: baton reject ${service.name} --reason <why>`,
  );
}

async function run(ctx: CliContext, serviceName: string | undefined, { reason }: OptionValues): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  // As the state machine will check it (lambdas/shared/approval.ts).
  const why = checkedOption('--reason', ApprovalAnswerSchema.shape.reason, reason);
  const you = await operator(ctx);
  const output = { approvedBy: you.arn, approvedAt: new Date().toISOString(), ...(why ? { reason: why } : {}) };
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
