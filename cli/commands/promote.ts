/**
 * `baton promote <service> [--full]`: ends the traffic step the running
 * deployment holds (a step that waits for promotion, or a timed hold) so the
 * next step follows; `--full` goes straight to 100 %. The gates are checked
 * again before the weights move, and the bake still runs: a promotion skips
 * waiting, never a check. It writes the promotion on the service's lock,
 * for the deployment that holds it; the hold reads it within a second.
 */
import type { z } from 'zod';
import { LockItemSchema, type PromotionRequest, PromotionRequestSchema } from '../../lambdas/shared/lock/table.ts';
import { StoredDeploymentRecordSchema } from '../../lambdas/shared/records/deployment.ts';
import { lockKey, recordKey } from '../../lambdas/shared/records/keys.ts';
import { readItem } from '../../lambdas/shared/records/table.ts';
import type { Command, OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { ConflictError, checkedOption, NotFoundError } from '../errors.ts';
import { operator } from '../identity.ts';
import { print } from '../output.ts';
import { writePromotion } from '../promotion.ts';

/** What promote reads: the lock's holder, and whether its record says a step waits (and which). */
const LockSchema = LockItemSchema.pick({ deploymentId: true, executionArn: true });
const RecordSchema = StoredDeploymentRecordSchema.pick({
  deploymentId: true,
  status: true,
  awaitingPromotion: true,
  plan: true,
  weightChanges: true,
  targetColour: true,
});
type RecordRead = z.infer<typeof RecordSchema>;

/** The timed hold the record shows now: the last weight write's step, while its pause lasts; none after the last step. */
function timedHold(record: RecordRead, now: number): { weight: number; step: number; of: number; until: string } | undefined {
  const last = record.weightChanges?.at(-1);
  if (last?.step === undefined || last.of === undefined || last.step >= last.of) return undefined;
  const pause = record.plan?.steps[last.step - 1]?.pauseSeconds ?? 0;
  const until = Date.parse(last.at) + pause * 1000;
  if (now >= until) return undefined;
  const weight = record.targetColour === 'blue' ? last.blue : last.green;
  return { weight, step: last.step, of: last.of, until: new Date(until).toISOString() };
}

async function run(ctx: CliContext, serviceName: string | undefined, { full, reason }: OptionValues): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  // As the hold will read it off the lock (lambdas/shared/lock/table.ts).
  const why = checkedOption('--reason', PromotionRequestSchema.shape.reason, reason);
  const lock = await readItem(LockSchema, `lock of ${service.name}`, lockKey(service.name), ctx);
  if (!lock) throw new NotFoundError(`no deployment of ${service.name} is running`);
  const record = await readItem(RecordSchema, `deployment record of ${lock.deploymentId}`, recordKey(lock.deploymentId), ctx);
  if (record?.status !== 'IN_PROGRESS') {
    throw new ConflictError(`deployment ${lock.deploymentId} of ${service.name} is not in progress (${record?.status ?? 'no record'})`);
  }
  const waiting = record.awaitingPromotion;
  const held = waiting ?? timedHold(record, Date.now());
  if (!held) {
    // A promotion counts for the hold it was made during only: one made now would end nothing.
    throw new ConflictError(
      `deployment ${lock.deploymentId} of ${service.name} holds no traffic step now (strategy ${record.plan?.strategy ?? 'unknown'}): there is nothing to promote; see "baton status ${service.name}"`,
    );
  }
  const you = await operator(ctx);
  const promotion: PromotionRequest = {
    deploymentId: lock.deploymentId,
    step: held.step,
    full: full === true,
    by: you.arn,
    at: new Date().toISOString(),
    ...(why ? { reason: why } : {}),
  };
  await writePromotion(ctx.dynamo, ctx.tableName, service.name, lock, promotion);
  const where = `the hold at ${held.weight} % (step ${held.step} of ${held.of}${waiting ? ', waiting for promotion' : `, until ${held.until}`})`;
  const next = promotion.full
    ? 'traffic goes to 100 % once the gates pass; the bake still runs'
    : 'the next step follows once the gates pass';
  print(
    ctx,
    [
      `Promoted ${lock.deploymentId} as ${you.shown}: ${where} ends within a second;`,
      `${next}. Follow it with: baton watch ${service.name}`,
    ],
    {
      promoted: lock.deploymentId,
      ...promotion,
      ...(waiting ? { waiting } : {}),
    },
  );
  return 0;
}

export const promote: Command = {
  name: 'promote',
  usage: 'baton promote <service> [--full] [--reason <text>]',
  summary: 'end the traffic step the running deployment holds: the next step follows (--full: straight to 100 %)',
  details: `A step that waits for promotion ("pause": "approval" in a steps strategy) waits for
this; a timed hold ends early too. The gates are checked again before traffic
moves, and --full never skips the bake. Sends your AWS identity (STS
GetCallerIdentity), recorded in the deployment's record with --reason.

Examples:
  baton promote web --reason "canary error rate flat for an hour"
  baton promote web --full`,
  options: ['full', 'reason'],
  run,
};
