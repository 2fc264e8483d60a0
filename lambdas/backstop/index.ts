/**
 * backstop: invoked by EventBridge when an execution of the pipeline ends,
 * and every `backstopSweepMinutes` by a schedule whose sweep finds what a lost
 * status-change event left open (sweep.ts).
 * When it ends ABORTED, TIMED_OUT or FAILED, a Catch cannot run in those cases
 * (or for States.Runtime), so a deployment can be left without a terminal
 * record and with traffic anywhere. If its record is not terminal, this starts
 * a recovery execution that rolls it back (docs/architecture.md I3). Whatever the status
 * (SUCCEEDED included), it then starts the image waiting in the service's
 * queue if the lock is free (lambdas/shared/queue.ts).
 */

import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { sfn } from '../shared/clients/sfn.ts';
import { rejectionStatus } from '../shared/error-classification.ts';
import { OUTCOME_ERRORS } from '../shared/errors.ts';
import { ENDED_STATUSES, type ExecutionEnd, executionEnd, executionStatus } from '../shared/execution-end.ts';
import { classifyInput } from '../shared/execution-input.ts';
import { logger } from '../shared/logger.ts';
import { stateMachineArn } from '../shared/names.ts';
import { describeCaught } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import { type DrainResult, startQueued } from '../shared/queue-start.ts';
import { getRecord, TERMINAL_STATUSES } from '../shared/records/deployment.ts';
import { finishReleaseRecord, getReleaseRecord, unplannedReleaseRecord } from '../shared/records/release.ts';
import { announceRelease } from '../shared/release-outcome.ts';
import { pipelineConfig } from '../shared/runtime-config.ts';
import { finishDeployment } from '../shared/telemetry/finish.ts';
import { failedWithoutOutcome } from '../shared/telemetry/metrics.ts';
import { ScheduledEventSchema, type SweepResult, sweep } from './sweep.ts';

/** Recovery executions tried for one deployment before it is declared ROLLBACK_FAILED. */
export const MAX_RECOVERY_ATTEMPTS = 3;

export const ExecutionStatusChangeSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.enum(['ABORTED', 'TIMED_OUT', 'FAILED', 'SUCCEEDED', 'RUNNING', 'PENDING_REDRIVE']),
    error: z.string().nullish(),
    cause: z.string().nullish(),
    /** The execution input as a JSON string (EventBridge includes it). */
    input: z.string().nullish(),
    startDate: z.number().nullish(),
  }),
});

/** Within Step Functions' 80-character limit whatever the deployment id's length; the input names the deployment. */
export function recoveryExecutionName(deploymentId: string, attempt: number): string {
  const suffix = `-recovery-${attempt}`;
  return `${deploymentId.slice(0, 80 - suffix.length)}${suffix}`;
}

interface DescribedInput {
  readonly service: string;
  readonly dryRun: boolean;
  readonly recover: string | undefined;
  /** A release (its input names one) or a release recovery (names the release it recovers). */
  readonly release: boolean;
  readonly recoverRelease: string | undefined;
  /** A release's dry run, which writes nothing. */
  readonly releaseDryRun: boolean;
  readonly parsed: unknown;
}

/** The service, dry-run flag and recovered deployment or release of an execution input, as far as they can be read. */
function describeInput(input: string | null | undefined): DescribedInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(input ?? 'null');
  } catch {
    // Not JSON: nothing to read from it.
  }
  const asked = classifyInput(parsed);
  // A recovery that names nothing is refused, with its own record, like a deployment.
  const recoverRelease = asked.kind === 'release-recovery' ? asked.recovers : undefined;
  return {
    // Only a name that passes the request's check: an oversized one would make the record too large to write.
    service: asked.service ?? '(unknown)',
    dryRun: asked.dryRun,
    recover: asked.kind === 'recovery' ? asked.recovers : undefined,
    release: asked.kind === 'release',
    recoverRelease,
    releaseDryRun: asked.kind === 'release' && asked.dryRun,
    parsed,
  };
}

const ERROR_BY_STATUS: Record<string, string> = { ABORTED: 'ExecutionAborted', TIMED_OUT: 'ExecutionTimedOut', FAILED: 'ExecutionFailed' };

export type BackstopResult = (
  | { action: 'none'; reason: string }
  | { action: 'recorded'; status: 'REJECTED' }
  | { action: 'recovery-started'; execution: string }
  | { action: 'gave-up'; attempts: number }
) & { queue?: DrainResult };

type StatusChange = z.infer<typeof ExecutionStatusChangeSchema>['detail'];
type RecordReader = () => ReturnType<typeof getRecord>;

/** What the backstop is invoked with: an execution's end (the status-change rule), or the periodic sweep (the schedule). */
const BackstopEventSchema = z.union([ExecutionStatusChangeSchema, ScheduledEventSchema]);

export const handler = definePhase(
  'backstop',
  BackstopEventSchema,
  async (event): Promise<BackstopResult | SweepResult[]> => {
    if (event.source === 'aws.events') {
      const { pipeline, services } = pipelineConfig();
      // The state machine is the stack's own: its name from the config, its partition the rule's (resources[0]).
      const partition = event.resources[0]?.split(':')[1] ?? 'aws';
      return sweep(
        services.map((service) => service.name),
        stateMachineArn(pipeline, partition),
        executionEnded,
      );
    }
    return executionEnded(event.detail);
  },
  {
    track: false,
    // A sweep works for no one deployment: its lines name the scheduled event (and, per service, the lock holder).
    logKeys: (event) => (event.source === 'aws.events' ? { sweep: event.id } : undefined),
    // The deployment is the one the ended execution ran, or the one a recovery execution recovered; a sweep has none.
    identify: (input) => {
      const parsed = ExecutionStatusChangeSchema.safeParse(input);
      if (!parsed.success) return undefined;
      const { name, executionArn, input: executionInput } = parsed.data.detail;
      const described = describeInput(executionInput);
      return { deploymentId: described.recoverRelease ?? described.recover ?? name, executionArn, service: described.service };
    },
  },
);

/** An execution ended (its status-change event, or the sweep found it ended): close its record, then drain its service's queue. */
async function executionEnded(detail: StatusChange): Promise<BackstopResult> {
  // A recovery execution names the deployment it recovers in its input; its name carries the attempt.
  const asked = describeInput(detail.input);
  // The deployment's record, read once for both jobs.
  let read: ReturnType<typeof getRecord> | undefined;
  const record = () => {
    read ??= getRecord(asked.recover ?? detail.name);
    return read;
  };
  const result = await closeExecution(detail, asked, record);
  const queue = await drainQueue(detail, asked, record);
  return queue && queue.action !== 'empty' ? { ...result, queue } : result;
}

/**
 * A deployment's execution (or its recovery) ended: the service's queued
 * image starts if the lock is free. Dry runs and releases queue nothing.
 */
async function drainQueue(detail: StatusChange, asked: DescribedInput, record: RecordReader): Promise<DrainResult | undefined> {
  if (detail.status === 'RUNNING' || detail.status === 'PENDING_REDRIVE') return undefined;
  if (asked.dryRun || asked.release || asked.recoverRelease) return undefined;
  // A recovery's input names the deployment, not the service: its record does.
  const service = asked.service === '(unknown)' ? (await record())?.service : asked.service;
  if (!service) return undefined;
  return startQueued(service, detail.stateMachineArn, record);
}

/** The terminal record of an execution that ended without one: a recovery, or REJECTED when nothing changed. */
async function closeExecution(detail: StatusChange, asked: DescribedInput, readRecord: RecordReader): Promise<BackstopResult> {
  const error = ERROR_BY_STATUS[detail.status];
  if (!error) return { action: 'none', reason: `status ${detail.status} needs no backstop` };
  // The history says where it stopped and why (StopExecution's cause for "baton abort --reason"); read when needed.
  const end = once(() => executionEnd(detail.executionArn));
  if (asked.release || asked.recoverRelease) return backstopRelease(detail, asked, error, end);
  const deploymentId = asked.recover ?? detail.name;
  const attempt = asked.recover ? Number(/-recovery-(\d+)$/.exec(detail.name)?.[1] ?? MAX_RECOVERY_ATTEMPTS) : 0;
  const record = await readRecord();
  if (!record) {
    // Stopped before initialize wrote a record: nothing changed, but the execution still gets its terminal record.
    if (asked.dryRun || asked.recover) return { action: 'none', reason: `no deployment record ${deploymentId} (a dry run or a recovery)` };
    // Stopped while it recorded its rejection: the rejection is the reason, not the stop.
    const stopped = await end();
    const handled = stopped.handling ? describeCaught(stopped.handling) : undefined;
    await finishDeployment(
      {
        deploymentId,
        service: asked.service,
        status: 'IN_PROGRESS',
        executionArn: detail.executionArn,
        startedAt: new Date(detail.startDate ?? Date.now()).toISOString(),
        trigger: 'unknown',
      },
      handled
        ? {
            status: rejectionStatus(handled.name),
            outcomeReason: `${handled.name}: ${handled.message}`,
            evidence: [
              `stopped in: ${stopped.state}`,
              ...(stopped.failedPhase ? [`failed in: ${stopped.failedPhase}`] : []),
              `signal: ${handled.name}: ${handled.message}`,
            ],
          }
        : {
            status: 'REJECTED',
            outcomeReason: `${error}: ${detail.name} ended ${detail.status} before it took the lock; nothing changed`,
            ...(stopped.state ? { evidence: [`stopped in: ${stopped.state}`] } : {}),
          },
    );
    return { action: 'recorded', status: 'REJECTED' };
  }
  if (TERMINAL_STATUSES.has(record.status)) return { action: 'none', reason: `deployment ${deploymentId} already ended ${record.status}` };
  // A recovery input started by hand for a deployment that still runs changed nothing: it is no attempt.
  if (asked.recover) {
    const status = await executionStatus(record.executionArn);
    if (!ENDED_STATUSES.has(status)) return { action: 'none', reason: `deployment ${deploymentId} is still running (${status})` };
  }

  const why = describeEnd(detail, await end());
  if (attempt >= MAX_RECOVERY_ATTEMPTS) {
    await finishDeployment(record, {
      status: 'ROLLBACK_FAILED',
      outcomeReason: `RecoveryFailed: ${MAX_RECOVERY_ATTEMPTS} recovery executions did not finish the rollback; last: ${why}. Check the listener weights of ${record.service}.`,
    });
    // The lock stays, as after any failed rollback, until an operator resolves it ("baton unlock").
    logger.error('ROLLBACK_FAILED: recovery gave up; production needs attention', { recovering: deploymentId });
    return { action: 'gave-up', attempts: attempt };
  }
  // A deployment stopped by a newer image (onNewerImage "supersede") says so in its rollback record.
  if (record.supersededBy && detail.status === 'ABORTED' && !asked.recover) {
    return startRecovery(detail, recoveryExecutionName(deploymentId, attempt + 1), {
      recover: deploymentId,
      error: OUTCOME_ERRORS.superseded,
      cause: `superseded by ${record.supersededBy}; execution ${detail.name} was stopped and its deployment rolled back`,
    });
  }
  return startRecovery(detail, recoveryExecutionName(deploymentId, attempt + 1), { recover: deploymentId, error, cause: why });
}

/**
 * A release execution that ended without a verdict: a release recovery
 * execution runs the joint rollback (every service that changed, last wave
 * first). A release stopped before plan release wrote its record changed
 * nothing; it gets a REJECTED record.
 */
async function backstopRelease(
  detail: z.infer<typeof ExecutionStatusChangeSchema>['detail'],
  asked: DescribedInput,
  error: string,
  end: () => Promise<ExecutionEnd>,
): Promise<BackstopResult> {
  const releaseId = asked.recoverRelease ?? detail.name;
  const attempt = asked.recoverRelease ? Number(/-recovery-(\d+)$/.exec(detail.name)?.[1] ?? MAX_RECOVERY_ATTEMPTS) : 0;
  const record = await getReleaseRecord(releaseId);
  if (!record) {
    if (asked.recoverRelease) return { action: 'none', reason: `no release record ${releaseId}` };
    if (asked.releaseDryRun) return { action: 'none', reason: `release dry run ${releaseId} writes nothing` };
    const base = unplannedReleaseRecord(
      releaseId,
      detail.executionArn,
      new Date(detail.startDate ?? Date.now()).toISOString(),
      asked.parsed,
    );
    const written = await finishReleaseRecord(base, {
      status: 'REJECTED',
      outcomeReason: `${error}: ${detail.name} ended ${detail.status} before it planned the release; nothing changed`,
    });
    if (written) await announceRelease(written);
    return { action: 'recorded', status: 'REJECTED' };
  }
  if (record.status !== 'IN_PROGRESS') return { action: 'none', reason: `release ${releaseId} already ended ${record.status}` };
  if (asked.recoverRelease) {
    const status = await executionStatus(record.executionArn);
    if (!ENDED_STATUSES.has(status)) return { action: 'none', reason: `release ${releaseId} is still running (${status})` };
  }
  const why = describeEnd(detail, await end());
  if (attempt >= MAX_RECOVERY_ATTEMPTS) {
    const written = await finishReleaseRecord(record, {
      status: 'ROLLBACK_FAILED',
      outcomeReason: `RecoveryFailed: ${MAX_RECOVERY_ATTEMPTS} recovery executions did not finish the joint rollback; last: ${why}. Check the listener weights of ${Object.keys(record.services).join(', ')}.`,
    });
    if (written) await announceRelease(written);
    logger.error('ROLLBACK_FAILED: release recovery gave up; production needs attention', { recovering: releaseId });
    return { action: 'gave-up', attempts: attempt };
  }
  return startRecovery(detail, recoveryExecutionName(releaseId, attempt + 1), { recoverRelease: releaseId, error, cause: why });
}

/** A read done at most once, and only if something asks for it. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= read();
    return result;
  };
}

/** How the execution ended, with the error and cause its history gives (the event's if the history has none). */
function describeEnd(detail: z.infer<typeof ExecutionStatusChangeSchema>['detail'], end: ExecutionEnd): string {
  const error = end.error ?? detail.error;
  const cause = end.cause ?? detail.cause;
  return `execution ${detail.name} ended ${detail.status}${error ? ` (${error}${cause ? `: ${cause}` : ''})` : ''}`;
}

/** Starts the recovery execution; a redelivered event finds it started already, which is fine. */
async function startRecovery(
  detail: z.infer<typeof ExecutionStatusChangeSchema>['detail'],
  name: string,
  input: { recover: string; error: string; cause: string } | { recoverRelease: string; error: string; cause: string },
): Promise<BackstopResult> {
  try {
    await sfn().send(new StartExecutionCommand({ stateMachineArn: detail.stateMachineArn, name, input: JSON.stringify(input) }));
  } catch (caught) {
    if (!(caught instanceof ExecutionAlreadyExists)) throw caught;
  }
  const recovering = 'recover' in input ? input.recover : input.recoverRelease;
  // Stopped and timed-out executions have alarms of their own; a failure that left no outcome is a fault of Baton's.
  if (detail.status === 'FAILED') failedWithoutOutcome(recovering);
  logger.warn('recovery execution started', { recovering, execution: name, status: detail.status });
  return { action: 'recovery-started', execution: name };
}
