/**
 * The phases' worker paths (services[].kind "worker"): no listener and no
 * target group is read or written; the new colour starts at 0 tasks; the
 * gates ask for the new colour's share of the tasks at the current step.
 */

import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, type Service, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as checkStability } from '../../../lambdas/check-stability/index.ts';
import { handler as deploy } from '../../../lambdas/deploy/index.ts';
import { GateFailedError } from '../../../lambdas/shared/errors.ts';
import { gateFailures } from '../../../lambdas/shared/gates.ts';
import { setProductionWeights, workerCapacity } from '../../../lambdas/shared/production-weights.ts';
import { alarms, allowLeaseRenewals, rejectByDefault } from '../../support/aws.ts';
import { lambdaContext } from '../../support/sleep.ts';
import { asWorker, isoAfter, LIVE_COUNT, NOW, RELEASE_TASK_DEFINITION_ARN, stateAfter } from '../../support/state.ts';

vi.mock('../../../lambdas/shared/time.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../lambdas/shared/time.ts')>()),
  sleep: (await import('../../support/sleep.ts')).sleepOnFakeClock,
}));

function green(fields: Partial<Service>): Service {
  return {
    serviceName: 'jobs-green',
    status: 'ACTIVE',
    taskDefinition: RELEASE_TASK_DEFINITION_ARN,
    deployments: [
      {
        status: 'PRIMARY',
        taskDefinition: RELEASE_TASK_DEFINITION_ARN,
        desiredCount: fields.desiredCount ?? 0,
        runningCount: fields.runningCount ?? 0,
        rolloutState: 'COMPLETED',
      },
    ],
    ...fields,
  };
}

describe('a worker', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const cloudwatchMock = mockClient(CloudWatchClient);
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    // Any listener or target group call fails the test: a worker has neither.
    rejectByDefault(ecsMock, elbMock, cloudwatchMock, dynamoMock);
    allowLeaseRenewals(dynamoMock);
    cloudwatchMock.on(DescribeAlarmsCommand).resolves(alarms(['jobs-queue-age']));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('deploy gives the new colour the release at 0 tasks, and plans to share the live count', async () => {
    ecsMock.on(UpdateServiceCommand, { cluster: 'prod', service: 'jobs-green' }).resolves({});

    const next = await deploy(asWorker(stateAfter('prepare')));

    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: 'prod',
      service: 'jobs-green',
      taskDefinition: RELEASE_TASK_DEFINITION_ARN,
      desiredCount: 0,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
    });
    expect(next.rollout?.desiredCount).toBe(LIVE_COUNT);
    expect(workerCapacity(next)).toBe(LIVE_COUNT);
  });

  it('check stability finds the new colour stable at 0 tasks of the release, without reading any target', async () => {
    vi.setSystemTime(new Date(isoAfter(NOW, 20)));
    ecsMock.on(DescribeServicesCommand, { cluster: 'prod', services: ['jobs-green'] }).resolves({ services: [green({ desiredCount: 0 })] });

    const next = await checkStability(asWorker(stateAfter('deploy')), lambdaContext(60) as never);

    expect(next.rollout).toMatchObject({ stable: true, checks: 1 });
    expect(elbMock.calls()).toHaveLength(0);
  });

  it.each([
    [0, 0, []],
    [25, 1, []],
    [25, 0, ['ECS service jobs-green runs 0/1 tasks']],
    [100, 2, [`ECS service jobs-green runs 2/${LIVE_COUNT} tasks`]],
  ])('at %i %% its gates ask the new colour to run its share (running %i): %o', async (weight, running, failures) => {
    ecsMock
      .on(DescribeServicesCommand, { cluster: 'prod', services: ['jobs-green'] })
      .resolves({ services: [green({ desiredCount: running, runningCount: running })] });
    const state = asWorker(stateAfter('verify'));

    const found = await gateFailures({ ...state, traffic: { nextStep: 1, weight, complete: false } }, state.idle, LIVE_COUNT);

    expect(found).toEqual(failures);
    expect(elbMock.calls()).toHaveLength(0);
  });

  it('its gates name a firing alarm', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [green({})] });
    cloudwatchMock.on(DescribeAlarmsCommand).resolves(alarms(['jobs-queue-age'], { 'jobs-queue-age': 'ALARM' }));
    const state = asWorker(stateAfter('verify'));

    const found = await gateFailures(state, state.idle, LIVE_COUNT);

    expect(found).toEqual([expect.stringMatching(/^alarm jobs-queue-age is ALARM/)]);
  });

  describe('a production write that waits for raised tasks', () => {
    const state = asWorker(stateAfter('verify'));

    beforeEach(() => {
      // Green's tasks never start: the wait runs out.
      ecsMock.on(DescribeServicesCommand, { cluster: 'prod', services: ['jobs-blue', 'jobs-green'] }).callsFake(() => {
        const updates = ecsMock.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input);
        const desired = (name: string, start: number) => updates.filter((input) => input.service === name).at(-1)?.desiredCount ?? start;
        return {
          services: [
            { serviceName: 'jobs-blue', status: 'ACTIVE', desiredCount: desired('jobs-blue', LIVE_COUNT), runningCount: LIVE_COUNT },
            green({ desiredCount: desired('jobs-green', 0), runningCount: 0 }),
          ],
        };
      });
      ecsMock.on(UpdateServiceCommand).resolves({});
    });

    it('is not done, the raise made and nothing lowered, when the invocation runs out of time first', async () => {
      const written = await setProductionWeights(state, { blue: 0, green: 100 }, 'shiftTraffic', { remainingMillis: () => 90_000 });

      expect(written).toBe(false);
      expect(ecsMock.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toEqual([
        { cluster: 'prod', service: 'jobs-green', desiredCount: LIVE_COUNT },
      ]);
    });

    it('fails the gate once stabilityTimeoutSeconds have passed since the tasks were raised, in a later invocation too', async () => {
      const raisedAt = isoAfter(NOW, -890);

      await expect(
        setProductionWeights(state, { blue: 0, green: 100 }, 'shiftTraffic', { remainingMillis: () => 900_000, raisedAt }),
      ).rejects.toThrow(
        new GateFailedError('worker jobs: jobs-green runs 0/3 tasks after stabilityTimeoutSeconds (900 s); blue kept its tasks'),
      );
    });
  });
});
