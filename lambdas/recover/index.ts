/**
 * recover: first state of a recovery execution, which the backstop starts when
 * an execution was stopped, timed out or failed without a terminal record
 * (cases a Catch cannot handle). Rebuilds the deployment state from the
 * record so the ordinary rollback loop can finish the job under the original
 * deployment's id and lock. Only a deployment whose execution has ended is
 * recovered (anyone can start an execution with this input); one stopped
 * before it changed anything is closed REJECTED, naming the state.
 */

import * as z from 'zod';
import { ExecutionEnvelopeSchema } from '../shared/contract.ts';
import { rejectionStatus } from '../shared/error-classification.ts';
import { ContractViolationError, InvalidInputError, RecoveryRefusedError } from '../shared/errors.ts';
import { ENDED_STATUSES, type ExecutionEnd, executionEnd, executionStatus, STATES_BEFORE_ANY_CHANGE } from '../shared/execution-end.ts';
import { releaseLock, transferLock } from '../shared/lock/table.ts';
import { logger } from '../shared/logger.ts';
import { describeCaught, stateFromRecord } from '../shared/outcome.ts';
import { definePhase, LOCK_HOLDING_PHASES } from '../shared/phase.ts';
import { type DeploymentRecord, getRecord, TERMINAL_STATUSES } from '../shared/records/deployment.ts';
import { pipelineConfig } from '../shared/runtime-config.ts';
import type { DeploymentState } from '../shared/stages.ts';
import { finishDeployment } from '../shared/telemetry/finish.ts';
import { formatIssues } from '../shared/zod-format.ts';

export const RecoverRequestSchema = z.strictObject({
  /** Deployment id (execution name) whose rollback to finish. */
  recover: z.string().min(1),
  /** Error name the rollback records, e.g. ExecutionAborted. */
  error: z.string().default('ExecutionStopped'),
  cause: z.string().default('the execution ended without a terminal record'),
});

export type RecoverOutput = (DeploymentState & { nothingToRecover: false }) | { nothingToRecover: true; reason: string };

export const handler = definePhase(
  'recover',
  ExecutionEnvelopeSchema,
  async (envelope): Promise<RecoverOutput> => {
    const parsed = RecoverRequestSchema.safeParse(envelope.request);
    if (!parsed.success) throw new InvalidInputError(`invalid recovery input: ${formatIssues(parsed.error, RecoverRequestSchema)}`);
    const { recover, error, cause } = parsed.data;
    const record = await getRecord(recover);
    if (!record) throw new RecoveryRefusedError(`invalid recovery input: recover: no deployment record "${recover}"; nothing changed`);
    if (TERMINAL_STATUSES.has(record.status))
      return { nothingToRecover: true, reason: `deployment ${recover} already ended ${record.status}` };
    // Anyone can start an execution with this input: only a deployment whose own execution ended is recovered.
    const status = await executionStatus(record.executionArn);
    if (!ENDED_STATUSES.has(status)) {
      throw new RecoveryRefusedError(
        `invalid recovery input: recover: deployment ${recover} is still running (its execution is ${status}); only a deployment whose execution ended is recovered, and nothing changed. Stop it with "baton abort ${record.service}"`,
      );
    }
    const service = pipelineConfig().services.find((s) => s.name === record.service);
    if (!service) throw new ContractViolationError(`record ${recover} names service ${record.service}, which is no longer configured`);
    const end = await executionEnd(record.executionArn);
    if (end.state && STATES_BEFORE_ANY_CHANGE.has(end.state) && !changedAnything(record)) {
      return closeUntouched(record, service.name, { ...end, state: end.state }, { Error: error, Cause: cause });
    }
    const state = stateFromRecord(record, service, {
      error: { Error: error, Cause: cause },
      ...(end.state ? { failedPhase: end.state } : {}),
      warnings: [`recovered by ${envelope.deploymentId}`],
    });
    // The lock now names this execution, so nobody takes it over while the rollback runs.
    const transferred = await transferLock(service.name, recover, envelope.executionArn);
    logger.warn('recovering a deployment that ended without a terminal record', {
      recovering: recover,
      error,
      stoppedIn: end.state,
      lockTransferred: transferred,
    });
    // From here on this execution holds the lock: only it renews and releases it (heldBy).
    return { ...state, heldBy: envelope.executionArn, nothingToRecover: false };
  },
  {
    // A recovery execution works on the deployment it recovers: logs and phase runs go under that id.
    identify: (input) => {
      const envelope = ExecutionEnvelopeSchema.safeParse(input);
      const request = RecoverRequestSchema.safeParse(envelope.success ? envelope.data.request : undefined);
      if (!envelope.success) return undefined;
      // A refused input is logged under the recovery execution's own id, the one its REJECTED record has.
      const deploymentId = request.success ? request.data.recover : envelope.data.deploymentId;
      return { deploymentId, executionArn: envelope.data.executionArn, service: undefined };
    },
  },
);

/** A phase that holds the lock (everything after validate) ran: the service may have changed. */
function changedAnything(record: DeploymentRecord & { phases?: unknown }): boolean {
  const phases = typeof record.phases === 'object' && record.phases !== null ? record.phases : {};
  return [...LOCK_HOLDING_PHASES].some((phase) => phase in phases);
}

/**
 * Stopped before it changed anything: nothing to roll back. The record ends
 * REJECTED with the rejection it was writing, if any, or the stop, naming the
 * state it was stopped in; the lock is freed.
 */
async function closeUntouched(
  record: DeploymentRecord,
  service: string,
  end: ExecutionEnd & { state: string },
  stop: { Error: string; Cause: string },
): Promise<RecoverOutput> {
  const handled = end.handling ? describeCaught(end.handling) : undefined;
  const signal = handled ? `${handled.name}: ${handled.message}` : `${stop.Error}: ${stop.Cause}`;
  await finishDeployment(
    { ...record, failedPhase: end.failedPhase ?? end.state },
    {
      status: handled ? rejectionStatus(handled.name) : 'REJECTED',
      outcomeReason: handled ? signal : `${signal}; stopped in: ${end.state}, before any change, so nothing was rolled back`,
      evidence: [
        `stopped in: ${end.state}`,
        ...(end.failedPhase ? [`failed in: ${end.failedPhase}`] : []),
        `signal: ${signal}`,
        'rollback: not needed, nothing was changed',
      ],
    },
  );
  // The lock still names the stopped execution: nothing took it over.
  const released = await releaseLock(service, { deploymentId: record.deploymentId, executionArn: record.executionArn });
  logger.warn('deployment stopped before any change: closed without a rollback', { stoppedIn: end.state, lockReleased: released });
  return { nothingToRecover: true, reason: `deployment ${record.deploymentId} was stopped in ${end.state}, before any change` };
}
