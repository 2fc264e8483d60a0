/**
 * finish release: the verdict of a multi-service release, written once into
 * the release record and announced. One job per kind:
 *
 * - rejected: planning or validating refused the release before any change.
 *   Every service record still open is closed REJECTED and every lock the
 *   release took is freed.
 * - rolled-back: the joint rollback brought every changed service back (each
 *   service's own record says ROLLED_BACK); the release names the cause.
 * - succeeded: every service completed (each record says SUCCEEDED).
 */

import * as z from 'zod';
import { CaughtErrorSchema, type TerminalStatus } from '../shared/contract.ts';
import { OUTCOME_ERRORS } from '../shared/errors.ts';
import { classifyInput } from '../shared/execution-input.ts';
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
import { announceRelease, describeCause, describeServices, releaseCause } from '../shared/release-outcome.ts';
import { finishDeployment } from '../shared/telemetry/finish.ts';

/** The release's state as the verdict's Task passes it; its id is the release id, or before plan release ran, the execution's name. */
const ReleaseEndSchema = z
  .object({
    releaseId: z.string().optional(),
    deploymentId: z.string().optional(),
    executionArn: z.string(),
    startedAt: z.string().optional(),
    request: z.unknown().optional(),
    error: CaughtErrorSchema.optional(),
    cause: z.object({ error: z.string(), message: z.string() }).passthrough().optional(),
  })
  .passthrough()
  .transform((state, ctx) => {
    const releaseId = state.releaseId ?? state.deploymentId;
    if (releaseId === undefined) {
      ctx.issues.push({ code: 'custom', message: 'finish release needs the release id', input: state });
      return z.NEVER;
    }
    return { ...state, releaseId };
  });
type ReleaseEnd = z.infer<typeof ReleaseEndSchema>;

export const FinishReleaseInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rejected'), state: ReleaseEndSchema }),
  z.object({ kind: z.literal('rolled-back'), state: ReleaseEndSchema }),
  z.object({ kind: z.literal('succeeded'), state: ReleaseEndSchema }),
]);

export interface ReleaseOutcome {
  readonly releaseId: string;
  readonly outcome: { status: TerminalStatus; error: string; cause: string };
}

/** The verdict one job reached: what it wrote (undefined when the release had one already). */
interface Verdict {
  readonly status: Exclude<ReleaseRecord['status'], 'IN_PROGRESS'>;
  readonly error: string;
  readonly reason: string;
  readonly written: (ReleaseRecord & { endedAt: string }) | undefined;
}

export const handler = definePhase(
  'finishRelease',
  FinishReleaseInputSchema,
  async (input): Promise<ReleaseOutcome> => {
    const { state } = input;
    if (input.kind === 'rejected') return rejected(state);
    const record = await recordOf(state);
    return settle(state.releaseId, record, input.kind === 'rolled-back' ? await rolledBack(record, state) : await succeeded(record));
  },
  {
    track: false,
    identify: (input) => {
      const parsed = FinishReleaseInputSchema.safeParse(input);
      if (!parsed.success) return undefined;
      const { state } = parsed.data;
      return { deploymentId: state.releaseId, executionArn: state.executionArn, service: undefined };
    },
  },
);

/** The release record plan release wrote, or for a release refused before it, one that says so. */
async function recordOf(state: ReleaseEnd, found?: ReleaseRecord): Promise<ReleaseRecord> {
  return (
    found ??
    (await getReleaseRecord(state.releaseId)) ??
    unplannedReleaseRecord(state.releaseId, state.executionArn, state.startedAt ?? new Date().toISOString(), state.request)
  );
}

/** Refused before any change: every service record still open says why, and every lock the release took is free again. */
async function rejected(state: ReleaseEnd): Promise<ReleaseOutcome> {
  const { releaseId } = state;
  const caught = releaseCause(state.error ?? { Error: 'Unknown', Cause: 'no error recorded' });
  // A dry run writes nothing, not even its refusal: the execution's error and cause say it.
  const asked = classifyInput(state.request);
  if (asked.kind === 'release' && asked.dryRun) {
    return {
      releaseId,
      outcome: { status: 'REJECTED', error: caught.error, cause: `release ${asked.release} dry run refused: ${describeCause(caught)}` },
    };
  }
  const found = await getReleaseRecord(releaseId);
  if (found && !ownedBy(found, { executionArn: state.executionArn, startedAt: state.startedAt ?? '' })) {
    // The name of another execution's release (Step Functions reuses names after 90 days): its record, its
    // services and their locks are that release's, and stay as they are.
    return { releaseId, outcome: { status: 'REJECTED', error: caught.error, cause: caught.message } };
  }
  const record = await recordOf(state, found);
  // A service that failed validation recorded its own cause; otherwise the Catch says what refused the release.
  const recorded = record.cause ?? caught;
  await closeRejected(record, recorded);
  const reason = `release ${record.release} rejected before any change: ${describeCause(recorded)}`;
  const written = await finishReleaseRecord(record, { status: 'REJECTED', outcomeReason: reason, cause: recorded });
  return settle(releaseId, record, { status: 'REJECTED', error: recorded.error, reason, written });
}

/** After the joint rollback: ROLLED_BACK, ROLLBACK_FAILED naming the services still failed, or REJECTED if none had changed. */
async function rolledBack(record: ReleaseRecord, state: ReleaseEnd): Promise<Verdict> {
  const cause = record.cause ?? (state.cause as ReleaseCause | undefined);
  const rolledBack = record.rollingBack ?? [];
  const failed = await stillFailed(record, rolledBack);
  // Stopped before any service changed (a recovery of a release stopped early): nothing was rolled back.
  const status = failed.length > 0 ? 'ROLLBACK_FAILED' : rolledBack.length > 0 ? 'ROLLED_BACK' : 'REJECTED';
  const reason = `release ${record.release} ${status === 'REJECTED' ? 'stopped' : 'rolled back'}${cause ? ` because ${describeCause(cause)}` : ''}; ${
    rolledBack.length > 0 ? `rolled back ${rolledBack.join(' -> ')}` : 'no service had changed'
  }${record.untouched?.length ? `; untouched: ${record.untouched.join(', ')}` : ''}${
    failed.length > 0 ? `; ROLLBACK FAILED for ${failed.join(', ')}: check their listener weights` : ''
  }`;
  const written = await finishReleaseRecord(record, { status, outcomeReason: reason, rolledBack });
  return { status, error: cause?.error ?? OUTCOME_ERRORS.releaseFailed, reason, written };
}

/** Every service completed. */
async function succeeded(record: ReleaseRecord): Promise<Verdict> {
  const reason = `release ${record.release} live: ${describeServices(record)}`;
  const written = await finishReleaseRecord(record, { status: 'SUCCEEDED', outcomeReason: reason });
  return { status: 'SUCCEEDED', error: OUTCOME_ERRORS.none, reason, written };
}

/** The verdict announced once it is written; a release that had its verdict already (a retry, a redrive, a recovery) keeps it. */
async function settle(releaseId: string, record: ReleaseRecord, verdict: Verdict): Promise<ReleaseOutcome> {
  let { status, error, reason } = verdict;
  if (verdict.written) await announceRelease(verdict.written);
  else {
    const current = await getReleaseRecord(releaseId);
    if (current && current.status !== 'IN_PROGRESS') {
      status = current.status;
      reason = current.outcomeReason ?? reason;
      error = status === 'SUCCEEDED' ? OUTCOME_ERRORS.none : (current.cause?.error ?? OUTCOME_ERRORS.releaseFailed);
    }
  }
  logger.info('release finished', { release: record.release, status });
  return { releaseId, outcome: { status, error, cause: reason } };
}
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
