/**
 * The words of a release's verdict: what set off a rejection or a joint
 * rollback (from the Catch), what the untouched services' records say, and
 * the announcement of the verdict.
 */

import type { CaughtError } from './contract.ts';
import { OUTCOME_ERRORS } from './errors.ts';
import { executionConsoleUrl } from './names.ts';
import { describeCaught } from './outcome.ts';
import type { ReleaseCause, ReleaseRecord } from './records/release.ts';
import { formatOrder } from './release.ts';
import { publishEvent, RELEASE_EVENT } from './telemetry/events.ts';
import { releaseFinished } from './telemetry/metrics.ts';
import { notifyOutcome } from './telemetry/notify.ts';

/**
 * What stopped a release, from the Catch of a release-level state. A failed
 * service records its own cause (service, state, error) in the release
 * record first (record-failure), which then takes precedence.
 */
export function releaseCause(error: CaughtError): ReleaseCause {
  const described = describeCaught(error);
  return { error: described.name, message: described.message };
}

export function describeCause(cause: ReleaseCause): string {
  const where = cause.service ? `${cause.service}${cause.failedPhase ? ` failed in ${cause.failedPhase}` : ' failed'}: ` : '';
  return `${where}${cause.error}: ${cause.message}`;
}

export function untouchedReason(record: ReleaseRecord, cause: ReleaseCause): string {
  return `${OUTCOME_ERRORS.notStarted}: release ${record.release} stopped before this service started (${describeCause(cause)}); nothing was changed`;
}

/** The release's services and images, in deploy order: "api v1.1.0, worker v2.4.0, web v1.4.2". */
export function describeServices(record: ReleaseRecord): string {
  return record.waves
    .flat()
    .map((name) => {
      const entry = record.services[name];
      return `${name} ${entry?.imageTag ?? entry?.imageDigest ?? ''}`.trim();
    })
    .join(', ');
}

/** The EventBridge event, the metric and the notification of a release's verdict (once, by the call that wrote it). */
export async function announceRelease(record: ReleaseRecord & { endedAt: string }): Promise<void> {
  if (record.status === 'IN_PROGRESS') return;
  const durationSeconds = Math.max(0, Math.round((Date.parse(record.endedAt) - Date.parse(record.startedAt)) / 1000));
  const consoleUrl = executionConsoleUrl(record.executionArn, record.executionArn.split(':')[3] ?? '');
  const evidence = [
    `order: ${formatOrder(record.waves)}`,
    ...(record.cause ? [`cause: ${describeCause(record.cause)}`] : []),
    ...(record.rolledBack?.length ? [`rolled back: ${record.rolledBack.join(' -> ')}`] : []),
    ...(record.untouched?.length ? [`untouched: ${record.untouched.join(', ')}`] : []),
    ...Object.entries(record.services).map(([name, entry]) => `${name}: deployment ${entry.deploymentId}`),
  ];
  releaseFinished(record.releaseId, record.status, durationSeconds);
  await Promise.all([
    publishEvent(RELEASE_EVENT, {
      releaseId: record.releaseId,
      release: record.release,
      executionArn: record.executionArn,
      status: record.status,
      services: Object.fromEntries(Object.entries(record.services).map(([name, entry]) => [name, entry.deploymentId])),
      ...(record.cause ? { cause: record.cause } : {}),
      startedAt: record.startedAt,
      endedAt: record.endedAt,
      durationSeconds,
      reason: record.outcomeReason ?? '',
      consoleUrl,
    }),
    notifyOutcome({
      deploymentId: record.releaseId,
      service: `release ${record.release}`,
      executionArn: record.executionArn,
      status: record.status,
      ...(record.waves.length > 0 ? { image: describeServices(record) } : {}),
      startedAt: record.startedAt,
      endedAt: record.endedAt,
      durationSeconds,
      reason: record.outcomeReason ?? '',
      evidence,
      consoleUrl,
    }),
  ]);
}
