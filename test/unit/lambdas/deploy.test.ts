import { ECSClient, ECSServiceException, ServiceNotFoundException, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/deploy/index.ts';
import { ServiceUpdateError, TransientAwsError } from '../../../lambdas/shared/errors.ts';
import { allowLeaseRenewals, failure, forwardAction, listenerWith, rejectByDefault } from '../../support/aws.ts';
import { isoAfter, LIVE_COUNT, NOW, RELEASE_TASK_DEFINITION_ARN, stateAfter, withTestListener } from '../../support/state.ts';

const updateInput = {
  cluster: 'prod',
  service: 'web-green',
  taskDefinition: RELEASE_TASK_DEFINITION_ARN,
  desiredCount: LIVE_COUNT,
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
};

describe('deploy', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  // The phase tracking of definePhase writes to the record: no DynamoDB call leaves the test.
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(ecsMock, elbMock, dynamoMock);
    allowLeaseRenewals(dynamoMock);
    ecsMock.on(UpdateServiceCommand, { cluster: 'prod', service: 'web-green' }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('points the idle service at the release with the live count and a reporting-only circuit breaker', async () => {
    // Arrange: UpdateService succeeds (beforeEach).

    // Act
    await handler(stateAfter('prepare'));

    // Assert
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, updateInput);
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  });

  it('points the test listener at the new colour before any production weight moves', async () => {
    // Arrange
    const state = withTestListener(stateAfter('prepare'));
    const testListenerArn = state.service.testListenerArn ?? '';
    elbMock.on(DescribeListenersCommand, { ListenerArns: [testListenerArn] }).resolves({
      Listeners: [{ ...listenerWith(state.service, { blue: 100, green: 0 }).Listeners?.[0], ListenerArn: testListenerArn }],
    });
    elbMock.on(ModifyListenerCommand, { ListenerArn: testListenerArn }).resolves({});

    // Act
    await handler(state);

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
      ListenerArn: testListenerArn,
      DefaultActions: [forwardAction(state.service, { blue: 0, green: 100 })],
    });
    expect(elbMock).not.toHaveReceivedCommandWith(ModifyListenerCommand, { ListenerArn: state.service.productionListenerArn });
  });

  it('starts at least one task when the live colour runs none', async () => {
    // Arrange
    const state = stateAfter('prepare');
    const scaledIn = { ...state, previous: state.previous && { ...state.previous, desiredCount: 0 } };

    // Act
    await handler(scaledIn);

    // Assert
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { ...updateInput, desiredCount: 1 });
  });

  it('records the rollout with its stability deadline and asks for no wait (Check stability waits inside its invocation)', async () => {
    // Arrange: UpdateService succeeds (beforeEach).

    // Act
    const state = await handler(stateAfter('prepare'));

    // Assert
    expect({ rollout: state.rollout, wait: state.wait }).toEqual({
      rollout: { desiredCount: LIVE_COUNT, deployedAt: NOW, deadline: isoAfter(NOW, 900), checks: 0, stable: false },
      wait: undefined,
    });
  });

  it('turns ServiceNotFoundException into ServiceUpdateError', async () => {
    // Arrange
    ecsMock
      .on(UpdateServiceCommand, { cluster: 'prod', service: 'web-green' })
      .rejects(new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } }));

    // Act
    const error = await failure(handler(stateAfter('prepare')));

    // Assert
    expect(error).toBeInstanceOf(ServiceUpdateError);
    expect(error.message).toBe('UpdateService web-green failed: ServiceNotFoundException: Service not found.');
  });

  it('turns ThrottlingException into TransientAwsError so the state machine retries', async () => {
    // Arrange
    ecsMock.on(UpdateServiceCommand, { cluster: 'prod', service: 'web-green' }).rejects(
      new ECSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const error = await failure(handler(stateAfter('prepare')));

    // Assert
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.message).toBe('ThrottlingException: Rate exceeded');
  });
});
