/**
 * Who runs the CLI: the caller's AWS identity (STS GetCallerIdentity), the
 * identity IAM authorizes the calls with. It is recorded as the requester of
 * deploy, rollback and release, and as who approved, rejected, aborted or
 * unlocked; the local OS user says nothing about who acted in AWS.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { displayIdentity } from '../lambdas/shared/identity.ts';
import type { CliContext } from './context.ts';
import { AwsError } from './errors.ts';

export interface Operator {
  /** The caller ARN, as records keep it (arn:aws:sts::<account>:assumed-role/<role>/<session>). */
  readonly arn: string;
  /** As messages show it: `<role>/<session>` for an assumed role (displayIdentity). */
  readonly shown: string;
}

/** The caller's identity; an STS error (no credentials, an expired session) exits 5 as every AWS error does. */
export async function operator(ctx: CliContext): Promise<Operator> {
  const { Arn: arn } = await ctx.sts.send(new GetCallerIdentityCommand({}));
  if (!arn) throw new AwsError('STS GetCallerIdentity answered no ARN: baton cannot tell who you are');
  return { arn, shown: displayIdentity(arn) };
}
