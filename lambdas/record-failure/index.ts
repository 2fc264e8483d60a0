/**
 * record failure: the terminal record for an execution that did not reach a
 * deployment (REJECTED, DUPLICATE, SUPERSEDED) or whose rollback failed (ROLLBACK_FAILED).
 * Releases the lock of a rejected execution if, and only if, it holds it; a
 * failed rollback keeps it (the execution goes on retrying the rollback).
 */
import { z } from 'zod';
import { CaughtErrorSchema, type TerminalStatus } from '../shared/contract.ts';
import { type DeploymentRecord, releaseLock } from '../shared/deployments.ts';
import { logger } from '../shared/logger.ts';
import { describeCaught } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import { finishDeployment } from '../shared/telemetry/finish.ts';
import { recordPhaseRun } from '../shared/telemetry/phase-runs.ts';
import { nowIso } from '../shared/time.ts';

export const RecordFailureInputSchema = z.object({
  kind: z.enum(['rejected', 'rollback-failed']),
  state: z
    .object({
      deploymentId: z.string(),
      executionArn: z.string(),
      startedAt: z.string(),
      request: z.unknown(),
      // Passed through whole: after a failed rollback the state goes back to Roll back.
      service: z.object({ name: z.string() }).passthrough().optional(),
      error: CaughtErrorSchema.optional(),
      rollbackError: CaughtErrorSchema.optional(),
      failedPhase: z.string().optional(),
    })
    .passthrough(),
});
export type RecordFailureInput = z.infer<typeof RecordFailureInputSchema>;

const Request = z.object({
  service: z.string().optional(),
  imageTag: z.string().optional(),
  imageDigest: z.string().optional(),
  dryRun: z.boolean().optional(),
  trigger: z.string().optional(),
  requestedBy: z.string().optional(),
  reason: z.string().optional(),
});

/** The state name of initialize (lib/constructs/pipeline-state-machine.ts STATE_NAMES.initialize). */
const INITIALIZE_STATE = 'Initialize';

/** Rejections that are not failures: the trigger was redundant or out of date. */
const REJECTION_STATUS: Record<string, TerminalStatus> = { DuplicateTriggerError: 'DUPLICATE', SupersededError: 'SUPERSEDED' };

export const handler = definePhase('recordFailure', RecordFailureInputSchema, async ({ kind, state }) => {
  const request = Request.safeParse(state.request);
  const asked = request.success ? request.data : {};
  const serviceName = state.service?.name ?? (typeof asked.service === 'string' ? asked.service : '(unknown)');
  const original = describeCaught(state.error ?? { Error: 'Unknown', Cause: 'no error recorded' });

  let status: TerminalStatus;
  let error: string;
  let cause: string;
  if (kind === 'rollback-failed') {
    const rollbackError = describeCaught(state.rollbackError ?? { Error: 'Unknown', Cause: 'no error recorded' });
    status = 'ROLLBACK_FAILED';
    error = 'RollbackFailed';
    cause = `rollback after ${original.name} (${original.message}) failed: ${rollbackError.name}: ${rollbackError.message}. Production traffic needs a human: check the listener weights of ${serviceName}.`;
    logger.error('ROLLBACK_FAILED: production needs attention', { original: original.name, rollbackError: rollbackError.name });
  } else {
    status = REJECTION_STATUS[original.name] ?? 'REJECTED';
    error = original.name;
    cause = original.message;
  }

  if (!asked.dryRun) {
    const base: DeploymentRecord = {
      deploymentId: state.deploymentId,
      service: serviceName,
      status: 'IN_PROGRESS',
      executionArn: state.executionArn,
      startedAt: state.startedAt,
      trigger: asked.trigger ?? 'console',
      requestedBy: asked.requestedBy,
      reason: asked.reason,
      imageTag: asked.imageTag,
      imageDigest: asked.imageDigest,
    };
    const evidence = [
      `failed in: ${state.failedPhase ?? (kind === 'rollback-failed' ? 'Roll back' : 'unknown phase')}`,
      `signal: ${error}: ${cause}`,
    ];
    await finishDeployment(
      { ...base, ...(state.failedPhase ? { failedPhase: state.failedPhase } : {}) },
      { status, outcomeReason: `${error}: ${cause}`, evidence },
    );
    // Initialize fails before the record exists, so its run could not be tracked then: it is recorded here.
    if (kind === 'rejected' && state.failedPhase === INITIALIZE_STATE) {
      await recordPhaseRun(state.deploymentId, 'initialize', {
        startedAt: state.startedAt,
        endedAt: nowIso(),
        result: 'failed',
        error: `${original.name}: ${original.message}`,
      });
    }
    // After a failed rollback the lock stays: production needs a human, and the execution keeps retrying the rollback.
    if (serviceName !== '(unknown)' && kind === 'rejected') await releaseLock(serviceName, state.deploymentId);
  }
  return { ...state, outcome: { status, error, cause } };
});
