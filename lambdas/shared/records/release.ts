/**
 * The release record: one item per multi-service release in the deployment
 * table (RELEASE#<releaseId> / RECORD, keys.ts), next to the per-service
 * deployment records it links. Releases list newest first from the
 * `byService` index under RELEASES.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { dynamo } from '../clients/dynamodb.ts';
import { indexKeys, RELEASES_INDEX_KEY, releaseKey, tableName } from './keys.ts';
import { createOwnRecord, expiresAt, type RecordOwner, readItem, writeOutcome } from './table.ts';

const ReleaseStatusSchema = z.enum(['IN_PROGRESS', 'SUCCEEDED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'REJECTED']);
type ReleaseStatus = z.infer<typeof ReleaseStatusSchema>;

/** One service of a release: its deployment (and record) and where it stood in the order. */
const ReleaseServiceEntrySchema = z.object({
  deploymentId: z.string(),
  wave: z.number(),
  imageTag: z.string().optional(),
  imageDigest: z.string().optional(),
});
export type ReleaseServiceEntry = z.infer<typeof ReleaseServiceEntrySchema>;

/** What triggered a joint rollback (or a rejection): the service, the state that failed and the error. */
const ReleaseCauseSchema = z.object({
  service: z.string().optional(),
  deploymentId: z.string().optional(),
  failedPhase: z.string().optional(),
  error: z.string(),
  message: z.string(),
});
export type ReleaseCause = z.infer<typeof ReleaseCauseSchema>;

export const ReleaseRecordSchema = z.object({
  releaseId: z.string(),
  /** The release's own name from the input, e.g. "2026-11-22.1". */
  release: z.string(),
  status: ReleaseStatusSchema,
  executionArn: z.string(),
  startedAt: z.string(),
  trigger: z.string(),
  requestedBy: z.string().optional(),
  reason: z.string().optional(),
  shift: z.string(),
  /** Service names wave by wave: the deploy order; a joint rollback goes in reverse. */
  waves: z.array(z.array(z.string())),
  services: z.record(z.string(), ReleaseServiceEntrySchema),
  cause: ReleaseCauseSchema.optional(),
  /** Services a joint rollback rolled back, in the order it did; and those it left untouched (never started). */
  rolledBack: z.array(z.string()).optional(),
  untouched: z.array(z.string()).optional(),
  /** Services the joint rollback is undoing (written when it starts). */
  rollingBack: z.array(z.string()).optional(),
  outcomeReason: z.string().optional(),
  endedAt: z.string().optional(),
});
export type ReleaseRecord = z.infer<typeof ReleaseRecordSchema>;

/** A release record as stored: the fields above, and whatever else is on the item (index keys, expiry). */
export const StoredReleaseRecordSchema = ReleaseRecordSchema.loose();

function releaseIndexKeys(record: ReleaseRecord): { gsi1pk: string; gsi1sk: string } {
  return indexKeys(RELEASES_INDEX_KEY, record.startedAt, record.releaseId);
}

export async function createReleaseRecord(record: ReleaseRecord): Promise<void> {
  await createOwnRecord(releaseKey(record.releaseId), { ...releaseIndexKeys(record), ...record }, 'release');
}

export async function getReleaseRecord(releaseId: string): Promise<ReleaseRecord | undefined> {
  return readItem(StoredReleaseRecordSchema, `release record of ${releaseId}`, releaseKey(releaseId));
}

/**
 * Notes what stopped the release: the first cause stays (services failing
 * side by side, a retry or a recovery do not overwrite it). With the lists,
 * also which services the joint rollback undoes and which it leaves alone.
 */
export async function noteReleaseCause(
  releaseId: string,
  /** The execution that owns the record (a recovery names the one it recovers): no other execution writes it. */
  owner: RecordOwner,
  cause: ReleaseCause,
  lists?: { rollingBack: string[]; untouched: string[] },
): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: releaseKey(releaseId),
      UpdateExpression: `SET #cause = if_not_exists(#cause, :cause)${lists ? ', rollingBack = :rollingBack, untouched = :untouched' : ''}`,
      ConditionExpression: '#owner = :owner AND #started = :started',
      ExpressionAttributeNames: { '#cause': 'cause', '#owner': 'executionArn', '#started': 'startedAt' },
      ExpressionAttributeValues: {
        ':owner': owner.executionArn,
        ':started': owner.startedAt,
        ':cause': cause,
        ...(lists ? { ':rollingBack': lists.rollingBack, ':untouched': lists.untouched } : {}),
      },
    }),
  );
}

/**
 * Writes the release's terminal status once (ROLLED_BACK may replace
 * ROLLBACK_FAILED, as for a deployment). A release stopped before its record
 * existed gets one from `base`. Returns the record when this call ended it.
 */
export async function finishReleaseRecord(
  base: ReleaseRecord,
  patch: { status: Exclude<ReleaseStatus, 'IN_PROGRESS'>; outcomeReason: string; cause?: ReleaseCause; rolledBack?: string[] },
): Promise<(ReleaseRecord & { endedAt: string }) | undefined> {
  const fields: Record<string, unknown> = {
    ...releaseIndexKeys(base),
    ...base,
    status: patch.status,
    outcomeReason: patch.outcomeReason,
    ...(patch.cause ? { cause: patch.cause } : {}),
    ...(patch.rolledBack ? { rolledBack: patch.rolledBack } : {}),
    endedAt: new Date().toISOString(),
    expiresAt: expiresAt(),
  };
  return writeOutcome<ReleaseRecord & { endedAt: string }>(releaseKey(base.releaseId), fields, patch.status);
}

/** The record of a release stopped or refused before plan release wrote one (invalid input, unknown service, a cycle). */
export function unplannedReleaseRecord(releaseId: string, executionArn: string, startedAt: string, input: unknown): ReleaseRecord {
  const request = (typeof input === 'object' && input !== null ? input : {}) as {
    release?: unknown;
    trigger?: unknown;
    requestedBy?: unknown;
  };
  return {
    releaseId,
    release: typeof request.release === 'string' ? request.release : releaseId,
    status: 'IN_PROGRESS',
    executionArn,
    startedAt,
    trigger: typeof request.trigger === 'string' ? request.trigger : 'console',
    ...(typeof request.requestedBy === 'string' ? { requestedBy: request.requestedBy } : {}),
    shift: 'each',
    waves: [],
    services: {},
  };
}
