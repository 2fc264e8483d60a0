/**
 * What every record kind shares in the deployment table: reading an item
 * through its schema, the conditional write, and the ownership rules of a
 * record (created once by its execution, ended once). Every write is
 * conditional, so retries and redrives never double-apply.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { dynamo } from '../clients/dynamodb.ts';
import type { TerminalStatus } from '../contract.ts';
import { isConditionFailed } from '../error-classification.ts';
import { ContractViolationError, ExecutionNameReusedError } from '../errors.ts';
import { formatIssues } from '../zod-format.ts';
import { type TableKey, tableName } from './keys.ts';

/** Records are kept for this long after they end (DynamoDB TTL on `expiresAt`). */
const RECORD_RETENTION_DAYS = 400;

/** Sends a conditional write; false when its condition did not hold, so the caller can decide what that means. */
export async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/**
 * An item as read from the table, checked against the schema of its kind
 * (`what`: "lock of web", "deployment record of <id>"): a malformed one (edited
 * by hand, or written by another version) stops the reader with a
 * ContractViolationError naming the item and the field, rather than flowing
 * on with a wrong shape.
 */
export function parseItem<Schema extends z.ZodType>(schema: Schema, what: string, key: TableKey, item: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(item);
  if (!parsed.success) {
    throw new ContractViolationError(`${what} is malformed: ${formatIssues(parsed.error)} (item ${key.pk} / ${key.sk})`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** Which client reads which table: the function's own by default; the CLI passes its context. */
interface TableAccess {
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Reads one item (consistently) and parses it; undefined when there is none. */
export async function readItem<Schema extends z.ZodType>(
  schema: Schema,
  what: string,
  key: TableKey,
  table: TableAccess = { dynamo: dynamo(), tableName: tableName() },
): Promise<z.infer<Schema> | undefined> {
  const out = await table.dynamo.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }));
  return out.Item ? parseItem(schema, what, key, out.Item) : undefined;
}

/**
 * The execution a record belongs to. Its ARN alone does not tell: Step
 * Functions gives a name back 90 days after its execution closed, and an
 * execution's ARN is its state machine's and its name. The start time does.
 */
const RecordOwnerSchema = z.object({ executionArn: z.string(), startedAt: z.string() });
export type RecordOwner = z.infer<typeof RecordOwnerSchema>;

/** Whether `record` is the one `owner` wrote. */
export function ownedBy(record: RecordOwner, owner: RecordOwner): boolean {
  return record.executionArn === owner.executionArn && record.startedAt === owner.startedAt;
}

type RecordKind = 'deployment' | 'release';

/** Any record, as far as its ownership goes; the rest is kept for the refusal's message. */
const OwnedItemSchema = z.looseObject({ ...RecordOwnerSchema.shape, status: z.string().optional() });

/** Who owns a record, read before anything else is trusted of it (its status, kept for messages). */
export async function readOwnership(kind: RecordKind, id: string, key: TableKey): Promise<z.infer<typeof OwnedItemSchema> | undefined> {
  return readItem(OwnedItemSchema, `${kind} record of ${id}`, key);
}

/**
 * Puts a new record (a deployment's or a release's) owned by its execution
 * (`executionArn` and `startedAt`). Nothing to do when an earlier attempt of the same
 * execution wrote it; a record of another execution under the same name is
 * never overwritten: ExecutionNameReusedError.
 */
export async function createOwnRecord(key: TableKey, item: Record<string, unknown> & RecordOwner, kind: RecordKind): Promise<void> {
  const written = await conditionally(() =>
    dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...key, ...item },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
  if (written) return;
  const id = key.pk.slice(key.pk.indexOf('#') + 1);
  const existing = await readOwnership(kind, id, key);
  if (existing && ownedBy(existing, item)) return;
  throw nameReused(kind, id, existing);
}

/** The refusal of an execution whose name is the id of another execution's record. */
export function nameReused(kind: RecordKind, id: string, existing: Record<string, unknown> | undefined): ExecutionNameReusedError {
  const owner = existing
    ? `execution ${String(existing.executionArn)} (started ${String(existing.startedAt)}, ${String(existing.status)})`
    : 'another execution';
  return new ExecutionNameReusedError(
    `execution name ${id} is the id of the ${kind} record of ${owner}; Step Functions reuses a name 90 days after its execution closed, records live ${RECORD_RETENTION_DAYS} days: start it again under another name. Nothing was changed.`,
  );
}

/** When an ended record expires (DynamoDB TTL, epoch seconds). */
export function expiresAt(): number {
  return Math.floor(Date.now() / 1000) + RECORD_RETENTION_DAYS * 86_400;
}

/**
 * The conditional update that ends a record (a deployment's or a release's):
 * a terminal record is never overwritten, not even by the same outcome (a
 * retried call); the one exception is a rollback that succeeds after
 * ROLLBACK_FAILED was recorded (a retry or a redrive after the fix). Returns
 * the whole item, as this call wrote it, when this call wrote the outcome;
 * undefined otherwise.
 */
export async function writeOutcome<Item>(
  key: TableKey,
  fields: Record<string, unknown>,
  status: TerminalStatus,
  /** Attributes that only mean something while the deployment runs (an ended one waits for nothing). */
  remove: readonly string[] = [],
): Promise<Item | undefined> {
  // The key is the item's identity: UpdateItem may not set it (a record read back from the table carries it).
  const entries = Object.entries(fields).filter(
    ([name, value]) => value !== undefined && name !== 'pk' && name !== 'sk' && !remove.includes(name),
  );
  const { executionArn: owner, startedAt } = fields;
  if (typeof owner !== 'string' || typeof startedAt !== 'string')
    throw new ContractViolationError(`the outcome of ${key.pk} names no executionArn and startedAt`);
  try {
    const out = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key,
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}${remove.length > 0 ? ` REMOVE ${remove.map((_, i) => `#r${i}`).join(', ')}` : ''}`,
        // Only the execution that owns the record writes its outcome (a reused execution name never does).
        // AND binds tighter than OR in DynamoDB's condition expressions.
        ConditionExpression:
          status === 'ROLLED_BACK'
            ? 'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running OR #f_owner = :owner AND #f_started = :started AND #f_status = :rollbackFailed'
            : 'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
        ExpressionAttributeNames: {
          ...Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])),
          ...Object.fromEntries(remove.map((name, i) => [`#r${i}`, name])),
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
    // ALL_NEW: the item this very update wrote, from fields the caller typed; not parsed again.
    return out.Attributes as Item | undefined;
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return undefined;
  }
}

/**
 * Sets fields of an item only if `owner` wrote it (a reused execution name
 * changes nothing) and, with `unlessSet`, only if that attribute is not set
 * yet: a flag that makes a retried write fail its condition.
 */
export async function updateOwned(key: TableKey, owner: RecordOwner, fields: Record<string, unknown>, unlessSet?: string): Promise<void> {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return;
  await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key,
      UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: {
        ...Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])),
        '#owner': 'executionArn',
        '#started': 'startedAt',
        ...(unlessSet ? { '#unless': unlessSet } : {}),
      },
      ExpressionAttributeValues: {
        ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
        ':owner': owner.executionArn,
        ':started': owner.startedAt,
      },
      ConditionExpression: `#owner = :owner AND #started = :started${unlessSet ? ' AND attribute_not_exists(#unless)' : ''}`,
    }),
  );
}
