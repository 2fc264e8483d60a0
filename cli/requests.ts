/**
 * Starting executions of the pipeline: the request checked as the state
 * machine will check it (a bad field named by its CLI option), and a taken
 * execution name reported as a conflict. The requester is the caller's AWS
 * identity (identity.ts).
 */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type DeploymentRequest, DeploymentRequestSchema } from '../lambdas/shared/contract.ts';
import type { CliContext } from './context.ts';
import { ConflictError, UsageError } from './errors.ts';
import { operator } from './identity.ts';

const OPTION_OF_FIELD: Record<string, string> = {
  imageTag: '--tag',
  imageDigest: '--digest',
  strategy: '--strategy',
  reason: '--reason',
  rollbackTo: '--to',
};

export function buildRequest(fields: Record<string, unknown>): DeploymentRequest {
  const parsed = DeploymentRequestSchema.safeParse(fields);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      return `${OPTION_OF_FIELD[field] ?? field}: ${issue.message}`;
    });
    throw new UsageError(problems.join('; '));
  }
  return parsed.data;
}

/**
 * The request with the caller's AWS identity as requestedBy. The fields are
 * checked first, so that a usage error (exit 2) needs no credentials.
 */
export async function requestOfCaller(ctx: CliContext, fields: Record<string, unknown>): Promise<DeploymentRequest> {
  buildRequest(fields);
  return buildRequest({ ...fields, requestedBy: (await operator(ctx)).arn });
}

/** The UTC time to the second, as execution names carry it: 20261123T090000Z. */
export function utcStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Starts an execution of the pipeline; an execution of that name already existing is a conflict (exit 4) explained by `taken`. */
export async function startExecution(
  ctx: CliContext,
  name: string,
  input: unknown,
  taken: string,
): Promise<{ executionArn: string; name: string }> {
  try {
    const out = await ctx.sfn.send(new StartExecutionCommand({ stateMachineArn: ctx.aliasArn, name, input: JSON.stringify(input) }));
    return { executionArn: out.executionArn ?? '', name };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists)
      throw new ConflictError(`an execution named ${name} already exists: ${taken}`, { cause: error });
    throw error;
  }
}

export async function startDeployment(
  ctx: CliContext,
  request: DeploymentRequest,
  name: string,
): Promise<{ executionArn: string; name: string }> {
  return startExecution(
    ctx,
    name,
    request,
    `this image was already started for ${request.service}. See it with "baton status ${request.service}"; pass --name <new-name> to start it again on purpose.`,
  );
}
