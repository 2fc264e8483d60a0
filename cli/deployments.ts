/**
 * Reading the deployment table from the CLI: locks, records, release records
 * and history, each item parsed with the view of its kind (views.ts: what the
 * CLI may print; a malformed one is a ContractViolationError naming the item
 * and the field). Only answering an approval reads the task token.
 */

import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { LockItemSchema } from '../lambdas/shared/lock/table.ts';
import { StoredDeploymentRecordSchema } from '../lambdas/shared/records/deployment.ts';
import { lockKey, RELEASES_INDEX_KEY, recordKey, releaseKey, SERVICE_INDEX, serviceIndexKey } from '../lambdas/shared/records/keys.ts';
import { parseItem, readItem } from '../lambdas/shared/records/table.ts';
import type { CliContext } from './context.ts';
import { type DeploymentView, DeploymentViewSchema, type ReleaseView, ReleaseViewSchema } from './views.ts';

/** A deployment record as the CLI shows it. */
export type RecordItem = DeploymentView;

/** What the CLI shows of a lock: its holder and since when. */
const LockViewSchema = LockItemSchema.pick({ deploymentId: true, executionArn: true, imageRef: true, acquiredAt: true });
export type LockItem = z.infer<typeof LockViewSchema>;

export async function readLock(ctx: CliContext, service: string): Promise<LockItem | undefined> {
  return readItem(LockViewSchema, `lock of ${service}`, lockKey(service), ctx);
}

export async function readRecord(ctx: CliContext, deploymentId: string): Promise<RecordItem | undefined> {
  return readItem(DeploymentViewSchema, `deployment record of ${deploymentId}`, recordKey(deploymentId), ctx);
}

/** What approve and reject read of a record: whether it waits, who asked, and the task token to answer with (never printed). */
const ApprovalSchema = StoredDeploymentRecordSchema.pick({ awaitingApproval: true, approvalToken: true, requestedBy: true });

export async function readApproval(ctx: CliContext, deploymentId: string): Promise<z.infer<typeof ApprovalSchema> | undefined> {
  return readItem(ApprovalSchema, `deployment record of ${deploymentId}`, recordKey(deploymentId), ctx);
}

/** The record of a multi-service release (its id is the execution name). */
export async function readReleaseRecord(ctx: CliContext, releaseId: string): Promise<ReleaseView | undefined> {
  return readItem(ReleaseViewSchema, `release record of ${releaseId}`, releaseKey(releaseId), ctx);
}

/** Newest first, from the byService index. */
export async function history(ctx: CliContext, service: string, limit: number): Promise<RecordItem[]> {
  const page = await queryIndex(ctx, serviceIndexKey(service), limit);
  return page.items.map((item) => parseIndexed(DeploymentViewSchema, `a record in the history of ${service}`, item));
}

/** The latest releases, newest first, from the byService index (partition RELEASES). */
export async function releaseHistory(ctx: CliContext, limit: number): Promise<ReleaseView[]> {
  const page = await queryIndex(ctx, RELEASES_INDEX_KEY, limit);
  return page.items.map((item) => parseIndexed(ReleaseViewSchema, 'a record in the release history', item));
}

/**
 * How many of the latest releases a lookup by name reads at most. The table
 * has no index by release name, and a Scan reads every item of every
 * service: the lookup queries the RELEASES partition of the byService index
 * newest first, filtered on the name, and stops there.
 */
export const RELEASE_LOOKUP_LIMIT = 500;

/** The release with that id (its execution name), else the newest named so among the latest RELEASE_LOOKUP_LIMIT. */
export async function findRelease(ctx: CliContext, nameOrId: string): Promise<ReleaseView | undefined> {
  const byId = await readReleaseRecord(ctx, nameOrId);
  if (byId) return byId;
  let read = 0;
  let start: Record<string, unknown> | undefined;
  for (;;) {
    const page = await queryIndex(ctx, RELEASES_INDEX_KEY, RELEASE_LOOKUP_LIMIT - read, { name: nameOrId, start });
    const [found] = page.items;
    if (found) return parseIndexed(ReleaseViewSchema, `the release named ${nameOrId}`, found);
    read += page.scanned;
    start = page.next;
    // A page that read nothing ends it too: never a loop that makes no progress.
    if (!start || page.scanned === 0 || read >= RELEASE_LOOKUP_LIMIT) return undefined;
  }
}

/** One page of a byService partition, newest first; with `name`, only the releases of that name (a filter: Limit counts the items read). */
async function queryIndex(
  ctx: CliContext,
  partition: string,
  limit: number,
  options: { name?: string; start?: Record<string, unknown> | undefined } = {},
): Promise<{ items: Record<string, unknown>[]; scanned: number; next?: Record<string, unknown> }> {
  const out = await ctx.dynamo.send(
    new QueryCommand({
      TableName: ctx.tableName,
      IndexName: SERVICE_INDEX,
      KeyConditionExpression: 'gsi1pk = :pk',
      ...(options.name ? { FilterExpression: '#release = :name', ExpressionAttributeNames: { '#release': 'release' } } : {}),
      ExpressionAttributeValues: { ':pk': partition, ...(options.name ? { ':name': options.name } : {}) },
      ScanIndexForward: false,
      Limit: limit,
      ...(options.start ? { ExclusiveStartKey: options.start } : {}),
    }),
  );
  return { items: out.Items ?? [], scanned: out.ScannedCount ?? 0, ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey } : {}) };
}

function parseIndexed<Schema extends z.ZodType>(schema: Schema, what: string, item: Record<string, unknown>): z.infer<Schema> {
  return parseItem(schema, what, { pk: String(item.pk), sk: String(item.sk) }, item);
}
