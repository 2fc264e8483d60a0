/**
 * The deployment table: one lock item per service and one record per
 * deployment, in a single DynamoDB table keyed by pk/sk.
 *
 *   LOCK#<service>      / LOCK    the per-service lock (lease, owner, image)
 *   DEPLOYMENT#<id>     / RECORD  the deployment record
 *
 * Records carry gsi1pk = SERVICE#<service>, gsi1sk = <startedAt>#<id> so the
 * history of a service reads newest first from the `byService` index.
 * Every write is conditional, so retries and redrives never double-apply.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as clients from './clients.ts';
import { type ConfigDiff, type SecretRef, type TerminalStatus, TerminalStatusSchema } from './contract.ts';
import { ContractViolationError, ExecutionNameReusedError } from './errors.ts';

export const LOCK_SK = 'LOCK';
/** The GSI that lists a service's records newest first. */
export const SERVICE_INDEX = 'byService';
export const RECORD_SK = 'RECORD';
export const lockKey = (service: string) => ({ pk: `LOCK#${service}`, sk: LOCK_SK });
export const recordKey = (deploymentId: string) => ({ pk: `DEPLOYMENT#${deploymentId}`, sk: RECORD_SK });

/** Records are kept for this long after they end (DynamoDB TTL on `expiresAt`). */
export const RECORD_RETENTION_DAYS = 400;

export function tableName(): string {
  const name = process.env.BATON_TABLE_NAME;
  if (!name) throw new ContractViolationError('BATON_TABLE_NAME is not set');
  return name;
}

export interface LockItem {
  readonly pk: string;
  readonly sk: string;
  readonly service: string;
  readonly deploymentId: string;
  readonly executionArn: string;
  /** The image the holder deploys: digest if known, else tag. */
  readonly imageRef: string;
  readonly acquiredAt: string;
  /** Epoch seconds; renewed by every phase. A lapsed lease on a running execution marks it as stuck. */
  readonly leaseExpiresAt: number;
  /** The release the holder belongs to, when it is one service of a multi-service release. */
  readonly release?: string;
}

export type LockResult = { acquired: true } | { acquired: false; holder: LockItem | undefined };

export async function acquireLock(lock: Omit<LockItem, 'pk' | 'sk'>): Promise<LockResult> {
  const item: LockItem = { ...lockKey(lock.service), ...lock };
  try {
    await clients.dynamo.send(
      new PutCommand({
        TableName: tableName(),
        Item: item,
        // A held lock changes hands only through reclaimLock, after its holder's execution was found ended.
        // The same deployment re-takes its lock only from the same execution (a retry, a redrive), never back
        // from the recovery execution it was transferred to.
        ConditionExpression: 'attribute_not_exists(pk) OR deploymentId = :me AND executionArn = :execution',
        ExpressionAttributeValues: { ':me': lock.deploymentId, ':execution': lock.executionArn },
      }),
    );
    return { acquired: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return { acquired: false, holder: await readLock(lock.service) };
  }
}

/** Sends a conditional write; false when its condition did not hold, so the caller can decide what that means. */
export async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Seconds a lock's lease lasts without renewal. Every phase renews it for
 * this long plus the Wait ahead of it, so a live execution's lease never
 * lapses; a lapsed lease on a running execution marks it as stuck.
 */
export const LEASE_SECONDS = 900;

/** Who holds a lock: the deployment, and the execution working for it (its own, or the recovery it was transferred to). */
export interface LockHolder {
  readonly deploymentId: string;
  readonly executionArn: string;
}

/** The execution that holds the lock for a deployment state: a recovery's (heldBy), else the state's own. */
export function lockHolderOf(state: { deploymentId: string; executionArn: string; heldBy?: string | undefined }): LockHolder {
  return { deploymentId: state.deploymentId, executionArn: state.heldBy ?? state.executionArn };
}

/** Extends the lease if, and only if, this deployment's execution still holds the lock; returns whether it did. */
export async function renewLease(service: string, holder: LockHolder, seconds: number, phase: string): Promise<boolean> {
  return conditionally(() =>
    clients.dynamo.send(
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
    clients.dynamo.send(
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
export async function reclaimLock(lock: Omit<LockItem, 'pk' | 'sk'>, holder: LockItem): Promise<boolean> {
  return conditionally(() =>
    clients.dynamo.send(
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

export async function readLock(service: string): Promise<LockItem | undefined> {
  const out = await clients.dynamo.send(new GetCommand({ TableName: tableName(), Key: lockKey(service), ConsistentRead: true }));
  return out.Item as LockItem | undefined;
}

/** Releases the lock only if this deployment's execution holds it; returns whether it did. */
export async function releaseLock(service: string, holder: LockHolder): Promise<boolean> {
  return conditionally(() =>
    clients.dynamo.send(
      new DeleteCommand({
        TableName: tableName(),
        Key: lockKey(service),
        ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
        ExpressionAttributeValues: { ':me': holder.deploymentId, ':execution': holder.executionArn },
      }),
    ),
  );
}

export type RecordStatus = 'IN_PROGRESS' | TerminalStatus;

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set<TerminalStatus>(TerminalStatusSchema.options);

export async function getRecord(deploymentId: string): Promise<(DeploymentRecord & Record<string, unknown>) | undefined> {
  const out = await clients.dynamo.send(new GetCommand({ TableName: tableName(), Key: recordKey(deploymentId), ConsistentRead: true }));
  return out.Item as (DeploymentRecord & Record<string, unknown>) | undefined;
}

/** One release: what a colour runs. */
export interface ReleaseRecord {
  /** Image URI by digest. */
  readonly image: string;
  readonly taskDefinitionArn?: string;
  readonly secrets: readonly SecretRef[];
}

export interface DeploymentRecord {
  readonly deploymentId: string;
  readonly service: string;
  readonly status: RecordStatus;
  readonly executionArn: string;
  readonly startedAt: string;
  readonly trigger: string;
  readonly requestedBy?: string;
  readonly reason?: string;
  readonly imageTag?: string;
  readonly imageDigest?: string;
  readonly strategy?: string;
  readonly liveColour?: string;
  readonly targetColour?: string;
  readonly previousTaskDefinitionArn?: string;
  readonly newTaskDefinitionArn?: string;
  readonly secretVersionId?: string;
  /** What the live colour ran when the deployment started, and what the deployment released. */
  readonly previousRelease?: ReleaseRecord;
  readonly newRelease?: ReleaseRecord;
  /** App-config keys added, removed or changed between the two releases (names only). */
  readonly configDiff?: ConfigDiff;
  /** The task token `baton approve` sends back; only while the deployment waits for approval. */
  readonly approvalToken?: string;
  readonly approvalRequestedAt?: string;
  readonly awaitingApproval?: boolean;
  /** For a rollback: the deployment whose release was redeployed. */
  readonly restores?: string;
  /** The release (its id) this deployment is part of, when it is one service of a multi-service release. */
  readonly release?: string;
  readonly endedAt?: string;
  /** The state that failed, for deployments that did not succeed. */
  readonly failedPhase?: string;
  /** Why it ended: the error name and message for failures. */
  readonly outcomeReason?: string;
  readonly evidence?: string[];
  readonly warnings?: string[];
  /** For an image that waited in the service's queue: the execution that queued it (lambdas/shared/queue.ts). */
  readonly queuedFrom?: string;
  /** Set on a running deployment a newer image supersedes (onNewerImage "supersede"): that image and its execution. */
  readonly supersededBy?: string;
  /** JSON of what a recovery execution needs to roll this deployment back (see outcome.ts resumePoint). */
  readonly resume?: string;
}

/**
 * The execution a record belongs to. Its ARN alone does not tell: Step
 * Functions gives a name back 90 days after its execution closed, and an
 * execution's ARN is its state machine's and its name. The start time does.
 */
export interface RecordOwner {
  readonly executionArn: string;
  readonly startedAt: string;
}

/** Whether `record` is the one `owner` wrote. */
export function ownedBy(record: RecordOwner, owner: RecordOwner): boolean {
  return record.executionArn === owner.executionArn && record.startedAt === owner.startedAt;
}

export async function createRecord(record: DeploymentRecord): Promise<void> {
  await createOwnRecord(
    recordKey(record.deploymentId),
    { gsi1pk: `SERVICE#${record.service}`, gsi1sk: `${record.startedAt}#${record.deploymentId}`, ...record },
    'deployment',
  );
}

/**
 * Puts a new record (a deployment's or a release's) owned by its execution
 * (`executionArn` and `startedAt`). Nothing to do when an earlier attempt of the same
 * execution wrote it; a record of another execution under the same name is
 * never overwritten: ExecutionNameReusedError.
 */
export async function createOwnRecord(
  key: { pk: string; sk: string },
  item: Record<string, unknown> & { executionArn: string; startedAt: string },
  kind: 'deployment' | 'release',
): Promise<void> {
  const written = await conditionally(() =>
    clients.dynamo.send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...key, ...item },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
  if (written) return;
  const out = await clients.dynamo.send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }));
  const existing = out.Item as (Record<string, unknown> & RecordOwner) | undefined;
  if (existing && ownedBy(existing, item)) return;
  throw nameReused(kind, key.pk.slice(key.pk.indexOf('#') + 1), existing);
}

/** The refusal of an execution whose name is the id of another execution's record. */
export function nameReused(
  kind: 'deployment' | 'release',
  id: string,
  existing: Record<string, unknown> | undefined,
): ExecutionNameReusedError {
  const owner = existing
    ? `execution ${String(existing.executionArn)} (started ${String(existing.startedAt)}, ${String(existing.status)})`
    : 'another execution';
  return new ExecutionNameReusedError(
    `execution name ${id} is the id of the ${kind} record of ${owner}; Step Functions reuses a name 90 days after its execution closed, records live ${RECORD_RETENTION_DAYS} days: start it again under another name. Nothing was changed.`,
  );
}

/**
 * Writes the terminal status once: a record that already ended is left as it
 * is, except that ROLLED_BACK replaces ROLLBACK_FAILED (a later rollback
 * attempt got traffic back). An update, not a put, so fields written by
 * earlier phases are kept. Returns the whole record when this call wrote the
 * outcome, undefined otherwise, so each outcome is announced exactly once.
 */
export async function finishRecord(
  base: DeploymentRecord,
  patch: { status: TerminalStatus; outcomeReason: string; evidence?: string[]; warnings?: string[] },
): Promise<(DeploymentRecord & { endedAt: string }) | undefined> {
  const fields: Record<string, unknown> = {
    gsi1pk: `SERVICE#${base.service}`,
    gsi1sk: `${base.startedAt}#${base.deploymentId}`,
    ...base,
    status: patch.status,
    outcomeReason: patch.outcomeReason,
    evidence: patch.evidence ?? [],
    warnings: patch.warnings ?? [],
    endedAt: new Date().toISOString(),
    expiresAt: Math.floor(Date.now() / 1000) + RECORD_RETENTION_DAYS * 86_400,
  };
  return writeOutcome<DeploymentRecord & { endedAt: string }>(recordKey(base.deploymentId), fields, patch.status);
}

/**
 * The conditional update that ends a record (a deployment's or a release's):
 * a terminal record is never overwritten, not even by the same outcome (a
 * retried call); the one exception is a rollback that succeeds after
 * ROLLBACK_FAILED was recorded (a retry or a redrive after the fix). Returns
 * the whole item when this call wrote the outcome, undefined otherwise.
 */
export async function writeOutcome<Item>(
  key: { pk: string; sk: string },
  fields: Record<string, unknown>,
  status: TerminalStatus,
): Promise<Item | undefined> {
  // The key is the item's identity: UpdateItem may not set it (a record read back from the table carries it).
  const entries = Object.entries(fields).filter(([name, value]) => value !== undefined && name !== 'pk' && name !== 'sk');
  const { executionArn: owner, startedAt } = fields;
  if (typeof owner !== 'string' || typeof startedAt !== 'string')
    throw new ContractViolationError(`the outcome of ${key.pk} names no executionArn and startedAt`);
  try {
    const out = await clients.dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key,
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        // Only the execution that owns the record writes its outcome (a reused execution name never does).
        // AND binds tighter than OR in DynamoDB's condition expressions.
        ConditionExpression:
          status === 'ROLLED_BACK'
            ? 'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running OR #f_owner = :owner AND #f_started = :started AND #f_status = :rollbackFailed'
            : 'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
        ExpressionAttributeNames: {
          ...Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])),
          '#f_status': 'status',
          '#f_owner': 'executionArn',
          '#f_started': 'startedAt',
        },
        ExpressionAttributeValues: {
          ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
          ':owner': owner,
          ':started': startedAt,
          ':running': 'IN_PROGRESS',
          ...(status === 'ROLLED_BACK' ? { ':rollbackFailed': 'ROLLBACK_FAILED' } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as Item | undefined;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return undefined;
  }
}

/** Updates fields of an in-progress record (task definition ARNs, secret version), only if `owner` wrote it. */
export async function annotateRecord(deploymentId: string, owner: RecordOwner, fields: Partial<DeploymentRecord>): Promise<void> {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return;
  await clients.dynamo.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: recordKey(deploymentId),
      UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: {
        ...Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])),
        '#owner': 'executionArn',
        '#started': 'startedAt',
      },
      ExpressionAttributeValues: {
        ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
        ':owner': owner.executionArn,
        ':started': owner.startedAt,
      },
      ConditionExpression: '#owner = :owner AND #started = :started',
    }),
  );
}
