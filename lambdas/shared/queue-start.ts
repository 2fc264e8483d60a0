/**
 * The backstop's half of the image queue (queue.ts): starting the queued
 * image of a service once its lock is free, or dropping it when the image
 * that just went live is newer.
 */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type ImageRef, imageRefOf, olderThan } from './aws/images.ts';
import { sfn } from './clients/sfn.ts';
import { describeRef } from './lock/holder.ts';
import { readLock } from './lock/table.ts';
import { logger } from './logger.ts';
import { dequeuedExecutionName } from './queue.ts';
import type { DeploymentRecord } from './records/deployment.ts';
import { consumeQueued, type QueueEntry, readQueued } from './records/queue-entry.ts';
import { finishDeployment } from './telemetry/finish.ts';

export type DrainResult =
  | { readonly action: 'empty' }
  | { readonly action: 'waiting'; readonly holder: string }
  | { readonly action: 'started'; readonly execution: string; readonly queuedFrom: string }
  | { readonly action: 'dropped'; readonly queuedFrom: string; readonly reason: string };

/** The image a finished deployment put live, as ECR names it (the digest of its new revision). */
function wentLive(record: DeploymentRecord | undefined): ImageRef | undefined {
  if (record?.status !== 'SUCCEEDED') return undefined;
  const digest = record.newRelease?.image.split('@')[1] ?? record.imageDigest;
  return digest ? { imageDigest: digest } : undefined;
}

/**
 * Starts the service's queued image if the lock is free. `endedRecord` reads
 * the record of the deployment whose execution just ended (it says what went
 * live); the sweep, which saw no end, reads the one the entry waited behind.
 */
export async function startQueued(
  service: string,
  stateMachineArn: string,
  endedRecord: (entry: QueueEntry) => Promise<DeploymentRecord | undefined>,
): Promise<DrainResult> {
  const entry = await readQueued(service);
  if (!entry) return { action: 'empty' };
  const holder = await readLock(service);
  if (holder) return { action: 'waiting', holder: holder.deploymentId };

  const ended = await endedRecord(entry);
  const live = wentLive(ended);
  const queued = imageRefOf(entry.imageRef);
  const older = live && queued ? await olderThan(entry.repositoryName, queued, live) : undefined;
  if (older && queued) {
    const reason = `SupersededError: ${describeRef(entry.imageRef)} (pushed ${older.candidate.toISOString()}), queued by ${entry.deploymentId}, is older than the image deployment ${ended?.deploymentId} just put live (pushed ${older.reference.toISOString()}); it does not start`;
    if (await consumeQueued(entry)) {
      await finishDeployment(
        {
          deploymentId: dequeuedExecutionName(entry.deploymentId),
          service,
          status: 'IN_PROGRESS',
          executionArn: entry.executionArn,
          startedAt: new Date().toISOString(),
          trigger: entry.request.trigger,
          queuedFrom: entry.deploymentId,
          // A queued ECR push is named by the tag it carried, as every outcome of a push is.
          ...('imageDigest' in queued
            ? { imageDigest: queued.imageDigest, imageTag: entry.request.pushedTag }
            : { imageTag: queued.imageTag }),
        },
        { status: 'SUPERSEDED', outcomeReason: reason },
      );
    }
    return { action: 'dropped', queuedFrom: entry.deploymentId, reason };
  }

  const name = dequeuedExecutionName(entry.deploymentId);
  try {
    await sfn().send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ ...entry.request, queuedFrom: entry.deploymentId }) }),
    );
  } catch (caught) {
    // A redelivered event, or two drains at once: the entry's execution exists already.
    if (!(caught instanceof ExecutionAlreadyExists)) throw caught;
  }
  // Started first, deleted second: a failure in between leaves the entry, and its next drain finds the execution started.
  await consumeQueued(entry);
  logger.info('queued image started', { queuedFrom: entry.deploymentId, execution: name, image: entry.imageRef });
  return { action: 'started', execution: name, queuedFrom: entry.deploymentId };
}
