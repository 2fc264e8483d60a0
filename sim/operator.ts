/**
 * The simulation's operator for the traffic steps that wait for `baton
 * promote`: `afterSeconds` simulated seconds into each wait the deployment
 * record announces, it makes the CLI's own write (cli/promotion.ts), as an
 * operator whose role has only the stack's operator policy (IAM checks the
 * call), with the account's caller identity (AccountModel.callerArn) as who.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writePromotion } from '../cli/promotion.ts';
import { displayIdentity } from '../lambdas/shared/identity.ts';
import { StoredLockItemSchema } from '../lambdas/shared/lock/table.ts';
import { AwaitingPromotionSchema, PromotionEntrySchema } from '../lambdas/shared/records/deployment.ts';
import { lockKey } from '../lambdas/shared/records/keys.ts';
import { tableKey } from './account/model.ts';
import { outsideFunctions } from './artifact/functions.ts';
import { UsageError } from './cli-files.ts';
import type { VirtualClock } from './clock.ts';
import type { SimulationContext } from './context.ts';
import type { SimulationResult } from './harness.ts';
import { asOperator } from './iam/calls.ts';

export interface PromoteAfter {
  readonly afterSeconds: number;
  /** `baton promote --full`: straight to 100 %. */
  readonly full?: boolean;
}

/** The announcement of a wait: the record update that sets awaitingPromotion (lambdas/shared/records/deployment.ts). */
function announcedWait(operation: string, input: unknown) {
  if (operation !== 'UpdateItem') return undefined;
  const update = input as {
    UpdateExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  };
  if (update.ExpressionAttributeNames?.['#wait'] !== 'awaitingPromotion' || !update.UpdateExpression?.startsWith('SET #wait'))
    return undefined;
  return AwaitingPromotionSchema.safeParse(update.ExpressionAttributeValues?.[':wait']).data;
}

/** What the operator's `baton promote` answered, each time: nothing (it was written) or the error it met. */
export interface OperatorPromotion {
  readonly at: number;
  readonly service: string;
  readonly error?: string;
}

export function promoteWaits(ctx: SimulationContext, clock: VirtualClock, tableName: string, promote: PromoteAfter): OperatorPromotion[] {
  const done: OperatorPromotion[] = [];
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: ctx.model.region, credentials: { accessKeyId: 'ASIASIMOPERATOR', secretAccessKey: 'sim' } }),
  );
  // A retried announcement is for the same step of the same deployment: one promotion each.
  const promoted = new Set<string>();
  const promoteNow = async (service: string, step: number) => {
    const holder = StoredLockItemSchema.safeParse(ctx.model.table.get(tableKey({ ...lockKey(service) }))).data;
    if (!holder) throw new Error(`${service} is not locked`);
    await asOperator('operator', () =>
      writePromotion(dynamo, tableName, service, holder, {
        deploymentId: holder.deploymentId,
        step,
        full: promote.full === true,
        by: ctx.model.callerArn,
        at: new Date(Date.now()).toISOString(),
        reason: `simulated operator, ${promote.afterSeconds} s into the wait`,
      }),
    );
  };
  ctx.interceptors.push((_service, operation, input) => {
    const wait = announcedWait(operation, input);
    const key = (input as { Key?: Record<string, unknown> }).Key;
    const once = key ? `${tableKey(key)} step ${wait?.step}` : '';
    if (!wait || !key || promoted.has(once)) return;
    promoted.add(once);
    const service = ctx.model.table.get(tableKey(key))?.service;
    if (typeof service !== 'string') return;
    void outsideFunctions(() =>
      clock.working(async () => {
        await clock.sleep('', Math.max(0, Date.parse(wait.since) + promote.afterSeconds * 1000 - Date.now()));
        try {
          await promoteNow(service, wait.step);
          done.push({ at: Date.now(), service });
        } catch (error) {
          done.push({ at: Date.now(), service, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        }
      }),
    );
  });
  return done;
}

/** Each `baton promote` the operator ran: the step it ended (from the record), or what it met. */
export function promotionLines(result: SimulationResult, record: Record<string, unknown> | undefined): string[] {
  const acted = PromotionEntrySchema.array().safeParse(record?.promotions ?? []).data ?? [];
  return [
    ...acted.map(
      (entry) =>
        `Promoted at ${entry.weight} % (step ${entry.step})${entry.full ? ' to 100 % (--full)' : ''} by ${displayIdentity(entry.by)} at ${entry.at}`,
    ),
    ...result.promotions.filter((run) => run.error).map((run) => `baton promote ${run.service} failed: ${run.error ?? ''}`),
  ];
}

/** --promote-after and --promote-full as the simulation's operator (sim/operator.ts). */
export function promoteOption(after: string | undefined, full: boolean | undefined): PromoteAfter | undefined {
  if (after === undefined) {
    if (full) throw new UsageError('--promote-full: give --promote-after <seconds> too (when the operator promotes)');
    return undefined;
  }
  const seconds = Number(after);
  if (!/^\d+$/.test(after) || !Number.isSafeInteger(seconds)) {
    throw new UsageError(`--promote-after: "${after}" is not a whole number of seconds`);
  }
  return { afterSeconds: seconds, full: full === true };
}
