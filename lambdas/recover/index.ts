/**
 * recover: first state of a recovery execution, which the backstop starts when
 * an execution was stopped, timed out or failed without a terminal record
 * (cases a Catch cannot handle). Rebuilds the deployment state from the
 * record so the ordinary rollback loop can finish the job under the original
 * deployment's id and lock.
 */
import { z } from 'zod';
import { type DeploymentState, ExecutionEnvelopeSchema } from '../shared/contract.ts';
import { getRecord, TERMINAL_STATUSES, transferLock } from '../shared/deployments.ts';
import { ContractViolationError, InvalidInputError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { stateFromRecord } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import { pipelineConfig } from '../shared/runtime-config.ts';
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
    if (!parsed.success) throw new InvalidInputError(`invalid recovery input: ${formatIssues(parsed.error)}`);
    const { recover, error, cause } = parsed.data;
    const record = await getRecord(recover);
    if (!record) return { nothingToRecover: true, reason: `no deployment record ${recover}` };
    if (TERMINAL_STATUSES.has(record.status))
      return { nothingToRecover: true, reason: `deployment ${recover} already ended ${record.status}` };
    const service = pipelineConfig().services.find((s) => s.name === record.service);
    if (!service) throw new ContractViolationError(`record ${recover} names service ${record.service}, which is no longer configured`);
    const state = stateFromRecord(record, service, {
      error: { Error: error, Cause: cause },
      warnings: [`recovered by ${envelope.deploymentId}`],
    });
    // The lock now names this execution, so nobody takes it over while the rollback runs.
    const transferred = await transferLock(service.name, recover, envelope.executionArn);
    logger.warn('recovering a deployment that ended without a terminal record', {
      recovering: recover,
      error,
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
      if (!envelope.success || !request.success) return undefined;
      return { deploymentId: request.data.recover, executionArn: envelope.data.executionArn, service: undefined };
    },
  },
);
