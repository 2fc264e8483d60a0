/**
 * request approval: runs as a waitForTaskToken task after verify. Stores the
 * task token in the deployment record, where `baton approve` and `baton
 * reject` find it, and tells the outcomes topic (and chat) who must act, how
 * and by when; the execution waits until one of them answers or the approval
 * window (HeartbeatSeconds) closes, which rolls back.
 */

import * as z from 'zod';
import { logger } from '../shared/logger.ts';
import { executionConsoleUrl } from '../shared/names.ts';
import { definePhase } from '../shared/phase.ts';
import { annotateRecord } from '../shared/records/deployment.ts';
import { VerifiedStateSchema } from '../shared/stages.ts';
import { notifyApprovalRequest } from '../shared/telemetry/notify.ts';
import { nowIso } from '../shared/time.ts';

/** The longest approval window the config allows (approvalTimeoutSeconds), for when the stack did not say. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = 86_400;

export function approvalWindowSeconds(configured: string | undefined): number {
  // Only plain decimal digits: the stack writes an integer; anything else is not trusted.
  const seconds = /^\d+$/.test(configured ?? '') ? Number(configured) : 0;
  return seconds > 0 ? seconds : MAX_APPROVAL_TIMEOUT_SECONDS;
}

/** The approval window the stack configured (HeartbeatSeconds of the Task), read once per cold start. */
const APPROVAL_WINDOW_SECONDS = approvalWindowSeconds(process.env.BATON_APPROVAL_TIMEOUT_SECONDS);

export const RequestApprovalInputSchema = z.object({
  taskToken: z.string().min(1),
  state: VerifiedStateSchema,
});

export const handler = definePhase(
  'requestApproval',
  RequestApprovalInputSchema,
  async ({ taskToken, state }) => {
    const requestedAt = nowIso();
    await annotateRecord(state.deploymentId, state, {
      approvalToken: taskToken,
      approvalRequestedAt: requestedAt,
      awaitingApproval: true,
    });
    // The token lets anyone holding it approve: it goes to the record only, never to a log line or a message.
    logger.info('waiting for approval', { colour: state.idle.colour, command: `baton approve ${state.service.name}` });
    await notifyApprovalRequest({
      service: state.service.name,
      deploymentId: state.deploymentId,
      image: state.image.tag ?? state.image.digest,
      colour: state.idle.serviceName,
      deadline: new Date(Date.parse(requestedAt) + APPROVAL_WINDOW_SECONDS * 1000).toISOString(),
      consoleUrl: executionConsoleUrl(state.executionArn, state.executionArn.split(':')[3] ?? ''),
      trigger: state.request.trigger,
      requestedBy: state.request.requestedBy,
      requestReason: state.request.reason,
    });
    return { requested: true };
  },
  {
    // No phase runs while the task token waits: the lease must outlast the whole approval window.
    leaseSeconds: APPROVAL_WINDOW_SECONDS,
  },
);
