/**
 * Ending a deployment: the terminal record, then (only for the call that
 * ended it) the outcome metrics, the EventBridge event and the notification.
 */

import { executionConsoleUrl } from '../names.ts';
import { type DeploymentRecord, finishRecord } from '../records/deployment.ts';
import { DEPLOYMENT_EVENT, type DeploymentEventDetail, publishEvent } from './events.ts';
import { type LinkSources, outcomeLinks } from './links.ts';
import { deploymentFinished } from './metrics.ts';
import { notifyOutcome } from './notify.ts';

/** `sources`: what the deployment's state knows of the service, for the message's links (links.ts). */
export async function finishDeployment(
  base: DeploymentRecord,
  patch: Parameters<typeof finishRecord>[1],
  sources?: LinkSources,
): Promise<void> {
  const record = await finishRecord(base, patch);
  if (!record) return;
  await announce(record, sources);
}

/** The metrics, event and notification of an ended record (also sent again, at least once, by a rollback that finds it SUCCEEDED). */
export async function announce(record: DeploymentRecord & { endedAt: string }, sources?: LinkSources): Promise<void> {
  if (record.status === 'IN_PROGRESS') return;
  const { endedAt } = record;
  const durationSeconds = Math.max(0, Math.round((Date.parse(endedAt) - Date.parse(record.startedAt)) / 1000));
  const image = record.imageTag ?? record.imageDigest;
  const region = record.executionArn.split(':')[3] ?? '';
  const reason = record.outcomeReason ?? '';
  const evidence = [...(record.evidence ?? [])];
  const links = outcomeLinks([reason, ...evidence], region, sources);
  const detail: DeploymentEventDetail = {
    deploymentId: record.deploymentId,
    service: record.service,
    executionArn: record.executionArn,
    status: record.status,
    ...(image ? { image } : {}),
    startedAt: record.startedAt,
    endedAt,
    durationSeconds,
    reason,
    evidence,
    consoleUrl: executionConsoleUrl(record.executionArn, region),
    trigger: record.trigger,
    ...(record.requestedBy ? { requestedBy: record.requestedBy } : {}),
    ...(record.reason ? { requestReason: record.reason } : {}),
    ...(links.length > 0 ? { links } : {}),
    ...(record.approvedBy ? { approvedBy: record.approvedBy } : {}),
  };
  deploymentFinished(record.service, record.deploymentId, record.status, durationSeconds);
  await Promise.all([publishEvent(DEPLOYMENT_EVENT, detail), notifyOutcome(detail)]);
}
