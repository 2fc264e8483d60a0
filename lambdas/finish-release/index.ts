/**
 * finish release: the verdict of a multi-service release, written once into
 * the release record and announced.
 *
 * - rejected: planning or validating refused the release before any change.
 *   Every service record still open is closed REJECTED and every lock the
 *   release took is freed.
 * - rolled-back: the joint rollback brought every changed service back (each
 *   service's own record says ROLLED_BACK); the release names the cause.
 * - succeeded: every service completed (each record says SUCCEEDED).
 */

import { z } from 'zod';
import { CaughtErrorSchema, type TerminalStatus } from '../shared/contract.ts';
import { ContractViolationError } from '../shared/errors.ts';
import { releaseLock } from '../shared/lock/table.ts';
import { logger } from '../shared/logger.ts';
import { definePhase } from '../shared/phase.ts';
import { getRecord, TERMINAL_STATUSES } from '../shared/records/deployment.ts';
import {
  finishReleaseRecord,
  getReleaseRecord,
  type ReleaseCause,
  type ReleaseRecord,
  unplannedReleaseRecord,
} from '../shared/records/release.ts';
import { ownedBy } from '../shared/records/table.ts';
import { isReleaseDryRun } from '../shared/release.ts';
import { announceRelease, describeCause, describeServices, releaseCause } from '../shared/release-outcome.ts';
import { finishDeployment } from '../shared/telemetry/finish.ts';

export const FinishReleaseInputSchema = z.object({
  kind: z.enum(['rejected', 'rolled-back', 'succeeded']),
  state: z
    .object({
      /** The release's id; before plan release ran, the execution's name (deploymentId of the envelope). */
      releaseId: z.string().optional(),
      deploymentId: z.string().optional(),
      executionArn: z.string(),
      startedAt: z.string().optional(),
      request: z.unknown().optional(),
      error: CaughtErrorSchema.optional(),
      cause: z.object({ error: z.string(), message: z.string() }).passthrough().optional(),
    })
    .passthrough(),
});

export interface ReleaseOutcome {
  readonly releaseId: string;
  readonly outcome: { status: TerminalStatus; error: string; cause: string };
}

export const handler = definePhase(
  'finishRelease',
  FinishReleaseInputSchema,
  async ({ kind, state }): Promise<ReleaseOutcome> => {
    const releaseId = state.releaseId ?? state.deploymentId;
    if (!releaseId) throw new ContractViolationError('finish release needs the release id');
    // A dry run writes nothing, not even its refusal: the execution's error and cause say it.
    if (kind === 'rejected' && isReleaseDryRun(state.request)) {
      const cause = releaseCause(state.error ?? { Error: 'Unknown', Cause: 'no error recorded' });
      const name = (state.request as { release?: unknown }).release;
      return {
        releaseId,
        outcome: { status: 'REJECTED', error: cause.error, cause: `release ${String(name)} dry run refused: ${describeCause(cause)}` },
      };
    }
    const found = await getReleaseRecord(releaseId);
    if (kind === 'rejected' && found && !ownedBy(found, { executionArn: state.executionArn, startedAt: state.startedAt ?? '' })) {
      // The name of another execution's release (Step Functions reuses names after 90 days): its record, its
      // services and their locks are that release's, and stay as they are.
      const cause = releaseCause(state.error ?? { Error: 'Unknown', Cause: 'no error recorded' });
      return { releaseId, outcome: { status: 'REJECTED', error: cause.error, cause: cause.message } };
    }
    const record =
      found ?? unplannedReleaseRecord(releaseId, state.executionArn, state.startedAt ?? new Date().toISOString(), state.request);
    let written: (ReleaseRecord & { endedAt: string }) | undefined;
    let status: Exclude<ReleaseRecord['status'], 'IN_PROGRESS'>;
    let error: string;
    let reason: string;
    if (kind === 'rejected') {
      // A service that failed validation recorded its own cause; otherwise the Catch says what refused the release.
      const recorded = record.cause ?? releaseCause(state.error ?? { Error: 'Unknown', Cause: 'no error recorded' });
      await closeRejected(record, recorded);
      status = 'REJECTED';
      error = recorded.error;
      reason = `release ${record.release} rejected before any change: ${describeCause(recorded)}`;
      written = await finishReleaseRecord(record, { status, outcomeReason: reason, cause: recorded });
    } else if (kind === 'rolled-back') {
      const cause = record.cause ?? (state.cause as ReleaseCause | undefined);
      const rolledBack = record.rollingBack ?? [];
      const failed = await stillFailed(record, rolledBack);
      // Stopped before any service changed (a recovery of a release stopped early): nothing was rolled back.
      status = failed.length > 0 ? 'ROLLBACK_FAILED' : rolledBack.length > 0 ? 'ROLLED_BACK' : 'REJECTED';
      error = cause?.error ?? 'ReleaseFailed';
      reason = `release ${record.release} ${status === 'REJECTED' ? 'stopped' : 'rolled back'}${cause ? ` because ${describeCause(cause)}` : ''}; ${
        rolledBack.length > 0 ? `rolled back ${rolledBack.join(' -> ')}` : 'no service had changed'
      }${record.untouched?.length ? `; untouched: ${record.untouched.join(', ')}` : ''}${
        failed.length > 0 ? `; ROLLBACK FAILED for ${failed.join(', ')}: check their listener weights` : ''
      }`;
      written = await finishReleaseRecord(record, { status, outcomeReason: reason, rolledBack });
    } else {
      status = 'SUCCEEDED';
      error = 'None';
      reason = `release ${record.release} live: ${describeServices(record)}`;
      written = await finishReleaseRecord(record, { status, outcomeReason: reason });
    }
    if (written) await announceRelease(written);
    else {
      // Ended already (a retry, a redrive, a recovery of a release that had its verdict): that verdict stands.
      const current = await getReleaseRecord(releaseId);
      if (current && current.status !== 'IN_PROGRESS') {
        status = current.status;
        reason = current.outcomeReason ?? reason;
        error = status === 'SUCCEEDED' ? 'None' : (current.cause?.error ?? 'ReleaseFailed');
      }
    }
    logger.info('release finished', { release: record.release, status });
    return { releaseId, outcome: { status, error, cause: reason } };
  },
  {
    track: false,
    identify: (input) => {
      const parsed = FinishReleaseInputSchema.safeParse(input);
      if (!parsed.success) return undefined;
      const { state } = parsed.data;
      const id = state.releaseId ?? state.deploymentId;
      return id ? { deploymentId: id, executionArn: state.executionArn, service: undefined } : undefined;
    },
  },
);

/** A rejected release: every service record still open says why, and every lock the release took is free again. */
async function closeRejected(record: ReleaseRecord, cause: ReleaseCause): Promise<void> {
  for (const [name, entry] of Object.entries(record.services)) {
    const deployment = await getRecord(entry.deploymentId);
    if (deployment && !TERMINAL_STATUSES.has(deployment.status)) {
      const own = cause.deploymentId === entry.deploymentId;
      const outcomeReason = own
        ? `${cause.error}: ${cause.message}`
        : `ReleaseRejected: release ${record.release} was rejected (${describeCause(cause)}); nothing was changed`;
      await finishDeployment(
        { ...deployment, ...(own && cause.failedPhase ? { failedPhase: cause.failedPhase } : {}) },
        { status: 'REJECTED', outcomeReason },
      );
    }
    await releaseLock(name, { deploymentId: entry.deploymentId, executionArn: record.executionArn });
  }
}

/** Services of the joint rollback whose record does not say ROLLED_BACK. */
async function stillFailed(record: ReleaseRecord, rolledBack: readonly string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const name of rolledBack) {
    const entry = record.services[name];
    const deployment = entry ? await getRecord(entry.deploymentId) : undefined;
    if (deployment?.status !== 'ROLLED_BACK') failed.push(name);
  }
  return failed;
}
