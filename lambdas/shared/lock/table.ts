/**
 * The per-service lock item (LOCK#<service> / LOCK, records/keys.ts) and the
 * conditional writes that take, keep, hand over and release it. Who may take
 * a held lock over is takeover.ts; how a running function keeps it, lease.ts;
 * the item a deployment takes and how a holder is named, holder.ts.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { dynamo } from '../clients/dynamodb.ts';
import { plainText } from '../contract.ts';
import { lockKey, tableName } from '../records/keys.ts';
import { conditionally, readItem } from '../records/table.ts';

/**
 * What an EventBridge event said about a service while its lock is held: an
 * alarm entered ALARM, or a task of one of its colours stopped. The signal
 * function writes it; the gates of the holder read it (signals.ts).
 */
export const SignalSchema = z.object({
  kind: z.enum(['alarm', 'task']),
  /** The alarm's name, or the stopped task's ARN. */
  subject: z.string().min(1),
  /** The ECS service of the stopped task (a task signal only). */
  serviceName: z.string().optional(),
  /** When the event says it happened (ISO 8601). */
  at: z.string(),
  reason: z.string(),
});
export type Signal = z.infer<typeof SignalSchema>;

/**
 * An operator's `baton promote`, written on the lock of the deployment it is
 * for: the hold of the step it names ends at once (`full`: the plan goes
 * straight to 100 %; the gates and the bake still run).
 */
export const PromotionRequestSchema = z.object({
  /** The deployment the operator promoted: a promote for another one is ignored. */
  deploymentId: z.string(),
  /**
   * The step of the plan (1-based) the operator saw holding: it ends that
   * hold only, never a later one. A step, not a time: the operator's clock
   * is not the function's.
   */
  step: z.number().int().min(1),
  full: z.boolean(),
  /** The operator's caller ARN (STS GetCallerIdentity). */
  by: z.string(),
  at: z.string(),
  /** Plain text, as every operator's reason (contract.ts plainText). */
  reason: plainText(512).optional(),
});
export type PromotionRequest = z.infer<typeof PromotionRequestSchema>;

export const LockItemSchema = z.object({
  service: z.string(),
  deploymentId: z.string().min(1),
  executionArn: z.string().startsWith('arn:'),
  /** The image the holder deploys: digest if known, else tag:<tag> (rollback:<id> for a rollback). */
  imageRef: z.string(),
  acquiredAt: z.string(),
  /** Epoch seconds; renewed by every function. A lapsed lease on a running execution marks it as stuck. */
  leaseExpiresAt: z.number(),
  /** The release the holder belongs to, when it is one service of a multi-service release. */
  release: z.string().optional(),
  /** The last event that said a gate of the service failed (lambdas/shared/signals.ts). */
  signal: SignalSchema.optional(),
  /** The last `baton promote` of the holder (lambdas/shared/signals.ts holdSignals). */
  promotion: PromotionRequestSchema.optional(),
});
/** A lock as its holder writes it (the key aside). */
export type LockItem = z.infer<typeof LockItemSchema>;
/**
 * A lock as stored, with whatever else is on the item (renewedBy, reclaimedFrom).
 * Built once: a schema zod builds afresh compiles afresh at its first parse,
 * and a watch reads the lock every second.
 */
export const StoredLockItemSchema = LockItemSchema.loose();

/**
 * Seconds a lock's lease lasts without renewal. Every function renews it for
 * this long plus the Wait ahead of it, so a live execution's lease never
 * lapses; a lapsed lease on a running execution marks it as stuck.
 */
export const LEASE_SECONDS = 900;

/** Who holds a lock: the deployment, and the execution working for it (its own, or the recovery it was transferred to). */
export interface LockHolder {
  readonly deploymentId: string;
  readonly executionArn: string;
}

/** The service's lock as stored (with whatever else is on the item: renewedBy, reclaimedFrom); undefined when free. */
export async function readLock(service: string): Promise<LockItem | undefined> {
  return readItem(StoredLockItemSchema, `lock of ${service}`, lockKey(service));
}

type LockResult = { acquired: true } | { acquired: false; holder: LockItem | undefined };

export async function acquireLock(lock: LockItem): Promise<LockResult> {
  const written = await conditionally(() =>
    dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...lockKey(lock.service), ...lock },
        // A held lock changes hands only through reclaimLock, after its holder's execution was found ended.
        // The same deployment re-takes its lock only from the same execution (a retry, a redrive), never back
        // from the recovery execution it was transferred to.
        ConditionExpression: 'attribute_not_exists(pk) OR deploymentId = :me AND executionArn = :execution',
        ExpressionAttributeValues: { ':me': lock.deploymentId, ':execution': lock.executionArn },
      }),
    ),
  );
  return written ? { acquired: true } : { acquired: false, holder: await readLock(lock.service) };
}

/** Extends the lease if, and only if, this deployment's execution still holds the lock; returns whether it did. */
export async function renewLease(service: string, holder: LockHolder, seconds: number, phase: string): Promise<boolean> {
  return conditionally(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: lockKey(service),
        UpdateExpression: 'SET leaseExpiresAt = :until, renewedAt = :now, renewedBy = :phase',
        ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
        ExpressionAttributeValues: {
          ':until': Math.floor(Date.now() / 1000) + seconds,
          ':now': new Date().toISOString(),
          ':phase': phase,
          ':me': holder.deploymentId,
          ':execution': holder.executionArn,
        },
      }),
    ),
  );
}

/** Points the lock at the execution now working for its deployment (a recovery execution). */
export async function transferLock(service: string, deploymentId: string, executionArn: string): Promise<boolean> {
  return conditionally(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: lockKey(service),
        UpdateExpression: 'SET executionArn = :arn, leaseExpiresAt = :until',
        ConditionExpression: 'deploymentId = :me',
        ExpressionAttributeValues: {
          ':arn': executionArn,
          ':until': Math.floor(Date.now() / 1000) + LEASE_SECONDS,
          ':me': deploymentId,
        },
      }),
    ),
  );
}

/** Takes over a lock from a holder found dead; fails if the lock changed hands in the meantime. */
export async function reclaimLock(lock: LockItem, holder: LockItem): Promise<boolean> {
  return conditionally(() =>
    dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...lockKey(lock.service), ...lock, reclaimedFrom: holder.deploymentId },
        // Exactly the lock item that was inspected: a renewal or a transfer in between makes this fail.
        ConditionExpression: 'deploymentId = :holder AND executionArn = :holderExecution AND leaseExpiresAt = :holderLease',
        ExpressionAttributeValues: {
          ':holder': holder.deploymentId,
          ':holderExecution': holder.executionArn,
          ':holderLease': holder.leaseExpiresAt,
        },
      }),
    ),
  );
}

/** Releases the lock only if this deployment's execution holds it; returns whether it did. */
export async function releaseLock(service: string, holder: LockHolder): Promise<boolean> {
  return conditionally(() =>
    dynamo().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: lockKey(service),
        ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
        ExpressionAttributeValues: { ':me': holder.deploymentId, ':execution': holder.executionArn },
      }),
    ),
  );
}
