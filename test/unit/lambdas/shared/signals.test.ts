/**
 * The event-driven gate's record (lambdas/shared/signals.ts): the signal
 * function writes an event on the lock only while someone holds it, and the
 * holder's gates count it only from the moment its new colour was stable,
 * and a stopped task only of the new colour's service.
 */
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PromotionRequest, Signal } from '../../../../lambdas/shared/lock/table.ts';
import { describeSignal, holdSignals, recordSignal, signalFailures } from '../../../../lambdas/shared/signals.ts';
import type { DeploymentState } from '../../../../lambdas/shared/stages.ts';
import { conditionFailed, failure, rejectByDefault } from '../../../support/aws.ts';
import { lockItem } from '../../../support/items.ts';
import { DEPLOYMENT_ID, isoAfter, NOW, stateAfter } from '../../../support/state.ts';

const TABLE = 'baton-test-deployments';
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0f9e8d7c6b5a49382716';
const STABLE_AT = isoAfter(NOW, 60);

const ALARM: Signal = { kind: 'alarm', subject: 'web-5xx-rate', at: isoAfter(NOW, 120), reason: 'Threshold Crossed' };
const taskOf = (serviceName: string, at = isoAfter(NOW, 120)): Signal => ({
  kind: 'task',
  subject: TASK_ARN,
  serviceName,
  at,
  reason: 'EssentialContainerExited: Essential container in task exited',
});

/** The deployment after verify, its new colour (green) stable since STABLE_AT. */
function stableState(): DeploymentState {
  const verified = stateAfter('verify');
  if (!verified.rollout) throw new Error('stateAfter(verify) has a rollout');
  return { ...verified, rollout: { ...verified.rollout, stableAt: STABLE_AT } };
}

describe('recordSignal', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    rejectByDefault(dynamoMock);
  });

  it("writes the signal on the lock only if the lock item exists, and returns its holder's deployment", async () => {
    // Arrange
    dynamoMock.on(UpdateCommand).resolves({ Attributes: { ...LOCK_KEY, ...lockItem({ signal: ALARM }) } });

    // Act
    const holder = await recordSignal('web', ALARM);

    // Assert
    expect(holder).toBe(DEPLOYMENT_ID);
    expect(dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: LOCK_KEY,
        UpdateExpression: 'SET #signal = :signal',
        ConditionExpression: 'attribute_exists(deploymentId)',
        ExpressionAttributeNames: { '#signal': 'signal' },
        ExpressionAttributeValues: { ':signal': ALARM },
        ReturnValues: 'ALL_NEW',
      },
    ]);
  });

  it('returns undefined, creating nothing, when nobody holds the lock (the condition fails)', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const holder = await recordSignal('web', ALARM);

    // Assert
    expect(holder).toBeUndefined();
    expect(dynamoMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('lets any other error through', async () => {
    // Arrange
    const denied = Object.assign(new Error('not authorized to perform: dynamodb:UpdateItem'), { name: 'AccessDeniedException' });
    dynamoMock.on(UpdateCommand).rejects(denied);

    // Act
    const error = await failure(recordSignal('web', ALARM));

    // Assert
    expect(error.name).toBe('AccessDeniedException');
  });
});

describe('signalFailures', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    rejectByDefault(dynamoMock);
  });

  /** The lock as the gates read it. */
  function givenLock(fields: Parameters<typeof lockItem>[0] | undefined): void {
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
      .resolves(fields === undefined ? {} : { Item: { ...LOCK_KEY, ...lockItem(fields) } });
  }

  it("reports an alarm signal of the deployment's own lock after its new colour was stable", async () => {
    // Arrange
    givenLock({ signal: ALARM });

    // Act
    const failures = await signalFailures(stableState());

    // Assert
    expect(failures).toEqual([`alarm web-5xx-rate entered ALARM at ${isoAfter(NOW, 120)} (CloudWatch event): Threshold Crossed`]);
  });

  it("reports a stopped task of the new colour's service, named by its id", async () => {
    // Arrange
    givenLock({ signal: taskOf('web-green') });

    // Act
    const failures = await signalFailures(stableState());

    // Assert
    expect(failures).toEqual([
      `task 0f9e8d7c6b5a49382716 of web-green stopped at ${isoAfter(NOW, 120)} (ECS event): EssentialContainerExited: Essential container in task exited`,
    ]);
  });

  it('counts a signal recorded at the moment the new colour was stable', async () => {
    // Arrange
    givenLock({ signal: { ...ALARM, at: STABLE_AT } });

    // Act
    const failures = await signalFailures(stableState());

    // Assert
    expect(failures).toHaveLength(1);
  });

  it.each([
    ['of another deployment (the lock changed hands)', { deploymentId: 'web-20250304-110000-9c2e', signal: ALARM }],
    ['from before the new colour was stable', { signal: { ...ALARM, at: isoAfter(STABLE_AT, -1) } }],
    ["of a task of the old colour's service", { signal: taskOf('web-blue') }],
    ['of a task without a service', { signal: { ...taskOf('web-green'), serviceName: undefined } }],
    ['when the lock has no signal', {}],
  ])('ignores a signal %s', async (_name, fields) => {
    // Arrange
    givenLock(fields);

    // Act
    const failures = await signalFailures(stableState());

    // Assert
    expect(failures).toEqual([]);
  });

  it('ignores a lock nobody holds', async () => {
    // Arrange
    givenLock(undefined);

    // Act
    const failures = await signalFailures(stableState());

    // Assert
    expect(failures).toEqual([]);
  });

  it('reads nothing before the new colour is stable (no stableAt)', async () => {
    // Act
    const failures = await signalFailures(stateAfter('verify'));

    // Assert
    expect(failures).toEqual([]);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });
});

describe('holdSignals', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  /** The plan step whose hold the tests read for. */
  const STEP = 2;
  const PROMOTION: PromotionRequest = {
    deploymentId: DEPLOYMENT_ID,
    step: STEP,
    full: false,
    by: 'arn:aws:iam::123456789012:user/ops',
    at: isoAfter(NOW, 330),
    reason: 'canary looks good',
  };

  beforeEach(() => {
    rejectByDefault(dynamoMock);
  });

  /** The lock as the hold reads it. */
  function givenLock(fields: Parameters<typeof lockItem>[0]): void {
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
      .resolves({ Item: { ...LOCK_KEY, ...lockItem(fields) } });
  }

  it('reports the promotion of this deployment made during the hold, in one read of the lock', async () => {
    // Arrange
    givenLock({ promotion: PROMOTION });

    // Act
    const look = await holdSignals(stableState(), STEP);

    // Assert
    expect(look).toEqual({ failures: [], promotion: PROMOTION });
    expect(dynamoMock).toHaveReceivedCommandTimes(GetCommand, 1);
  });

  it("counts a promotion of this step whatever the operator's clock said: the step names the hold, not the time", async () => {
    // Arrange: the operator's clock is an hour behind
    givenLock({ promotion: { ...PROMOTION, at: isoAfter(NOW, -3_600) } });

    // Act
    const look = await holdSignals(stableState(), STEP);

    // Assert
    expect(look.promotion?.at).toBe(isoAfter(NOW, -3_600));
  });

  it('reports the failures alongside the promotion', async () => {
    // Arrange
    givenLock({ promotion: PROMOTION, signal: ALARM });

    // Act
    const look = await holdSignals(stableState(), STEP);

    // Assert
    expect(look).toEqual({
      failures: [`alarm web-5xx-rate entered ALARM at ${isoAfter(NOW, 120)} (CloudWatch event): Threshold Crossed`],
      promotion: PROMOTION,
    });
  });

  it.each([
    ['of another deployment', { promotion: { ...PROMOTION, deploymentId: 'web-20250304-090000-1b2c' } }],
    ['on a lock another deployment holds', { deploymentId: 'web-20250304-110000-9c2e', promotion: PROMOTION }],
    ['of an earlier step', { promotion: { ...PROMOTION, step: STEP - 1 } }],
  ])('ignores a promotion %s', async (_name, fields) => {
    // Arrange
    givenLock(fields);

    // Act
    const look = await holdSignals(stableState(), STEP);

    // Assert
    expect(look).toEqual({ failures: [] });
  });

  it('still reports the failures when it ignores the promotion', async () => {
    // Arrange
    givenLock({ promotion: { ...PROMOTION, step: STEP - 1 }, signal: ALARM });

    // Act
    const look = await holdSignals(stableState(), STEP);

    // Assert
    expect(look).toEqual({ failures: [`alarm web-5xx-rate entered ALARM at ${isoAfter(NOW, 120)} (CloudWatch event): Threshold Crossed`] });
  });

  it('reports nothing for a lock nobody holds', async () => {
    // Arrange
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true }).resolves({});

    // Act
    const look = await holdSignals(stableState(), STEP);

    // Assert
    expect(look).toEqual({ failures: [] });
  });
});

describe('describeSignal', () => {
  it('names a task signal without a service after the new colour', () => {
    expect(describeSignal({ ...taskOf('web-green'), serviceName: undefined })).toBe(
      `task 0f9e8d7c6b5a49382716 of the new colour stopped at ${isoAfter(NOW, 120)} (ECS event): EssentialContainerExited: Essential container in task exited`,
    );
  });
});
