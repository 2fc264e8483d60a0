/** Reading the deployment table from the CLI: locks, records, release records and history. */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type DeploymentRecord, lockKey, recordKey, SERVICE_INDEX } from '../lambdas/shared/deployments.ts';
import { type ReleaseRecord, releaseKey } from '../lambdas/shared/release-records.ts';
import type { CliContext } from './context.ts';

/** A deployment record as the handlers write it. */
export type RecordItem = DeploymentRecord;

export interface LockItem {
  readonly deploymentId: string;
  readonly executionArn: string;
  readonly imageRef: string;
  readonly acquiredAt: string;
}

export async function readLock(ctx: CliContext, service: string): Promise<LockItem | undefined> {
  const out = await ctx.dynamo.send(new GetCommand({ TableName: ctx.tableName, Key: lockKey(service), ConsistentRead: true }));
  return out.Item as LockItem | undefined;
}

export async function readRecord(ctx: CliContext, deploymentId: string): Promise<RecordItem | undefined> {
  const out = await ctx.dynamo.send(new GetCommand({ TableName: ctx.tableName, Key: recordKey(deploymentId), ConsistentRead: true }));
  return out.Item as RecordItem | undefined;
}

/** The record of a multi-service release (its id is the execution name). */
export async function readReleaseRecord(ctx: CliContext, releaseId: string): Promise<ReleaseRecord | undefined> {
  const out = await ctx.dynamo.send(new GetCommand({ TableName: ctx.tableName, Key: releaseKey(releaseId), ConsistentRead: true }));
  return out.Item as ReleaseRecord | undefined;
}

/** Newest first, from the byService index. */
export async function history(ctx: CliContext, service: string, limit: number): Promise<RecordItem[]> {
  const out = await ctx.dynamo.send(
    new QueryCommand({
      TableName: ctx.tableName,
      IndexName: SERVICE_INDEX,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': `SERVICE#${service}` },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (out.Items ?? []) as RecordItem[];
}
