/**
 * unwind release: the first state of a joint rollback. Reads the release
 * record and each service's record, and lists the services to roll back:
 * every service that got past validate (it registered, deployed or moved
 * something), last wave first. Services that had not started are closed as
 * REJECTED and their locks freed, untouched. Notes the cause (the service,
 * the state that failed, the error) in the release record.
 *
 * Also the first state of a release recovery execution, which the backstop
 * starts when a release execution stopped without a verdict.
 */

import * as z from 'zod';
import { type CaughtError, CaughtErrorSchema, ExecutionEnvelopeSchema } from '../shared/contract.ts';
import { ContractViolationError, InvalidInputError, RecoveryRefusedError } from '../shared/errors.ts';
import { ENDED_STATUSES, executionStatus } from '../shared/execution-end.ts';
import { releaseLock, transferLock } from '../shared/lock/table.ts';
import { logger } from '../shared/logger.ts';
import { stateFromRecord } from '../shared/outcome.ts';
import { definePhase, LOCK_HOLDING_PHASES } from '../shared/phase.ts';
import { type DeploymentRecord, getRecord, TERMINAL_STATUSES } from '../shared/records/deployment.ts';
import { getReleaseRecord, noteReleaseCause, type ReleaseCause, type ReleaseRecord } from '../shared/records/release.ts';
import { releaseCause, untouchedReason } from '../shared/release-outcome.ts';
import { pipelineConfig } from '../shared/runtime-config.ts';
import type { DeploymentState } from '../shared/stages.ts';
import { finishDeployment } from '../shared/telemetry/finish.ts';
import { formatIssues } from '../shared/zod-format.ts';

export const RecoverReleaseRequestSchema = z.strictObject({
  /** The release id (execution name) whose joint rollback to finish. */
  recoverRelease: z.string().min(1),
  error: z.string().default('ExecutionStopped'),
  cause: z.string().default('the release execution ended without a verdict'),
});

/** From a Catch: the release's state with the error; or a recovery execution's envelope. */
const UnwindInputSchema = z.union([
  z.object({ releaseId: z.string(), executionArn: z.string(), error: CaughtErrorSchema }).passthrough(),
  ExecutionEnvelopeSchema,
]);

export interface UnwindOutput {
  readonly releaseId: string;
  readonly executionArn: string;
  /** The services to roll back, one after the other, last wave first. */
  readonly rollbacks: DeploymentState[];
  readonly cause: ReleaseCause;
  readonly untouched: string[];
}

export const handler = definePhase(
  'unwindRelease',
  UnwindInputSchema,
  async (input): Promise<UnwindOutput> => {
    const { releaseId, error, recovering } = await refusing(input, () => identify(input));
    const record = await getReleaseRecord(releaseId);
    if (!record && recovering)
      await refuse(input, `invalid release recovery input: recoverRelease: no release record "${releaseId}"; nothing changed`);
    if (!record) throw new ContractViolationError(`release ${releaseId} has no record; nothing it changed can be found`);
    // Anyone can start an execution with a recovery input: only a release whose own execution ended is recovered.
    if (recovering) {
      const status = await executionStatus(record.executionArn);
      if (!ENDED_STATUSES.has(status))
        await refuse(
          input,
          `invalid release recovery input: recoverRelease: release ${releaseId} is still running (its execution is ${status}); only a release whose execution ended is recovered, and nothing changed`,
        );
    }
    // A failed service recorded its own cause first; otherwise the release-level Catch says what stopped it.
    const cause = record.cause ?? releaseCause(error);
    const rollbacks: DeploymentState[] = [];
    // The lists cover what earlier attempts (a retry, a recovery after a partial unwind) already did too.
    const rollingBack: string[] = [];
    const untouched: string[] = [];
    const config = pipelineConfig();
    for (const name of reverseOrder(record)) {
      const entry = record.services[name];
      if (!entry) continue;
      const service = config.services.find((candidate) => candidate.name === name);
      const deployment = await getRecord(entry.deploymentId);
      if (!deployment || !service) {
        await releaseLock(name, { deploymentId: entry.deploymentId, executionArn: record.executionArn });
        untouched.push(name);
        continue;
      }
      if (!started(deployment)) {
        await finishDeployment(deployment, { status: 'REJECTED', outcomeReason: untouchedReason(record, cause) });
        await releaseLock(name, { deploymentId: entry.deploymentId, executionArn: record.executionArn });
        untouched.push(name);
        continue;
      }
      // Completed before another service failed (its old colour retired, its lock released): left live, and said so.
      if (deployment.status === 'SUCCEEDED') {
        logger.warn('service of the release had already completed; it is left live', { completed: name });
        continue;
      }
      rollingBack.push(name);
      // Ended already (a recovery after a partial unwind): a ROLLBACK_FAILED service is tried again, others stay as recorded.
      if (TERMINAL_STATUSES.has(deployment.status) && deployment.status !== 'ROLLBACK_FAILED') continue;
      if (recovering) await transferLock(name, entry.deploymentId, input.executionArn);
      const own = cause.deploymentId === entry.deploymentId;
      const rollback = stateFromRecord(deployment, service, {
        error: own ? { Error: cause.error, Cause: cause.message } : jointError(record, cause),
        ...(own && cause.failedPhase ? { failedPhase: cause.failedPhase } : {}),
        warnings: recovering ? [`recovered by ${recovering}`] : [],
      });
      // A recovery took the lock over: its execution renews and releases it.
      rollbacks.push(recovering ? { ...rollback, heldBy: input.executionArn } : rollback);
    }
    await noteReleaseCause(releaseId, record, cause, { rollingBack, untouched });
    logger.warn('release rolling back', {
      release: record.release,
      failedService: cause.service,
      rollingBack: rollbacks.map((state) => state.service.name).join(' -> '),
      untouched: untouched.join(', '),
    });
    return { releaseId, executionArn: input.executionArn, rollbacks, cause, untouched };
  },
  {
    track: false,
    identify: (input) => {
      const parsed = UnwindInputSchema.safeParse(input);
      if (!parsed.success) return undefined;
      // A refused recovery input is logged under the recovery execution's own id, the one its REJECTED record has.
      const data = parsed.data;
      const releaseId =
        'releaseId' in data
          ? data.releaseId
          : (RecoverReleaseRequestSchema.safeParse(data.request).data?.recoverRelease ?? data.deploymentId);
      return { deploymentId: releaseId, executionArn: data.executionArn, service: undefined };
    },
  },
);

/** The recovery execution's input is refused: its own REJECTED record says why, and it fails changing nothing. */
async function refuse(input: z.infer<typeof UnwindInputSchema>, message: string): Promise<never> {
  const error = new RecoveryRefusedError(message);
  if (!('releaseId' in input)) {
    const base: DeploymentRecord = {
      deploymentId: input.deploymentId,
      service: '(unknown)',
      status: 'IN_PROGRESS',
      executionArn: input.executionArn,
      startedAt: input.startedAt,
      trigger: 'console',
    };
    const reason = `${error.name}: ${message}`;
    await finishDeployment(base, {
      status: 'REJECTED',
      outcomeReason: reason,
      evidence: ['failed in: Plan joint rollback', `signal: ${reason}`],
    });
  }
  throw error;
}

/** identify, with a refused recovery input recorded like any other refusal. */
async function refusing<T>(input: z.infer<typeof UnwindInputSchema>, read: () => T): Promise<T> {
  try {
    return read();
  } catch (error) {
    if (error instanceof InvalidInputError) await refuse(input, error.message);
    throw error;
  }
}

function identify(input: z.infer<typeof UnwindInputSchema>): { releaseId: string; error: CaughtError; recovering?: string } {
  if ('releaseId' in input) return { releaseId: input.releaseId, error: input.error };
  const request = RecoverReleaseRequestSchema.safeParse(input.request);
  if (!request.success)
    throw new InvalidInputError(`invalid release recovery input: ${formatIssues(request.error, RecoverReleaseRequestSchema)}`);
  const { recoverRelease, error, cause } = request.data;
  return { releaseId: recoverRelease, error: { Error: error, Cause: cause }, recovering: input.deploymentId };
}

/** Last wave first; within a wave, reverse name order, so the order is the same on every run. */
function reverseOrder(record: ReleaseRecord): string[] {
  return [...record.waves].reverse().flatMap((wave) => [...wave].sort().reverse());
}

/** A lock-holding phase (everything after validate) has run: the service may have changed. */
function started(record: DeploymentRecord & { phases?: Record<string, unknown> }): boolean {
  return [...LOCK_HOLDING_PHASES].some((phase) => record.phases?.[phase] !== undefined);
}

/** What the other services' records say: they are rolled back because of another one. */
function jointError(record: ReleaseRecord, cause: ReleaseCause): CaughtError {
  const where = cause.service ? `${cause.service} failed${cause.failedPhase ? ` in ${cause.failedPhase}` : ''}` : 'the release failed';
  return {
    Error: 'ReleaseRolledBack',
    Cause: `release ${record.release} rolled back together: ${where}: ${cause.error}: ${cause.message}`,
  };
}
