/**
 * The per-service queue of the newest image that arrived while another
 * deployment held the lock: one entry per service, the request to start next
 * (records/queue-entry.ts).
 *
 * Initialize writes the entry when an ECR push (or a `baton deploy`) of an
 * image newer than the lock holder's finds the lock held; that execution then
 * ends QUEUED, its record naming the deployment it waits for. The write is
 * conditional on push time, so the latest image wins and an older one never
 * replaces a newer entry (that trigger ends SUPERSEDED instead).
 *
 * The backstop, on every status-change event of the state machine's
 * executions (SUCCEEDED included), starts the entry once the lock is free: a
 * fresh execution named after the queuing one (`<id>-dequeued`, so a
 * redelivered event or two drains at once start it only once), whose input
 * says where it came from (`queuedFrom`), then deletes exactly that entry
 * (conditional delete). While the lock is held (a deployment running, a
 * recovery under way, or ROLLBACK_FAILED waiting for an operator) the entry
 * waits. An entry whose image is older than the one that just went live ends
 * there with a SUPERSEDED record and starts nothing.
 *
 * With `onNewerImage: "supersede"`, initialize also stops the holder's
 * execution (after noting `supersededBy` on its record); the backstop's
 * recovery rolls it back to the colour that was live and verified, and the
 * queued image starts when that recovery ends.
 */
import { ExecutionAlreadyExists, ExecutionDoesNotExist, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { type ImageRef, imageRefOf, olderThan } from './aws/images.ts';
import { sfn } from './clients/sfn.ts';
import type { ServiceConfig } from './config-schema.ts';
import type { DeploymentRequest } from './contract.ts';
import { DuplicateTriggerError, QueuedError, SupersededError } from './errors.ts';
import { describeHolder, describeRef } from './lock/holder.ts';
import { type LockItem, readLock } from './lock/table.ts';
import { logger } from './logger.ts';
import { annotateRecord, type DeploymentRecord, getRecord } from './records/deployment.ts';
import { consumeQueued, enqueue, type QueueEntry, readQueued } from './records/queue-entry.ts';
import { conditionally } from './records/table.ts';
import { finishDeployment } from './telemetry/finish.ts';

/** Who may queue: an ECR push or `baton deploy`. A console start is refused while the lock is held, naming the holder. */
export const QUEUEING_TRIGGERS: ReadonlySet<DeploymentRequest['trigger']> = new Set(['ecr', 'cli']);

/**
 * Initialize found the lock held by a deployment of an older image: queues
 * this image (and, with onNewerImage "supersede", stops the holder so the
 * backstop rolls it back), then ends the execution QUEUED with a reason that
 * names the holder and the execution that will deploy the image. Throws
 * always: the execution ends in record failure either way.
 */
export async function queueBehind(
  service: ServiceConfig,
  lock: LockItem,
  holder: LockItem,
  request: DeploymentRequest,
  pushed: Date,
): Promise<never> {
  const image = `${describeRef(lock.imageRef)} (pushed ${pushed.toISOString()})`;
  const result = await enqueue({
    service: service.name,
    deploymentId: lock.deploymentId,
    executionArn: lock.executionArn,
    request,
    repositoryName: service.ecr.repositoryName,
    imageRef: lock.imageRef,
    pushedAtMs: pushed.getTime(),
    queuedAt: new Date().toISOString(),
    behind: holder.deploymentId,
  });
  // A retry of this very execution finds its own entry: it is queued.
  if (!result.queued && result.newer.deploymentId !== lock.deploymentId) {
    const { newer } = result;
    const queued = `${describeRef(newer.imageRef)} (pushed ${new Date(newer.pushedAtMs).toISOString()}), queued by ${newer.deploymentId}`;
    if (newer.imageRef === lock.imageRef || newer.pushedAtMs === pushed.getTime()) {
      throw new DuplicateTriggerError(`${image} is already queued: ${queued}; this trigger changes nothing`);
    }
    throw new SupersededError(`${image} is older than ${queued} behind deployment ${newer.behind}; the latest queued image deploys next`);
  }
  const next = `execution ${dequeuedExecutionName(lock.deploymentId)}`;
  if (service.onNewerImage === 'supersede' && (await supersede(holder, `${describeRef(lock.imageRef)} (${lock.executionArn})`))) {
    throw new QueuedError(
      `${image} supersedes ${describeHolder(holder)}: that execution is stopped and rolled back, then this image deploys (${next})`,
    );
  }
  throw new QueuedError(
    `${image} is queued behind ${describeHolder(holder)}; it deploys when that deployment ends, unless a newer image is queued meanwhile (${next})`,
  );
}

/**
 * Stops the holder's own execution after noting on its record who superseded
 * it; the backstop's recovery then rolls it back. A holder already under
 * recovery (its lock names a recovery execution), or whose record is no
 * longer IN_PROGRESS (ROLLBACK_FAILED: its execution keeps retrying the
 * rollback), is left to finish: the image only waits.
 */
async function supersede(holder: LockItem, by: string): Promise<boolean> {
  if (!holder.executionArn.endsWith(`:${holder.deploymentId}`)) return false;
  const record = await getRecord(holder.deploymentId);
  if (record?.status !== 'IN_PROGRESS') return false;
  await conditionally(() => annotateRecord(holder.deploymentId, record, { supersededBy: by }));
  try {
    await sfn().send(new StopExecutionCommand({ executionArn: holder.executionArn }));
  } catch (caught) {
    if (!(caught instanceof ExecutionDoesNotExist)) throw caught;
  }
  logger.warn('running deployment superseded', { superseded: holder.deploymentId, by });
  return true;
}

/** The execution a queue entry starts: named after the queuing one, within Step Functions' 80 characters. */
function dequeuedExecutionName(queuedBy: string): string {
  const suffix = '-dequeued';
  return `${queuedBy.slice(0, 80 - suffix.length)}${suffix}`;
}

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
