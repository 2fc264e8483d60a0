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
import { lockKey, recordKey, releaseKey, SERVICE_INDEX, serviceIndexKey } from '../lambdas/shared/records/keys.ts';
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
    parseItem(DeploymentViewSchema, `a record in the history of ${service}`, { pk: String(item.pk), sk: String(item.sk) }, item),
  );
}
