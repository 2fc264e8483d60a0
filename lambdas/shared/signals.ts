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
import { readLock, type Signal, StoredLockItemSchema } from './lock/table.ts';
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

/** The gate failure an event reported for this deployment since its new colour was stable; none when there is none. */
export async function signalFailures(state: DeploymentState): Promise<string[]> {
  const since = state.rollout?.stableAt;
  if (!since || !state.idle) return [];
  const lock = await readLock(state.service.name);
  const signal = lock?.signal;
  if (!lock || !signal || lock.deploymentId !== state.deploymentId) return [];
  if (Date.parse(signal.at) < Date.parse(since)) return [];
  if (signal.kind === 'task' && signal.serviceName !== state.idle.serviceName) return [];
  return [describeSignal(signal)];
}
