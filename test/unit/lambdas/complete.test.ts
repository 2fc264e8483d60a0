import {
  ApplicationAutoScalingClient,
  ValidationException as ApplicationAutoScalingValidationException,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { ECSClient, ServiceNotActiveException, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/complete/index.ts';
import { GateFailedError } from '../../../lambdas/shared/errors.ts';
import { productionListenerOf, targetGroupOf } from '../../../lambdas/shared/service-resources.ts';
import {
  allowLeaseRenewals,
  failure,
  isPhaseBookkeeping,
  listenerWith,
  rejectByDefault,
  targets,
  updatedFields,
} from '../../support/aws.ts';
import { arrangeFiringAlarm, arrangePassingGates } from '../../support/gates.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NOW, RELEASE_TASK_DEFINITION_ARN, service, stateAfter } from '../../support/state.ts';

const TABLE = 'baton-test-deployments';
const web = service();
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const REASON = 'v1.4.2 live on green (web-green) after a 300 s bake';

describe('complete', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const cloudwatchMock = mockClient(CloudWatchClient);
  const gates = { ecs: ecsMock, elb: elbMock, cloudwatch: cloudwatchMock };

  /** The UpdateCommands complete sent to the record, leaving out the phase tracking and lease renewal of the wrapper. */
  function recordUpdates() {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => !isPhaseBookkeeping(input));
  }

  beforeEach(() => {
    // Arrange (shared): green carries 100 % and the bake is over.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(ecsMock, elbMock, dynamoMock, cloudwatchMock);
    allowLeaseRenewals(dynamoMock);
    arrangePassingGates(gates);
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] })
      .resolves(listenerWith(web, { blue: 0, green: 100 }));
    ecsMock.on(UpdateServiceCommand, { cluster: 'prod', service: 'web-blue', desiredCount: 0 }).resolves({});
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
    dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('scales the old colour to 0 tasks', async () => {
    // Arrange: green live (beforeEach).

    // Act
    await handler(stateAfter('bake'));

    // Assert
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: 'prod', service: 'web-blue', desiredCount: 0 });
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  });

  it('finishes the record as SUCCEEDED with a conditional update', async () => {
    // Arrange: green live (beforeEach).

    // Act
    await handler(stateAfter('bake'));

    // Assert
    const updates = recordUpdates();
    expect(updates).toHaveLength(1);
    const [update] = updates;
    expect(update?.ConditionExpression).toBe(
      'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
    );
    expect(update?.ExpressionAttributeNames).toMatchObject({ '#f_status': 'status', '#r0': 'awaitingPromotion' });
    // An ended deployment waits for no promotion, whichever way it ended.
    expect(update?.UpdateExpression).toMatch(/ REMOVE #r0$/);
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':running': 'IN_PROGRESS' });
    expect(update?.ExpressionAttributeValues).not.toHaveProperty(':same');
    expect(update?.ReturnValues).toBe('ALL_NEW');
    expect(updatedFields(update)).toMatchObject({
      status: 'SUCCEEDED',
      outcomeReason: REASON,
      newTaskDefinitionArn: RELEASE_TASK_DEFINITION_ARN,
      evidence: [],
      warnings: [],
      endedAt: NOW,
      expiresAt: Math.floor(Date.parse(NOW) / 1000) + 400 * 86_400,
    });
  });

  it('releases the lock only if this deployment holds it', async () => {
    // Arrange: green live (beforeEach).

    // Act
    await handler(stateAfter('bake'));

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: LOCK_KEY,
      ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
      ExpressionAttributeValues: { ':me': DEPLOYMENT_ID, ':execution': EXECUTION_ARN },
    });
  });

  it('reports SUCCEEDED as the outcome', async () => {
    // Arrange: green live (beforeEach).

    // Act
    const state = await handler(stateAfter('bake'));

    // Assert
    expect(state.outcome).toEqual({ status: 'SUCCEEDED', error: 'None', cause: REASON });
  });

  it('turns a failed scale-down into a warning and still succeeds', async () => {
    // Arrange
    ecsMock
      .on(UpdateServiceCommand, { cluster: 'prod', service: 'web-blue' })
      .rejects(new ServiceNotActiveException({ message: 'Service was not ACTIVE.', $metadata: { httpStatusCode: 400 } }));

    // Act
    const state = await handler(stateAfter('bake'));

    // Assert
    const warning = 'could not scale web-blue to 0: ServiceNotActiveException: Service was not ACTIVE.';
    expect({ outcome: state.outcome?.status, warnings: state.warnings }).toEqual({ outcome: 'SUCCEEDED', warnings: [warning] });
    expect(updatedFields(recordUpdates()[0])).toMatchObject({
      status: 'SUCCEEDED',
      warnings: [warning],
    });
  });

  describe('with autoscaling', () => {
    const scalingMock = mockClient(ApplicationAutoScalingClient);
    const nothing = { dynamicScalingIn: false, dynamicScalingOut: false, scheduledScaling: false };
    const policies = [{ name: 'cpu-60', type: 'TargetTrackingScaling' as const, targetTracking: { TargetValue: 60 } }];
    const scaled = () => {
      const baked = stateAfter('bake');
      return {
        ...baked,
        scaling: {
          before: {
            blue: { registered: true as const, min: 2, max: 10, suspended: nothing, policies },
            green: { registered: true as const, min: 0, max: 0, suspended: nothing, policies },
          },
          changes: ['deploy: web-blue: scale-in suspended'],
        },
      };
    };

    beforeEach(() => {
      rejectByDefault(scalingMock);
      scalingMock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    });

    it('leaves a refused settlement of the scaling as a warning and still succeeds', async () => {
      // Arrange
      scalingMock
        .on(RegisterScalableTargetCommand)
        .rejects(new ApplicationAutoScalingValidationException({ message: 'not authorized to perform ecs:UpdateService', $metadata: {} }));

      // Act
      const state = await handler(scaled());

      // Assert
      expect(state.outcome?.status).toBe('SUCCEEDED');
      expect(state.warnings).toEqual([
        'could not settle the colours\' scaling (ValidationException: not authorized to perform ecs:UpdateService): web-green may still have scale-in suspended and web-blue its min and max; see "baton status web" for what it had before',
      ]);
    });

    it('throws a throttled settlement for the Task to retry, before it writes anything', async () => {
      // Arrange
      scalingMock
        .on(RegisterScalableTargetCommand)
        .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

      // Act
      const error = await failure(handler(scaled()));

      // Assert
      expect(error.name).toBe('TransientAwsError');
      expect(recordUpdates()).toEqual([]);
    });
  });

  it('succeeds again when a retry finds the lock already released', async () => {
    // Arrange
    dynamoMock
      .on(DeleteCommand, { TableName: TABLE, Key: LOCK_KEY })
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const state = await handler(stateAfter('bake'));

    // Assert
    expect(state.outcome?.status).toBe('SUCCEEDED');
  });

  it('fails with GateFailedError and keeps the old colour when the listener is not 100 % on the new colour', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] })
      .resolves(listenerWith(web, { blue: 10, green: 90 }));

    // Act
    const error = await failure(handler(stateAfter('bake')));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toContain('production is at blue 10 % / green 90 % after the bake; expected 100 % on green');
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(dynamoMock.calls().filter((call) => !isPhaseBookkeeping(call.args[0].input))).toHaveLength(0);
  });
  it.each([
    ['an alarm fires', () => arrangeFiringAlarm(gates, 'web-5xx-rate'), 'alarm web-5xx-rate is ALARM'],
    [
      'the new colour has no healthy target',
      () => elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupOf(web.green) }).resolves(targets(0)),
      'has 0/3 healthy targets',
    ],
  ])('reads the gates once more and keeps the old colour running when %s right before retiring it', async (_case, arrange, signal) => {
    // Arrange
    arrange();

    // Act
    const error = await failure(handler(stateAfter('bake')));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toContain('gate failed before retiring blue (green at 100 %): ');
    expect(error.message).toContain(signal);
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(dynamoMock.calls().filter((call) => !isPhaseBookkeeping(call.args[0].input))).toHaveLength(0);
  });

  it('fails with the lock release after writing SUCCEEDED when the lock delete is denied (Roll back then only releases it)', async () => {
    // Arrange
    dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(
      new DynamoDBServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not authorized to perform: dynamodb:DeleteItem',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const error = await failure(handler(stateAfter('bake')));

    // Assert
    expect(`${error.name}: ${error.message}`).toBe('AccessDeniedException: not authorized to perform: dynamodb:DeleteItem');
    expect(updatedFields(recordUpdates()[0])).toMatchObject({ status: 'SUCCEEDED' });
  });
});
