/**
 * A worker's traffic step waits for the tasks it raised before it lowers the
 * old colour: up to the whole invocation. If, meanwhile, the deployment lost
 * its lock (an operator's `baton abort`, and the backstop's recovery took the
 * lock to roll back), the step must not lower the old colour behind the
 * recovery's back: the lock is checked again before the lowering.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LockLostError } from '../../../lambdas/shared/errors.ts';
import { VerifiedStateSchema } from '../../../lambdas/shared/stages.ts';
import { applyNextStep } from '../../../lambdas/shared/traffic.ts';
import { alarms, conditionFailed, isLeaseRenewal, rejectByDefault, UNEXPECTED } from '../../support/aws.ts';
import { lockItem } from '../../support/items.ts';
import { asWorker, LIVE_COUNT, NOW, RELEASE_TASK_DEFINITION_ARN, stateAfter } from '../../support/state.ts';

vi.mock('../../../lambdas/shared/time.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../lambdas/shared/time.ts')>()),
  sleep: (await import('../../support/sleep.ts')).sleepOnFakeClock,
}));

describe("a worker's step whose lock a recovery took while its raised tasks started", () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const cloudwatchMock = mockClient(CloudWatchClient);
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(ecsMock, elbMock, cloudwatchMock, dynamoMock);
    cloudwatchMock.on(DescribeAlarmsCommand).resolves(alarms(['jobs-queue-age']));
    // Green's raised tasks run at once; blue runs its count.
    ecsMock.on(DescribeServicesCommand).callsFake(() => {
      const updates = ecsMock.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input);
      const desired = (name: string, start: number) => updates.filter((input) => input.service === name).at(-1)?.desiredCount ?? start;
      const green = desired('jobs-green', 0);
      return {
        services: [
          { serviceName: 'jobs-blue', status: 'ACTIVE', desiredCount: desired('jobs-blue', LIVE_COUNT), runningCount: LIVE_COUNT },
          {
            serviceName: 'jobs-green',
            status: 'ACTIVE',
            desiredCount: green,
            runningCount: green,
            deployments: [
              {
                status: 'PRIMARY',
                taskDefinition: RELEASE_TASK_DEFINITION_ARN,
                desiredCount: green,
                runningCount: green,
                rolloutState: 'COMPLETED',
              },
            ],
          },
        ],
      };
    });
    ecsMock.on(UpdateServiceCommand).resolves({});
    // The recovery holds the lock now: this execution's lease renewal is refused.
    dynamoMock.on(UpdateCommand).callsFake((input: object) => {
      if (isLeaseRenewal(input)) throw conditionFailed();
      throw new Error(UNEXPECTED);
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('fails with LockLostError, green raised and blue never lowered', async () => {
    // Arrange
    const state = VerifiedStateSchema.parse(asWorker(stateAfter('verify')));
    dynamoMock.on(GetCommand).resolves({
      Item: {
        pk: `LOCK#${state.service.name}`,
        sk: 'LOCK',
        ...lockItem({ service: state.service.name, deploymentId: state.deploymentId, executionArn: `${state.executionArn}-recovery-1` }),
      },
    });

    // Act
    const step = applyNextStep(state, NOW, 'shiftTraffic');

    // Assert
    await expect(step).rejects.toThrow(LockLostError);
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'prod', service: 'jobs-green', desiredCount: LIVE_COUNT },
    ]);
  });
});
