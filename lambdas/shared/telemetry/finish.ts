/**
 * Ending a deployment: the terminal record, then (only for the call that
 * ended it) the outcome metrics, the EventBridge event and the notification.
 */

import { executionConsoleUrl } from '../names.ts';
import { type DeploymentRecord, finishRecord } from '../records/deployment.ts';
import { DEPLOYMENT_EVENT, type DeploymentEventDetail, publishEvent } from './events.ts';
import { deploymentFinished } from './metrics.ts';
import { notifyOutcome } from './notify.ts';

export async function finishDeployment(...args: Parameters<typeof finishRecord>): Promise<void> {
  const record = await finishRecord(...args);
  if (!record) return;
  await announce(record);
}

/** The metrics, event and notification of an ended record (also sent again, at least once, by a rollback that finds it SUCCEEDED). */
export async function announce(record: DeploymentRecord & { endedAt: string }): Promise<void> {
  if (record.status === 'IN_PROGRESS') return;
  const { endedAt } = record;
  const durationSeconds = Math.max(0, Math.round((Date.parse(endedAt) - Date.parse(record.startedAt)) / 1000));
  const image = record.imageTag ?? record.imageDigest;
  const detail: DeploymentEventDetail = {
    deploymentId: record.deploymentId,
    service: record.service,
    executionArn: record.executionArn,
    status: record.status,
    ...(image ? { image } : {}),
    startedAt: record.startedAt,
    endedAt,
    durationSeconds,
    reason: record.outcomeReason ?? '',
    evidence: [...(record.evidence ?? [])],
    consoleUrl: executionConsoleUrl(record.executionArn, record.executionArn.split(':')[3] ?? ''),
    trigger: record.trigger,
    ...(record.requestedBy ? { requestedBy: record.requestedBy } : {}),
    ...(record.reason ? { requestReason: record.reason } : {}),
    ...(record.approvedBy ? { approvedBy: record.approvedBy } : {}),
  };
  deploymentFinished(record.service, record.deploymentId, record.status, durationSeconds);
  await Promise.all([publishEvent(DEPLOYMENT_EVENT, detail), notifyOutcome(detail)]);
}
