/** Answering the approval a deployment waits for: what approve and reject share. */
import { InvalidToken, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import type { CliContext } from './context.ts';
import { readApproval, readLock } from './deployments.ts';
import { ConflictError } from './errors.ts';

/** The deployment that waits for approval, as `answer` is told of it. */
export interface Waiting {
  readonly deploymentId: string;
  /** Who requested it (a caller ARN when the CLI started it), if the request said. */
  readonly requestedBy?: string | undefined;
}

/**
 * Sends `answer` the task token of the service's deployment that waits for
 * approval, and resolves to that deployment's id. Nothing waiting, or a token
 * already answered or timed out, is a conflict (exit 4); `answer` may refuse
 * (throw) before it sends anything.
 */
export async function answerApproval(
  ctx: CliContext,
  serviceName: string,
  answer: (taskToken: string, waiting: Waiting) => Promise<unknown>,
): Promise<string> {
  const lock = await readLock(ctx, serviceName);
  const record = lock ? await readApproval(ctx, lock.deploymentId) : undefined;
  if (!lock || !record?.awaitingApproval || !record.approvalToken) {
    throw new ConflictError(
      `nothing of ${serviceName} is waiting for approval${lock ? ` (deployment ${lock.deploymentId} is running; see "baton watch ${serviceName}")` : ''}`,
    );
  }
  try {
    await answer(record.approvalToken, { deploymentId: lock.deploymentId, requestedBy: record.requestedBy });
  } catch (error) {
    if (error instanceof TaskDoesNotExist || error instanceof InvalidToken || error instanceof TaskTimedOut)
      throw new ConflictError(`the approval of ${lock.deploymentId} was already answered or timed out`, { cause: error });
    throw error;
  }
  return lock.deploymentId;
}
