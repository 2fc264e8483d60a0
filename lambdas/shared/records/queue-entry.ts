/**
 * The queue entry: per service (QUEUE#<service> / QUEUE, keys.ts), the
 * newest image that arrived while another deployment held the lock. When it
 * is written and started: lambdas/shared/queue.ts.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { dynamo } from '../clients/dynamodb.ts';
import { DeploymentRequestSchema } from '../contract.ts';
import { QUEUE_SK, queueKey, tableName } from './keys.ts';
import { conditionally, readItem } from './table.ts';

const QueueEntrySchema = z.object({
  pk: z.string(),
  sk: z.literal(QUEUE_SK),
  service: z.string(),
  /** The execution (deployment id) that queued the image; it ended QUEUED. */
  deploymentId: z.string(),
  executionArn: z.string(),
  /** What to start: the queuing execution's request. */
  request: DeploymentRequestSchema,
  /** The service's ECR repository, where the push times are read. */
  repositoryName: z.string(),
  /** The image, as a lock names it (digest, or tag:<tag>). */
  imageRef: z.string(),
  /** ECR push time, epoch ms: the latest push wins the entry. */
  pushedAtMs: z.number().int(),
  queuedAt: z.string(),
  /** The deployment that held the lock when the image was queued. */
  behind: z.string(),
});
export type QueueEntry = z.infer<typeof QueueEntrySchema>;

/** Writes the entry unless a newer image is queued; returns that newer entry when it is. */
export async function enqueue(entry: Omit<QueueEntry, 'pk' | 'sk'>): Promise<{ queued: true } | { queued: false; newer: QueueEntry }> {
  const item: QueueEntry = { ...queueKey(entry.service), ...entry };
  const written = await conditionally(() =>
    dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: item,
        // The latest push wins: an image pushed before (or with) the queued one never replaces it.
        ConditionExpression: 'attribute_not_exists(pk) OR pushedAtMs < :pushed',
        ExpressionAttributeValues: { ':pushed': entry.pushedAtMs },
      }),
    ),
  );
  if (written) return { queued: true };
  const newer = await readQueued(entry.service);
  // Consumed between the write and the read: the queue is empty now, try once more.
  if (!newer) return enqueue(entry);
  return { queued: false, newer };
}

export async function readQueued(service: string): Promise<QueueEntry | undefined> {
  return readItem(QueueEntrySchema, `queue entry of ${service}`, queueKey(service));
}

/** Deletes exactly this entry (a newer one written meanwhile stays); returns whether it did. */
export async function consumeQueued(entry: QueueEntry): Promise<boolean> {
  return conditionally(() =>
    dynamo().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: queueKey(entry.service),
        ConditionExpression: 'deploymentId = :queuedBy',
        ExpressionAttributeValues: { ':queuedBy': entry.deploymentId },
      }),
    ),
  );
}
