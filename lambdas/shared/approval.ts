/**
 * The answer to an approval, where it takes effect: before the first
 * production weight moves, shift traffic (and, in a release, shift together)
 * accepts an approval only when it names an approver other than the
 * requester, and records who approved. `baton approve` refuses a
 * self-approval before sending it; this check is the one a hand-made
 * SendTaskSuccess does not go around.
 */
import { z } from 'zod';
import { ApprovalRefusedError } from './errors.ts';
import { displayIdentity, sameIdentity } from './identity.ts';
import { annotateRecord } from './records/deployment.ts';
import type { VerifiedState } from './stages.ts';

/** What `baton approve` sends with SendTaskSuccess, and the approval state puts at $.approvalResult. */
export const ApprovalAnswerSchema = z.object({
  /** The approver's caller ARN (STS GetCallerIdentity). */
  approvedBy: z.string().trim().min(1),
  approvedAt: z.string().optional(),
  reason: z.string().optional(),
});
export type ApprovalAnswer = z.infer<typeof ApprovalAnswerSchema>;

/**
 * The approval the deployment received, or undefined when it needed none.
 * An answer that names no approver, or names the requester (unless the
 * service allows self-approval), is refused: ApprovalRefusedError, and the
 * deployment rolls back as after `baton reject`.
 */
export function checkedApproval(state: VerifiedState): ApprovalAnswer | undefined {
  if (state.approvalResult === undefined) return undefined;
  const service = state.service.name;
  const parsed = ApprovalAnswerSchema.safeParse(state.approvalResult);
  if (!parsed.success) {
    throw new ApprovalRefusedError(
      `the approval of ${state.deploymentId} names no approver (approvedBy); deploy again and approve with "baton approve ${service}"`,
    );
  }
  const approval = parsed.data;
  const requester = state.request.requestedBy;
  if (requester !== undefined && !state.service.allowSelfApproval && sameIdentity(approval.approvedBy, requester)) {
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
