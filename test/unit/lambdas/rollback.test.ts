import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/rollback/index.ts';
import { RollbackFailedError } from '../../../lambdas/shared/errors.ts';
import { productionListenerOf, targetGroupOf } from '../../../lambdas/shared/service-resources.ts';
import type { DeploymentState } from '../../../lambdas/shared/stages.ts';
import {
  ecsService,
  failure,
  forwardAction,
  isPhaseBookkeeping,
  isWeightChange,
  listenerWith,
  rejectByDefault,
  targets,
  updatedFields,
} from '../../support/aws.ts';
import { lockItem, recordItem } from '../../support/items.ts';
import {
  caughtLambdaError,
  DEPLOYMENT_ID,
  EXECUTION_ARN,
  IDLE_TASK_DEFINITION_ARN,
  isoAfter,
  LIVE_COUNT,
  LIVE_TASK_DEFINITION_ARN,
  NOW,
  service,
  stateAfter,
} from '../../support/state.ts';

const TABLE = 'baton-test-deployments';
const web = service();
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const GATE_MESSAGE = 'gate failed during the bake of green at 100 %: alarm web-5xx-rate is ALARM (Threshold Crossed)';
const VERIFY_MESSAGE = 'green failed verification: ECS service web-green runs 2/3 tasks';

/** Failed during the bake: production is on green. */
function bakeFailed(): DeploymentState {
  return { ...stateAfter('shift'), error: caughtLambdaError('GateFailedError', GATE_MESSAGE), failedPhase: 'Check bake' };
}

/** Failed in verify: production never left blue. */
function verifyFailed(): DeploymentState {
  return { ...stateAfter('stable'), error: caughtLambdaError('VerificationFailedError', VERIFY_MESSAGE), failedPhase: 'Verify new colour' };
}

describe('rollback', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  /**
   * The UpdateCommands rollback sent to the record, leaving out the phase tracking and lease renewal of the wrapper
   * and the weight history (weightChanges()).
   */
  function recordUpdates() {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => !isPhaseBookkeeping(input) && !isWeightChange(input));
  }

  /** The appends to the record's weight history. */
  function weightChanges() {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => isWeightChange(input));
  }

  function productionWeights(weights: { blue: number; green: number }) {
    elbMock.on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] }).resolves(listenerWith(web, weights));
  }

  function blue(desiredCount: number, runningCount: number, healthyTargets: number) {
    ecsMock
      .on(DescribeServicesCommand, { cluster: 'prod', services: ['web-blue'] })
      .resolves(ecsService('web-blue', { taskDefinition: LIVE_TASK_DEFINITION_ARN, desiredCount, runningCount }));
    elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupOf(web.blue) }).resolves(targets(healthyTargets));
  }

  beforeEach(() => {
    // Arrange (shared): blue still runs its full count, healthy; every write succeeds.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(ecsMock, elbMock, dynamoMock);
    productionWeights({ blue: 0, green: 100 });
    blue(LIVE_COUNT, LIVE_COUNT, LIVE_COUNT);
    elbMock.on(ModifyListenerCommand, { ListenerArn: productionListenerOf(web) }).resolves({});
    ecsMock.on(UpdateServiceCommand, { cluster: 'prod' }).resolves({});
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
    dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});
    // This deployment holds the service lock (the rollback checks before touching anything).
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY })
      .resolves({ Item: { ...LOCK_KEY, ...lockItem({ deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN }) } });
    // The record has not ended (the rollback checks that Complete did not finish the deployment).
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: RECORD_KEY })
      .resolves({ Item: { ...RECORD_KEY, ...recordItem({ deploymentId: DEPLOYMENT_ID, status: 'IN_PROGRESS' }) } });
  });

  describe('when Complete wrote SUCCEEDED and then failed (it timed out after the write)', () => {
    beforeEach(() => {
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({
        Item: {
          ...RECORD_KEY,
          deploymentId: DEPLOYMENT_ID,
          service: 'web',
          status: 'SUCCEEDED',
          executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-1',
          startedAt: NOW,
          trigger: 'ecr',
          endedAt: isoAfter(NOW, 600),
          outcomeReason: 'v1.4.2 live on green (web-green) after a 300 s bake',
        },
      });
    });

    it('moves nothing, keeps the record SUCCEEDED, releases the lock and ends with the SUCCEEDED outcome', async () => {
      // Arrange: green 100 %, the record SUCCEEDED (beforeEach).
      const failed = {
        ...bakeFailed(),
        error: caughtLambdaError('Lambda.Unknown', 'Task timed out after 120.00 seconds'),
        failedPhase: 'Complete deployment',
      };

      // Act
      const state = await handler(failed);

      // Assert
      expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
      expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
      expect(recordUpdates()).toEqual([]);
      expect(dynamoMock).toHaveReceivedCommandWith(DeleteCommand, { TableName: TABLE, Key: LOCK_KEY });
      expect({ rollback: state.rollback?.stage, outcome: state.outcome }).toEqual({
        rollback: 'done',
        outcome: {
          status: 'SUCCEEDED',
          error: 'DeploymentAlreadyEnded',
          cause: `deployment ${DEPLOYMENT_ID} already ended SUCCEEDED (v1.4.2 live on green (web-green) after a 300 s bake) before "Complete deployment" failed; the rollback moved nothing and released the lock`,
        },
      });
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('when production traffic is still on the old colour', () => {
    beforeEach(() => {
      productionWeights({ blue: 100, green: 0 });
    });

    it('leaves the listener alone', async () => {
      // Arrange: blue 100 % (beforeEach).

      // Act
      await handler(verifyFailed());

      // Assert
      expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
    });

    it('scales the new colour to 0 on the task definition it ran before', async () => {
      // Arrange: blue 100 % (beforeEach).

      // Act
      await handler(verifyFailed());

      // Assert
      expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, {
        cluster: 'prod',
        service: 'web-green',
        taskDefinition: IDLE_TASK_DEFINITION_ARN,
        desiredCount: 0,
      });
      expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    });

    it('finishes the record as ROLLED_BACK with the original error and the evidence', async () => {
      // Arrange: blue 100 % (beforeEach).

      // Act
      await handler(verifyFailed());

      // Assert
      const updates = recordUpdates();
      expect(updates).toHaveLength(1);
      const [update] = updates;
      // ROLLED_BACK may replace ROLLBACK_FAILED: a later attempt (a retry, a redrive) got traffic back.
      expect(update?.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running OR #f_owner = :owner AND #f_started = :started AND #f_status = :rollbackFailed',
      );
      expect(update?.ExpressionAttributeValues).toMatchObject({ ':running': 'IN_PROGRESS', ':rollbackFailed': 'ROLLBACK_FAILED' });
      expect(update?.ReturnValues).toBe('ALL_NEW');
      expect(updatedFields(update)).toMatchObject({
        status: 'ROLLED_BACK',
        failedPhase: 'Verify new colour',
        outcomeReason: `VerificationFailedError: ${VERIFY_MESSAGE}`,
        evidence: [
          'failed in: Verify new colour',
          `signal: VerificationFailedError: ${VERIFY_MESSAGE}`,
          `rollback: web-green scaled to 0 on ${IDLE_TASK_DEFINITION_ARN}`,
        ],
      });
    });

    it('releases the lock only if this deployment holds it', async () => {
      // Arrange: blue 100 % (beforeEach).

      // Act
      await handler(verifyFailed());

      // Assert
      expect(dynamoMock).toHaveReceivedCommandWith(DeleteCommand, {
        TableName: TABLE,
        Key: LOCK_KEY,
        ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
        ExpressionAttributeValues: { ':me': DEPLOYMENT_ID, ':execution': EXECUTION_ARN },
      });
    });

    it('reports the original error type from the Cause JSON as the outcome error', async () => {
      // Arrange: blue 100 % (beforeEach).

      // Act
      const state = await handler(verifyFailed());

      // Assert
      expect(state.outcome).toEqual({
        status: 'ROLLED_BACK',
        error: 'VerificationFailedError',
        cause: `rolled back to blue after "Verify new colour" failed: ${VERIFY_MESSAGE}`,
      });
      expect(state.rollback?.stage).toBe('done');
    });

    it('uses the Error name and plain-text Cause when the cause is not Lambda JSON', async () => {
      // Arrange
      const timedOut = { ...verifyFailed(), error: { Error: 'States.Timeout', Cause: 'Task timed out after 120 seconds' } };

      // Act
      const state = await handler(timedOut);

      // Assert
      expect(state.outcome).toEqual({
        status: 'ROLLED_BACK',
        error: 'States.Timeout',
        cause: 'rolled back to blue after "Verify new colour" failed: Task timed out after 120 seconds',
      });
    });
  });

  it('moves production back to 100 % on the old colour when it is healthy', async () => {
    // Arrange: green 100 %, blue 3/3 healthy (beforeEach).

    // Act
    await handler(bakeFailed());

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
      ListenerArn: productionListenerOf(web),
      DefaultActions: [forwardAction(web, { blue: 100, green: 0 })],
    });
  });

  it('records the traffic move and the scale-down as evidence', async () => {
    // Arrange: green 100 %, blue 3/3 healthy (beforeEach).

    // Act
    await handler(bakeFailed());

    // Assert
    expect(updatedFields(recordUpdates()[0])).toMatchObject({
      status: 'ROLLED_BACK',
      outcomeReason: `GateFailedError: ${GATE_MESSAGE}`,
      evidence: [
        'failed in: Check bake',
        `signal: GateFailedError: ${GATE_MESSAGE}`,
        'rollback: traffic moved from blue 0 % / green 100 % back to 100 % blue',
        `rollback: web-green scaled to 0 on ${IDLE_TASK_DEFINITION_ARN}`,
      ],
    });
  });

  it('appends the move back to the weight history of the record it owns', async () => {
    // Arrange: green 100 %, blue 3/3 healthy, every record write succeeds (beforeEach).

    // Act
    await handler(bakeFailed());

    // Assert
    // (The append itself, its owner condition and its key: test/unit/lambdas/shared/records/weight-changes.test.ts.)
    expect(weightChanges().map((input) => [input.Key, input.ExpressionAttributeValues?.[':change']])).toEqual([
      [RECORD_KEY, [{ at: NOW, blue: 100, green: 0, phase: 'rollback' }]],
    ]);
  });

  it('does not scale the old colour when it still runs its full count', async () => {
    // Arrange: blue desired 3 (beforeEach).

    // Act
    await handler(bakeFailed());

    // Assert
    expect(ecsMock).not.toHaveReceivedCommandWith(UpdateServiceCommand, { service: 'web-blue' });
  });

  describe('when the old colour was scaled to 0', () => {
    beforeEach(() => {
      blue(0, 0, 0);
    });

    it('scales the old colour back up to its previous count first', async () => {
      // Arrange: blue at 0 (beforeEach).

      // Act
      await handler(bakeFailed());

      // Assert
      expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: 'prod', service: 'web-blue', desiredCount: LIVE_COUNT });
    });

    it('waits in stage scaling-up-old without touching the listener', async () => {
      // Arrange: blue at 0 (beforeEach).

      // Act
      const state = await handler(bakeFailed());

      // Assert
      expect({ rollback: state.rollback, wait: state.wait, outcome: state.outcome }).toEqual({
        rollback: { stage: 'scaling-up-old', deadline: isoAfter(NOW, 900), checks: 1 },
        wait: { seconds: 15 },
        outcome: undefined,
      });
      expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
    });

    it('neither scales the new colour down nor writes the record while waiting', async () => {
      // Arrange: blue at 0 (beforeEach).

      // Act
      await handler(bakeFailed());

      // Assert
      expect(ecsMock).not.toHaveReceivedCommandWith(UpdateServiceCommand, { service: 'web-green' });
      // Only the lock check (a read) and the bookkeeping of every phase.
      expect(
        dynamoMock.calls().filter((call) => !isPhaseBookkeeping(call.args[0].input) && !(call.args[0] instanceof GetCommand)),
      ).toHaveLength(0);
    });
  });

  it('fails with RollbackFailedError once its deadline passed and the old colour is still unhealthy', async () => {
    // Arrange
    blue(LIVE_COUNT, 1, 1);
    const deadline = isoAfter(NOW, -1);
    const waiting = { ...bakeFailed(), rollback: { stage: 'scaling-up-old' as const, deadline, checks: 60 } };

    // Act
    const error = await failure(handler(waiting));

    // Assert
    expect(error).toBeInstanceOf(RollbackFailedError);
    expect(error.message).toBe(
      `cannot move traffic back: blue runs 1/3 tasks with 1/3 healthy targets at ${deadline}; production stays at blue 0 % / green 100 %`,
    );
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('sends the same commands when it runs twice', async () => {
    // Arrange
    const sent = () =>
      [...ecsMock.calls(), ...elbMock.calls(), ...dynamoMock.calls()]
        .filter((call) => !isPhaseBookkeeping(call.args[0].input))
        .map((call) => [call.args[0].constructor.name, call.args[0].input]);
    await handler(bakeFailed());
    const first = sent();
    for (const mock of [ecsMock, elbMock, dynamoMock]) mock.resetHistory();

    // Act
    const state = await handler(bakeFailed());

    // Assert
    expect(first.map(([name]) => name)).toEqual([
      'DescribeServicesCommand',
      'UpdateServiceCommand',
      'DescribeListenersCommand',
      'DescribeTargetHealthCommand',
      'DescribeListenersCommand',
      'ModifyListenerCommand',
      'GetCommand',
      'GetCommand',
      // The move back, appended to the weight history.
      'UpdateCommand',
      'UpdateCommand',
      'DeleteCommand',
    ]);
    expect(sent()).toEqual(first);
    expect(state.outcome?.status).toBe('ROLLED_BACK');
  });

  describe('when this deployment no longer holds the lock', () => {
    const OTHER_ID = 'web-20250304-103000-4c5d';

    function givenLockOf(deploymentId: string | undefined) {
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
        .resolves(deploymentId ? { Item: { ...LOCK_KEY, ...lockItem({ deploymentId, executionArn: EXECUTION_ARN }) } } : {});
    }

    function givenRecord(status: string, outcomeReason?: string) {
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true }).resolves({
        Item: { ...RECORD_KEY, ...recordItem({ deploymentId: DEPLOYMENT_ID, status, ...(outcomeReason ? { outcomeReason } : {}) }) },
      });
    }

    it.each([
      ['nobody holds the lock', undefined, 'nobody holds the lock of web'],
      ['another deployment took the lock since', OTHER_ID, `deployment ${OTHER_ID} holds the lock of web`],
    ])('touches nothing and ends with the outcome of a record that already ended when %s', async (_case, holder, lockNow) => {
      // Arrange: the backstop's recovery closed the deployment and freed the lock.
      givenLockOf(holder);
      givenRecord('ROLLED_BACK', 'ExecutionAborted: stopped');

      // Act
      const state = await handler(bakeFailed());

      // Assert
      expect({ rollback: state.rollback, outcome: state.outcome }).toEqual({
        rollback: { stage: 'done', deadline: isoAfter(NOW, 900), checks: 0 },
        outcome: {
          status: 'ROLLED_BACK',
          error: 'DeploymentAlreadyEnded',
          cause: `deployment ${DEPLOYMENT_ID} already ended ROLLED_BACK (ExecutionAborted: stopped); ${lockNow}, so this execution changed nothing`,
        },
      });
      expect(elbMock).not.toHaveReceivedAnyCommand();
      expect(ecsMock).not.toHaveReceivedAnyCommand();
      expect(recordUpdates()).toEqual([]);
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
    });

    it('touches nothing, writes nothing and ends LockTransferred when a recovery execution of this deployment holds the lock', async () => {
      // Arrange: a redrive of the original while the backstop's recovery (the lock was transferred to it) works.
      const recoveryArn = `${EXECUTION_ARN}-recovery-1`;
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
        .resolves({ Item: { ...LOCK_KEY, ...lockItem({ deploymentId: DEPLOYMENT_ID, executionArn: recoveryArn }) } });

      // Act
      const state = await handler(bakeFailed());

      // Assert
      expect({ rollback: state.rollback, outcome: state.outcome }).toEqual({
        rollback: { stage: 'done', deadline: isoAfter(NOW, 900), checks: 0 },
        outcome: {
          status: 'ROLLED_BACK',
          error: 'LockTransferred',
          cause: `execution ${recoveryArn} holds the lock of web for deployment ${DEPLOYMENT_ID} and rolls it back; this execution changed nothing`,
        },
      });
      expect(elbMock).not.toHaveReceivedAnyCommand();
      expect(ecsMock).not.toHaveReceivedAnyCommand();
      expect(recordUpdates()).toEqual([]);
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
    });

    it('says so when the ended record gives no reason', async () => {
      // Arrange
      givenLockOf(undefined);
      givenRecord('SUCCEEDED');

      // Act
      const state = await handler(bakeFailed());

      // Assert
      expect(state.outcome).toEqual({
        status: 'SUCCEEDED',
        error: 'DeploymentAlreadyEnded',
        cause: `deployment ${DEPLOYMENT_ID} already ended SUCCEEDED (no reason recorded); nobody holds the lock of web, so this execution changed nothing`,
      });
    });

    it('records ROLLBACK_FAILED without touching traffic when another deployment took the lock while this one was in flight', async () => {
      // Arrange
      givenLockOf(OTHER_ID);
      givenRecord('IN_PROGRESS');

      // Act
      const state = await handler(bakeFailed());

      // Assert
      const cause = `deployment ${DEPLOYMENT_ID} lost its lock while in flight (deployment ${OTHER_ID} holds the lock of web); the rollback did not touch traffic. Check the listener weights of web.`;
      expect({ rollback: state.rollback, outcome: state.outcome }).toEqual({
        rollback: { stage: 'done', deadline: isoAfter(NOW, 900), checks: 0 },
        outcome: { status: 'ROLLBACK_FAILED', error: 'LockLostError', cause },
      });
      expect(elbMock).not.toHaveReceivedAnyCommand();
      expect(ecsMock).not.toHaveReceivedAnyCommand();
      const updates = recordUpdates();
      expect(updates).toHaveLength(1);
      expect(updates[0]?.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      );
      expect(updatedFields(updates[0])).toMatchObject({
        status: 'ROLLBACK_FAILED',
        outcomeReason: `LockLostError: ${cause}`,
        failedPhase: 'Check bake',
        evidence: ['failed in: Check bake', `rollback: not attempted, deployment ${OTHER_ID} holds the lock of web`],
      });
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
    });

    it('records ROLLBACK_FAILED naming nobody when the lock is free but the record still runs', async () => {
      // Arrange
      givenLockOf(undefined);
      givenRecord('IN_PROGRESS');

      // Act
      const state = await handler(bakeFailed());

      // Assert
      expect(state.outcome).toEqual({
        status: 'ROLLBACK_FAILED',
        error: 'LockLostError',
        cause: `deployment ${DEPLOYMENT_ID} lost its lock while in flight (nobody holds the lock of web); the rollback did not touch traffic. Check the listener weights of web.`,
      });
      expect(elbMock).not.toHaveReceivedAnyCommand();
      expect(ecsMock).not.toHaveReceivedAnyCommand();
    });
  });
});
