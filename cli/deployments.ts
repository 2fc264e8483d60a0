/**
 * Reading the deployment table from the CLI: locks, records, release records
 * and history, each item parsed with the schema of its kind (a malformed one
 * is a ContractViolationError naming the item and the field).
 */

import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { LockItemSchema } from '../lambdas/shared/lock/table.ts';
import { type DeploymentRecord, StoredDeploymentRecordSchema } from '../lambdas/shared/records/deployment.ts';
import { lockKey, recordKey, releaseKey, SERVICE_INDEX, serviceIndexKey } from '../lambdas/shared/records/keys.ts';
import { type ReleaseRecord, StoredReleaseRecordSchema } from '../lambdas/shared/records/release.ts';
import { parseItem, readItem } from '../lambdas/shared/records/table.ts';
import type { CliContext } from './context.ts';

/** A deployment record as the handlers write it. */
export type RecordItem = DeploymentRecord;

/** What the CLI shows of a lock: its holder and since when. */
const LockViewSchema = LockItemSchema.pick({ deploymentId: true, executionArn: true, imageRef: true, acquiredAt: true });
export type LockItem = z.infer<typeof LockViewSchema>;

export async function readLock(ctx: CliContext, service: string): Promise<LockItem | undefined> {
  return readItem(LockViewSchema, `lock of ${service}`, lockKey(service), ctx);
}

export async function readRecord(ctx: CliContext, deploymentId: string): Promise<RecordItem | undefined> {
  return readItem(StoredDeploymentRecordSchema, `deployment record of ${deploymentId}`, recordKey(deploymentId), ctx);
}

/** The record of a multi-service release (its id is the execution name). */
export async function readReleaseRecord(ctx: CliContext, releaseId: string): Promise<ReleaseRecord | undefined> {
  return readItem(StoredReleaseRecordSchema, `release record of ${releaseId}`, releaseKey(releaseId), ctx);
}

/** Newest first, from the byService index. */
export async function history(ctx: CliContext, service: string, limit: number): Promise<RecordItem[]> {
  const out = await ctx.dynamo.send(
    new QueryCommand({
      TableName: ctx.tableName,
      IndexName: SERVICE_INDEX,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': serviceIndexKey(service) },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((item) =>
    parseItem(StoredDeploymentRecordSchema, `a record in the history of ${service}`, { pk: String(item.pk), sk: String(item.sk) }, item),
  );
}
