/**
 * The answer to an approval, where it takes effect: before the first
 * production weight moves, shift traffic (and, in a release, shift together)
 * accepts an approval only when it names an approver other than the
 * requester, and records who approved. `baton approve` refuses a
 * self-approval before sending it; this check is the one a hand-made
 * SendTaskSuccess does not go around.
 */
import * as z from 'zod';
import type { ServiceConfig } from './config-schema.ts';
import { plainText } from './contract.ts';
import { ApprovalRefusedError } from './errors.ts';
import { displayIdentity, sameIdentity } from './identity.ts';
import { annotateRecord } from './records/deployment.ts';
import type { VerifiedState } from './stages.ts';
import { formatIssues } from './zod-format.ts';

/**
 * What `baton approve` sends with SendTaskSuccess, and the approval state puts
 * at $.approvalResult. Whoever holds the token may send anything: what goes
 * into the record and the messages is one line of printable text.
 */
export const ApprovalAnswerSchema = z.object({
  /** The approver's caller ARN (STS GetCallerIdentity; an ARN has at most 2048 characters). */
  approvedBy: plainText(2048).refine((text) => text.trim() !== '', { message: 'empty' }),
  approvedAt: plainText(64).optional(),
  reason: plainText(512).optional(),
});
export type ApprovalAnswer = z.infer<typeof ApprovalAnswerSchema>;

/** Whether `approver` approving what `requestedBy` asked for is a self-approval the service refuses (allowSelfApproval off). */
export function isRefusedSelfApproval(
  approver: string,
  requestedBy: string | undefined,
  service: Pick<ServiceConfig, 'allowSelfApproval'>,
): boolean {
  return requestedBy !== undefined && !service.allowSelfApproval && sameIdentity(approver, requestedBy);
}

/**
 * The approval the deployment received, or undefined when it needed none.
 * An answer that names no approver (or is malformed), or names the requester
 * (unless the service allows self-approval), is refused: ApprovalRefusedError,
 * and the deployment rolls back as after `baton reject`.
 */
export function checkedApproval(state: VerifiedState): ApprovalAnswer | undefined {
  if (state.approvalResult === undefined) return undefined;
  const service = state.service.name;
  const parsed = ApprovalAnswerSchema.safeParse(state.approvalResult);
  if (!parsed.success) {
    const what =
      state.approvalResult.approvedBy === undefined ? 'names no approver (approvedBy)' : `is malformed (${formatIssues(parsed.error)})`;
    throw new ApprovalRefusedError(
      `the approval of ${state.deploymentId} ${what}; deploy again and approve with "baton approve ${service}"`,
    );
  }
  const approval = parsed.data;
  if (isRefusedSelfApproval(approval.approvedBy, state.request.requestedBy, state.service)) {
    throw new ApprovalRefusedError(
      `approved by ${displayIdentity(approval.approvedBy)}, who requested ${state.deploymentId}: ` +
        `the approver must be someone else (allowSelfApproval is off for ${service}); ` +
        `deploy again and ask another operator to run "baton approve ${service}"`,
    );
  }
  return approval;
}

/**
 * Checks the approval and, before the first step of the plan (the one call
 * that consumes it), records who approved, when and why, and that the
 * deployment no longer waits. A refused approval is recorded by the rollback,
 * as its outcome reason.
 */
export async function acceptApproval(state: VerifiedState): Promise<void> {
  const approval = checkedApproval(state);
  if (!approval || state.traffic.nextStep > 0 || state.traffic.holdUntil !== undefined) return;
  // An update of the deployment record, as every phase makes for its runs (trackPhase): no further grant.
  await annotateRecord(state.deploymentId, state, {
    awaitingApproval: false,
    approvedBy: approval.approvedBy,
    ...(approval.approvedAt ? { approvedAt: approval.approvedAt } : {}),
    ...(approval.reason ? { approvalReason: approval.reason } : {}),
  });
}
