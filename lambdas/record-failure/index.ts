/**
 * record failure: the terminal record for an execution that did not reach a
 * deployment (REJECTED, DUPLICATE, SUPERSEDED, QUEUED) or whose rollback failed (ROLLBACK_FAILED).
 * Releases the lock of a rejected execution if, and only if, it holds it; a
 * failed rollback keeps it (the execution goes on retrying the rollback).
 * Also notes a failed service of a release in the release record. The input's
 * `kind` names the job; each job has its function.
 */

import * as z from 'zod';
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import { type ServiceConfig, ServiceConfigSchema } from '../shared/config-schema.ts';
import { CaughtErrorSchema, DeploymentRequestFields, type TerminalStatus } from '../shared/contract.ts';
import { rejectionStatus } from '../shared/error-classification.ts';
import { OUTCOME_ERRORS } from '../shared/errors.ts';
import { releaseLock } from '../shared/lock/table.ts';
import { logger } from '../shared/logger.ts';
import { describeCaught } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import type { DeploymentRecord } from '../shared/records/deployment.ts';
import { noteReleaseCause } from '../shared/records/release.ts';
import { productionToCheck } from '../shared/service-resources.ts';
import { needing } from '../shared/stages.ts';
import { finishDeployment } from '../shared/telemetry/finish.ts';
import { LinkSourcesSchema } from '../shared/telemetry/links.ts';
import { recordPhaseRun } from '../shared/telemetry/phase-runs.ts';
import { nowIso } from '../shared/time.ts';

/** What an execution that failed carries, as far as it got (passed through whole: after a failed rollback the state goes back to Roll back). */
const FailedStateSchema = z
  .object({
    deploymentId: z.string(),
    executionArn: z.string(),
    startedAt: z.string(),
    request: z.unknown(),
    service: z.object({ name: z.string() }).passthrough().optional(),
    error: CaughtErrorSchema.optional(),
    rollbackError: CaughtErrorSchema.optional(),
    failedPhase: z.string().optional(),
    releaseId: z.string().optional(),
  })
  .passthrough();
type FailedState = z.infer<typeof FailedStateSchema>;

/** A service of a release, which failed in its Map iteration: its request is the one plan release built. */
const ServiceFailedStateSchema = needing(
  FailedStateSchema.extend({ request: z.object({ dryRun: z.boolean().optional() }).passthrough().optional() }),
  'releaseId',
  (state) => `deployment ${state.deploymentId} is not part of a release`,
);
type ServiceFailedState = z.infer<typeof ServiceFailedStateSchema>;

/** The three jobs: a rejected execution's record, a failed rollback's record, a failed service's note in its release record. */
export const RecordFailureInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rejected'), state: FailedStateSchema }),
  z.object({ kind: z.literal('rollback-failed'), state: FailedStateSchema }),
  z.object({ kind: z.literal('release-service-failed'), state: ServiceFailedStateSchema }),
]);

/** The request fields a record keeps. */
const RECORDED_FIELDS = [
  'service',
  'imageTag',
  'pushedTag',
  'imageDigest',
  'dryRun',
  'trigger',
  'requestedBy',
  'reason',
  'queuedFrom',
] as const;

/** The most of an error message a record, its event and its notification carry. */
export const MAX_RECORDED_CAUSE = 2000;

/**
 * The fields of a rejected request as the record keeps them: each only when it
 * passes the request's own check (a rejected input may be the oversized or
 * forged value itself); otherwise a note of what was left out, never the value.
 */
export function recordedRequest(raw: unknown): {
  service?: string;
  imageTag?: string;
  imageDigest?: string;
  dryRun?: boolean;
  trigger?: string;
  requestedBy?: string;
  reason?: string;
  queuedFrom?: string;
  omitted: string[];
} {
  const asked: Partial<Record<(typeof RECORDED_FIELDS)[number], unknown>> =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {};
  const fields = DeploymentRequestFields.shape;
  const omitted: string[] = [];
  const keep = <T>(field: (typeof RECORDED_FIELDS)[number], schema: z.ZodType<T>): T | undefined => {
    const value = asked[field];
    if (value === undefined) return undefined;
    const checked = schema.safeParse(value);
    if (checked.success) return checked.data;
    omitted.push(
      `${field} (${typeof value === 'string' ? `${value.length} characters` : typeof value}, not recorded: it fails the request's checks)`,
    );
    return undefined;
  };
  return {
    service: keep('service', fields.service),
    // An ECR push asks for its digest and names the tag it carried: the record, and so the outcome, names that tag (as recordBase does).
    imageTag: keep('imageTag', fields.imageTag.unwrap()) ?? keep('pushedTag', fields.pushedTag.unwrap()),
    imageDigest: keep('imageDigest', fields.imageDigest.unwrap()),
    dryRun: keep('dryRun', z.boolean()),
    trigger: keep('trigger', fields.trigger.unwrap()),
    requestedBy: keep('requestedBy', fields.requestedBy.unwrap()),
    reason: keep('reason', fields.reason.unwrap()),
    queuedFrom: keep('queuedFrom', fields.queuedFrom.unwrap()),
    omitted,
  };
}

/** `text` cut to `max` characters, saying how many were left out. */
export function bounded(text: string, max = MAX_RECORDED_CAUSE): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters not recorded)`;
}

type Outcome = { status: TerminalStatus; error: string; cause: string };
type RecordFailureOutput<State> = State & { outcome?: Outcome };

export const handler = definePhase(
  'recordFailure',
  RecordFailureInputSchema,
  async (input): Promise<RecordFailureOutput<FailedState | ServiceFailedState>> => {
    if (input.kind === 'release-service-failed') return recordServiceFailure(input.state);
    return input.kind === 'rejected' ? recordRejection(input.state) : recordRollbackFailure(input.state);
  },
);

/** The failed execution's service config, when its state carries a whole one. */
function serviceOf(state: FailedState): ServiceConfig | undefined {
  const parsed = ServiceConfigSchema.safeParse(state.service);
  return parsed.success ? parsed.data : undefined;
}

/** What the failed execution asked for, and the error that ended it, bounded for the record. */
function failureOf(state: FailedState) {
  const asked = recordedRequest(state.request);
  const serviceName = state.service?.name ?? asked.service ?? '(unknown)';
  const caught = describeCaught(state.error ?? { Error: 'Unknown', Cause: 'no error recorded' });
  return { asked, serviceName, original: { name: bounded(caught.name, 256), message: bounded(caught.message) } };
}

/** Refused before any change (or a redundant trigger): the terminal record, and the lock freed if this execution holds it. */
async function recordRejection(state: FailedState): Promise<RecordFailureOutput<FailedState>> {
  const { asked, serviceName, original } = failureOf(state);
  const outcome: Outcome = { status: rejectionStatus(original.name), error: original.name, cause: original.message };
  if (!asked.dryRun) {
    await closeRecord(state, asked, serviceName, outcome, 'unknown phase');
    // Initialize fails before the record exists, so its run could not be tracked then: it is recorded here.
    if (state.failedPhase === S.initialize) {
      await recordPhaseRun(state.deploymentId, state, 'initialize', {
        startedAt: state.startedAt,
        endedAt: nowIso(),
        result: 'failed',
        error: `${original.name}: ${original.message}`,
      });
    }
    if (serviceName !== '(unknown)') await releaseLock(serviceName, { deploymentId: state.deploymentId, executionArn: state.executionArn });
  }
  return { ...state, outcome };
}

/** The rollback failed: ROLLBACK_FAILED once; the lock stays (production needs a human, and the execution keeps retrying the rollback). */
async function recordRollbackFailure(state: FailedState): Promise<RecordFailureOutput<FailedState>> {
  const { asked, serviceName, original } = failureOf(state);
  const rollbackError = describeCaught(state.rollbackError ?? { Error: 'Unknown', Cause: 'no error recorded' });
  const outcome: Outcome = {
    status: 'ROLLBACK_FAILED',
    error: OUTCOME_ERRORS.rollbackFailed,
    cause: `rollback after ${original.name} (${original.message}) failed: ${rollbackError.name}: ${rollbackError.message}. Production traffic needs a human: check ${productionToCheck(serviceOf(state) ?? serviceName)}.`,
  };
  logger.error('ROLLBACK_FAILED: production needs attention', { original: original.name, rollbackError: rollbackError.name });
  if (!asked.dryRun) await closeRecord(state, asked, serviceName, outcome, 'Roll back');
  return { ...state, outcome };
}

/** The execution's terminal record, from what it asked for; `failedIn` when the state that failed is not known. */
async function closeRecord(
  state: FailedState,
  asked: ReturnType<typeof recordedRequest>,
  serviceName: string,
  { status, error, cause }: Outcome,
  failedIn: string,
): Promise<void> {
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
    queuedFrom: asked.queuedFrom,
  };
  const evidence = [
    `failed in: ${state.failedPhase ?? failedIn}`,
    `signal: ${error}: ${cause}`,
    ...(asked.omitted.length > 0 ? [`input fields left out of this record: ${asked.omitted.join('; ')}`] : []),
  ];
  await finishDeployment(
    { ...base, ...(state.failedPhase ? { failedPhase: state.failedPhase } : {}) },
    { status, outcomeReason: `${error}: ${cause}`, evidence },
    // The state's service, as far as the failed execution got: its alarms and cluster, for the message's links.
    LinkSourcesSchema.safeParse(state.service).data,
  );
}

/**
 * A service of a release failed (its Map iteration is about to fail): the
 * release record notes the service, the state and the error, unless another
 * service got there first. The service's own record closes in the joint
 * rollback (or the rejection) that follows.
 */
async function recordServiceFailure(state: ServiceFailedState): Promise<ServiceFailedState> {
  const failed = describeCaught(state.error ?? { Error: 'Unknown', Cause: 'no error recorded' });
  // A release dry run has no release record: the iteration's error carries the cause, naming the service.
  if (state.request?.dryRun === true) {
    const where = `${state.service?.name ?? state.deploymentId} failed${state.failedPhase ? ` in ${state.failedPhase}` : ''}`;
    return { ...state, error: { Error: failed.name, Cause: `${where}: ${failed.message}` } };
  }
  await noteReleaseCause(state.releaseId, state, {
    ...(state.service ? { service: state.service.name } : {}),
    deploymentId: state.deploymentId,
    ...(state.failedPhase ? { failedPhase: state.failedPhase } : {}),
    error: failed.name,
    message: failed.message,
  });
  logger.warn('service of a release failed', { release: state.releaseId, failedPhase: state.failedPhase, error: failed.name });
  return state;
}
