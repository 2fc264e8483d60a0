/**
 * Event-driven gates. An alarm of a service entering ALARM (CloudWatch's
 * "CloudWatch Alarm State Change" event) or a task of one of its colours
 * stopping (ECS's "ECS Task State Change" event) reaches the signal function
 * through EventBridge within seconds; it writes a signal on the service's
 * lock item, and the deployment that holds the lock reads it at its next
 * look: every second while a watch waits (watch.ts), and at every gate check.
 * Polling the alarms, targets and tasks stays the safety net: a signal only
 * shortens the time to the rollback, and a lost event costs one gate interval.
 *
 * A signal counts for the deployment that holds the lock, from the moment its
 * new colour was stable (rollout.stableAt) on: what happened while it was
 * starting (tasks stopped during the rollout, an alarm about the old colour)
 * is for Check stability and Verify's own reads to judge.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients/dynamodb.ts';
import { type LockItem, type PromotionRequest, readLock, type Signal, StoredLockItemSchema } from './lock/table.ts';
import { lockKey, tableName } from './records/keys.ts';
import { conditionally } from './records/table.ts';
import type { DeploymentState } from './stages.ts';

/**
 * Writes `signal` on the service's lock, only while someone holds it (a free
 * lock has no item, and an update must not create one). Returns the holder's
 * deployment id, or undefined when nobody holds the lock.
 */
export async function recordSignal(service: string, signal: Signal): Promise<string | undefined> {
  let holder: string | undefined;
  await conditionally(async () => {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: lockKey(service),
        UpdateExpression: 'SET #signal = :signal',
        ConditionExpression: 'attribute_exists(deploymentId)',
        ExpressionAttributeNames: { '#signal': 'signal' },
        ExpressionAttributeValues: { ':signal': signal },
        ReturnValues: 'ALL_NEW',
      }),
    );
    holder = Attributes ? StoredLockItemSchema.parse(Attributes).deploymentId : undefined;
  });
  return holder;
}

/** The signal in words, as a gate failure: "alarm web-5xx-rate entered ALARM at … (event): …". */
export function describeSignal(signal: Signal): string {
  return signal.kind === 'alarm'
    ? `alarm ${signal.subject} entered ALARM at ${signal.at} (CloudWatch event): ${signal.reason}`
    : `task ${signal.subject.split('/').pop() ?? signal.subject} of ${signal.serviceName ?? 'the new colour'} stopped at ${signal.at} (ECS event): ${signal.reason}`;
}

/** The gate failure the lock's signal reports for this deployment since its new colour was stable; none when there is none. */
function failuresIn(lock: LockItem | undefined, state: DeploymentState): string[] {
  const since = state.rollout?.stableAt;
  const signal = lock?.signal;
  if (!since || !state.idle || !lock || !signal || lock.deploymentId !== state.deploymentId) return [];
  if (Date.parse(signal.at) < Date.parse(since)) return [];
  if (signal.kind === 'task' && signal.serviceName !== state.idle.serviceName) return [];
  return [describeSignal(signal)];
}

/** The gate failure an event reported for this deployment since its new colour was stable; none when there is none. */
export async function signalFailures(state: DeploymentState): Promise<string[]> {
  // Nothing counts before the new colour was stable: no read.
  if (!state.rollout?.stableAt || !state.idle) return [];
  return failuresIn(await readLock(state.service.name), state);
}

/** What a traffic hold reads every second: the events' failures, and the operator's promotion of this hold, if any. */
export interface HoldSignals {
  readonly failures: string[];
  readonly promotion?: PromotionRequest;
}

/**
 * One read of the lock for the hold of plan step `step` (1-based): a `baton
 * promote` counts when it names this deployment and this step (one made for
 * an earlier step's hold does not end this one).
 */
export async function holdSignals(state: DeploymentState, step: number): Promise<HoldSignals> {
  const lock = await readLock(state.service.name);
  const failures = failuresIn(lock, state);
  const promotion = lock?.promotion;
  const counts =
    promotion !== undefined &&
    lock?.deploymentId === state.deploymentId &&
    promotion.deploymentId === state.deploymentId &&
    promotion.step === step;
  return counts ? { failures, promotion } : { failures };
}
