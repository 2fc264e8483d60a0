/**
 * The release record: one item per release in the deployment table, next to
 * the per-service records it links.
 *
 *   RELEASE#<releaseId> / RECORD
 *
 * Records carry gsi1pk = RELEASES, gsi1sk = <startedAt>#<id>, so releases
 * list newest first from the same `byService` index.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as clients from './clients.ts';
import {
  createOwnRecord,
  RECORD_RETENTION_DAYS,
  RECORD_SK,
  type RecordOwner,
  type RecordStatus,
  tableName,
  writeOutcome,
} from './deployments.ts';

export const releaseKey = (releaseId: string) => ({ pk: `RELEASE#${releaseId}`, sk: RECORD_SK });
/** The partition of the byService index that lists releases. */
export const RELEASES_INDEX_KEY = 'RELEASES';

export type ReleaseStatus = Extract<RecordStatus, 'IN_PROGRESS' | 'SUCCEEDED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'REJECTED'>;

/** One service of a release: its deployment (and record) and where it stood in the order. */
export interface ReleaseServiceEntry {
  readonly deploymentId: string;
  readonly wave: number;
  readonly imageTag?: string;
  readonly imageDigest?: string;
}

/** What triggered a joint rollback (or a rejection): the service, the state that failed and the error. */
export interface ReleaseCause {
  readonly service?: string;
  readonly deploymentId?: string;
  readonly failedPhase?: string;
  readonly error: string;
  readonly message: string;
}

export interface ReleaseRecord {
  readonly releaseId: string;
  /** The release's own name from the input, e.g. "2026-11-22.1". */
  readonly release: string;
  readonly status: ReleaseStatus;
  readonly executionArn: string;
  readonly startedAt: string;
  readonly trigger: string;
  readonly requestedBy?: string;
  readonly reason?: string;
  readonly shift: string;
  /** Service names wave by wave: the deploy order; a joint rollback goes in reverse. */
  readonly waves: string[][];
  readonly services: Record<string, ReleaseServiceEntry>;
  readonly cause?: ReleaseCause;
  /** Services a joint rollback rolled back, in the order it did; and those it left untouched (never started). */
  readonly rolledBack?: string[];
  readonly untouched?: string[];
  /** Services the joint rollback is undoing (written when it starts). */
  readonly rollingBack?: string[];
  readonly outcomeReason?: string;
  readonly endedAt?: string;
}

export async function createReleaseRecord(record: ReleaseRecord): Promise<void> {
  await createOwnRecord(
    releaseKey(record.releaseId),
    { gsi1pk: RELEASES_INDEX_KEY, gsi1sk: `${record.startedAt}#${record.releaseId}`, ...record },
    'release',
  );
}

export async function getReleaseRecord(releaseId: string): Promise<ReleaseRecord | undefined> {
  const out = await clients.dynamo.send(new GetCommand({ TableName: tableName(), Key: releaseKey(releaseId), ConsistentRead: true }));
  return out.Item as ReleaseRecord | undefined;
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
  await clients.dynamo.send(
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
    gsi1pk: RELEASES_INDEX_KEY,
    gsi1sk: `${base.startedAt}#${base.releaseId}`,
    ...base,
    status: patch.status,
    outcomeReason: patch.outcomeReason,
    ...(patch.cause ? { cause: patch.cause } : {}),
    ...(patch.rolledBack ? { rolledBack: patch.rolledBack } : {}),
    endedAt: new Date().toISOString(),
    expiresAt: Math.floor(Date.now() / 1000) + RECORD_RETENTION_DAYS * 86_400,
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
