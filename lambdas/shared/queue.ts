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
 *
 * Initialize's half is here, the backstop's (starting the entry) in
 * queue-start.ts: initialize's bundle then loads no SNS or Secrets Manager
 * client, which only the backstop's announcement of a dropped image needs.
 */
import { ExecutionDoesNotExist, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { sfn } from './clients/sfn.ts';
import type { ServiceConfig } from './config-schema.ts';
import type { DeploymentRequest } from './contract.ts';
import { DuplicateTriggerError, QueuedError, SupersededError } from './errors.ts';
import { describeHolder, describeRef } from './lock/holder.ts';
import type { LockItem } from './lock/table.ts';
import { logger } from './logger.ts';
import { annotateRecord, getRecord } from './records/deployment.ts';
import { enqueue } from './records/queue-entry.ts';
import { conditionally } from './records/table.ts';

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
export function dequeuedExecutionName(queuedBy: string): string {
  const suffix = '-dequeued';
  return `${queuedBy.slice(0, 80 - suffix.length)}${suffix}`;
}
