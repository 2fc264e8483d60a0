/**
 * `baton unlock <service> --reason "..."`: an operator releases a service's
 * lock after resolving a failed rollback. Only the lock of a ROLLBACK_FAILED
 * deployment whose execution has ended, or of a holder whose execution ended
 * with its record closed (or never written), is released; the record says
 * who, when and why. A running deployment is never unlocked.
 */

import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { isConditionFailed } from '../../lambdas/shared/error-classification.ts';
import { ContractViolationError } from '../../lambdas/shared/errors.ts';
import { ENDED_STATUSES } from '../../lambdas/shared/execution-end.ts';
import { LockItemSchema } from '../../lambdas/shared/lock/table.ts';
import { StoredDeploymentRecordSchema, TERMINAL_STATUSES } from '../../lambdas/shared/records/deployment.ts';
import { lockKey, recordKey, type TableKey } from '../../lambdas/shared/records/keys.ts';
import { readItem } from '../../lambdas/shared/records/table.ts';
import type { Command, OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { ConflictError, NotFoundError, UsageError } from '../errors.ts';
import { describeExecution } from '../execution.ts';
import { operator } from '../identity.ts';
import { print } from '../output.ts';

/** What unlock reads of the lock and of its holder's record. */
const LockSchema = LockItemSchema.pick({ deploymentId: true, executionArn: true });
const RecordSchema = StoredDeploymentRecordSchema.pick({ deploymentId: true, status: true });

async function run(ctx: CliContext, serviceName: string | undefined, { reason }: OptionValues): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  if (!reason?.trim()) throw new UsageError('unlock: --reason: say what was done to resolve the failed deployment');
  const lock = await read(ctx, lockKey(service.name), LockSchema, `lock of ${service.name}`);
  if (!lock) throw new NotFoundError(`${service.name} is not locked`);
  const record = await read(ctx, recordKey(lock.deploymentId), RecordSchema, `deployment record of ${lock.deploymentId}`);
  const status = await executionStatus(ctx, lock.executionArn);
  const ended = ENDED_STATUSES.has(status);
  if (!ended) {
    throw new ConflictError(
      `deployment ${lock.deploymentId} holds the lock of ${service.name} and its execution is ${status}; stop it first with "baton abort ${service.name}"`,
    );
  }
  if (record && !TERMINAL_STATUSES.has(record.status)) {
    throw new ConflictError(
      `deployment ${lock.deploymentId} ended ${status} with its record still ${record.status}; the backstop closes it and frees the lock (see "baton history ${service.name}")`,
    );
  }
  const resolvedAt = new Date().toISOString();
  const you = await operator(ctx);
  const resolvedBy = you.arn;
  if (record) {
    // Conditional: the record is left as it is if it changed since it was read.
    await ctx.dynamo.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: recordKey(lock.deploymentId),
        UpdateExpression: 'SET resolvedBy = :by, resolvedAt = :at, resolution = :why',
        ConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':by': resolvedBy, ':at': resolvedAt, ':why': reason, ':status': record.status },
      }),
    );
  }
  try {
    // Exactly the lock that was inspected: a lock taken or transferred since is left alone.
    await ctx.dynamo.send(
      new DeleteCommand({
        TableName: ctx.tableName,
        Key: lockKey(service.name),
        ConditionExpression: 'deploymentId = :holder AND executionArn = :execution',
        ExpressionAttributeValues: { ':holder': lock.deploymentId, ':execution': lock.executionArn },
      }),
    );
  } catch (error) {
    if (isConditionFailed(error))
      throw new ConflictError(
        `the lock of ${service.name} changed hands while it was released; look again with "baton status ${service.name}"`,
        {
          cause: error,
        },
      );
    throw error;
  }
  const was = record ? record.status : 'no record';
  print(
    ctx,
    [
      `Unlocked ${service.name}: released the lock of deployment ${lock.deploymentId} (${was}, execution ${status}).`,
      ...(record ? [`Recorded on ${lock.deploymentId}: resolved by ${you.shown} at ${resolvedAt}: ${reason}`] : []),
      `The next deployment of ${service.name} starts from the listener weights as they are now.`,
    ],
    { unlocked: service.name, deploymentId: lock.deploymentId, status: was, execution: status, resolvedBy, resolvedAt, resolution: reason },
  );
  return 0;
}

/** An item unlock decides on; a malformed one is a conflict the operator resolves, not a crash. */
async function read<Schema extends z.ZodType>(
  ctx: CliContext,
  key: TableKey,
  schema: Schema,
  what: string,
): Promise<z.infer<Schema> | undefined> {
  try {
    return await readItem(schema, what, key, ctx);
  } catch (error) {
    if (error instanceof ContractViolationError)
      throw new ConflictError(`${error.message}; baton does not write such an item`, { cause: error });
    throw error;
  }
}

/** The execution's status; DOES_NOT_EXIST when Step Functions no longer knows it (ENDED_STATUSES counts it as ended). */
async function executionStatus(ctx: CliContext, executionArn: string): Promise<string> {
  try {
    return (await describeExecution(ctx, executionArn)).status ?? 'UNKNOWN';
  } catch (error) {
    if (error instanceof NotFoundError) return 'DOES_NOT_EXIST';
    throw error;
  }
}

export const unlock: Command = {
  name: 'unlock',
  usage: 'baton unlock <service> --reason <text>',
  summary: 'release the lock a failed rollback (ROLLBACK_FAILED) keeps, once an operator has resolved it',
  details: `A ROLLBACK_FAILED deployment keeps its service locked: nothing deploys over a
production state nobody has checked. Once the listener weights and services are
right again, unlock records who, when and why on the deployment's record and
releases the lock. It also releases the lock of a holder whose execution ended
with its record closed. It refuses while the holder's execution still runs (stop
it with baton abort first).

Options:
  --reason <text>   what was done to resolve it (required)

Example:
  baton unlock web --reason "weights set back to blue 100 % by hand; green scaled to 0"`,
  options: ['reason'],
  run,
};
