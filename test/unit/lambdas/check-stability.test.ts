import { type Deployment, DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/check-stability/index.ts';
import { DeploymentFailedError, StabilityTimeoutError } from '../../../lambdas/shared/errors.ts';
import { allowLeaseRenewals, ecsService, failure, rejectByDefault, targets } from '../../support/aws.ts';
import { lambdaContext } from '../../support/sleep.ts';
import {
  IDLE_TASK_DEFINITION_ARN,
  isoAfter,
  LIVE_COUNT,
  NOW,
  RELEASE_TASK_DEFINITION_ARN,
  service,
  stateAfter,
} from '../../support/state.ts';

vi.mock('../../../lambdas/shared/time.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../lambdas/shared/time.ts')>()),
  sleep: (await import('../../support/sleep.ts')).sleepOnFakeClock,
}));

const web = service();
const STOPPED_TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0f9e8d7c6b5a49382716';

describe('check stability', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  // The phase tracking of definePhase writes to the record: no DynamoDB call leaves the test.
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  function primary(fields: Partial<Deployment>, events: string[] = []) {
    ecsMock.on(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] }).resolves(
      ecsService('web-green', {
        taskDefinition: RELEASE_TASK_DEFINITION_ARN,
        desiredCount: LIVE_COUNT,
        runningCount: fields.runningCount ?? LIVE_COUNT,
        deployments: [
          {
            id: 'ecs-svc/1234567890',
            status: 'PRIMARY',
            taskDefinition: RELEASE_TASK_DEFINITION_ARN,
            desiredCount: LIVE_COUNT,
            runningCount: LIVE_COUNT,
            failedTasks: 0,
            rolloutState: 'COMPLETED',
            ...fields,
          },
        ],
        events: events.map((message, i) => ({ id: `event-${i}`, message })),
      }),
    );
  }

  function stoppedTask() {
    ecsMock
      .on(ListTasksCommand, { cluster: 'prod', serviceName: 'web-green', desiredStatus: 'STOPPED', maxResults: 100 })
      .resolves({ taskArns: [STOPPED_TASK] });
    ecsMock.on(DescribeTasksCommand, { cluster: 'prod', tasks: [STOPPED_TASK] }).resolves({
      tasks: [
        {
          taskArn: STOPPED_TASK,
          taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN,
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          containers: [{ name: 'web', exitCode: 1, reason: 'Error: DATABASE_URL refused connection' }],
        },
      ],
    });
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(isoAfter(NOW, 60)));
    rejectByDefault(ecsMock, elbMock, dynamoMock);
    allowLeaseRenewals(dynamoMock);
    primary({});
    elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: web.green.targetGroupArn }).resolves(targets(LIVE_COUNT));
    ecsMock
      .on(ListTasksCommand, { cluster: 'prod', serviceName: 'web-green', desiredStatus: 'STOPPED', maxResults: 100 })
      .resolves({ taskArns: [] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports stable when the rollout completed at full count with every target healthy', async () => {
    // Arrange: COMPLETED, 3/3 running, 3 healthy targets (beforeEach).

    // Act
    const state = await handler(stateAfter('deploy'));

    // Assert
    expect(state.rollout).toEqual({ ...stateAfter('deploy').rollout, checks: 1, stable: true, stableAt: isoAfter(NOW, 60) });
  });

  it('looks every 15 s inside its invocation until the rollout is stable, stable from that look on', async () => {
    // Arrange: in progress until 90 s, then COMPLETED
    const inProgress = () => Date.now() < Date.parse(isoAfter(NOW, 90));
    ecsMock.on(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] }).callsFake(() =>
      ecsService('web-green', {
        taskDefinition: RELEASE_TASK_DEFINITION_ARN,
        deployments: [
          {
            status: 'PRIMARY',
            taskDefinition: RELEASE_TASK_DEFINITION_ARN,
            runningCount: LIVE_COUNT,
            failedTasks: 0,
            rolloutState: inProgress() ? 'IN_PROGRESS' : 'COMPLETED',
          },
        ],
      }),
    );

    // Act
    const state = await handler(stateAfter('deploy'), lambdaContext(900));

    // Assert: looks at 60, 75 and 90 s
    expect(state.rollout).toEqual({ ...stateAfter('deploy').rollout, checks: 3, stable: true, stableAt: isoAfter(NOW, 90) });
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeServicesCommand, 3);
  });

  it("returns not yet stable when the invocation's time runs out first, keeping 30 s for itself", async () => {
    // Arrange: 90 s of invocation, less the 30 s margin: looks until 120 s
    primary({ rolloutState: 'IN_PROGRESS', runningCount: 1 });
    const deployed = stateAfter('deploy');

    // Act
    const state = await handler(deployed, lambdaContext(90));

    // Assert: looks at 60, 75, 90, 105 and 120 s
    expect(state).toEqual({ ...deployed, rollout: { ...deployed.rollout, checks: 5, stable: false } });
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 120));
  });

  it('reads the idle service and its target group', async () => {
    // Arrange: stable (beforeEach).

    // Act
    await handler(stateAfter('deploy'));

    // Assert
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] });
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: web.green.targetGroupArn });
  });

  it('reports not yet stable after one look while the rollout is in progress, without a Lambda context', async () => {
    // Arrange
    primary({ rolloutState: 'IN_PROGRESS', runningCount: 1 });
    elbMock
      .on(DescribeTargetHealthCommand, { TargetGroupArn: web.green.targetGroupArn })
      .resolves(targets(1, [{ id: '10.0.2.7', state: 'initial', reason: 'Elb.RegistrationInProgress' }]));
    const deployed = stateAfter('deploy');

    // Act
    const state = await handler(deployed);

    // Assert
    expect(state).toEqual({ ...deployed, rollout: { ...deployed.rollout, checks: 1, stable: false } });
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeServicesCommand, 1);
  });

  it('reports not yet stable while a target is unhealthy even though the rollout completed', async () => {
    // Arrange
    elbMock
      .on(DescribeTargetHealthCommand, { TargetGroupArn: web.green.targetGroupArn })
      .resolves(targets(2, [{ id: '10.0.2.8', state: 'unhealthy', reason: 'Target.Timeout' }]));

    // Act
    const state = await handler(stateAfter('deploy'));

    // Assert
    expect(state.rollout?.stable).toBe(false);
  });

  it('fails with DeploymentFailedError carrying the rollout reason and the stopped task reason when the circuit breaker fires', async () => {
    // Arrange
    primary({ rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.', failedTasks: 2 });
    stoppedTask();

    // Act
    const error = await failure(handler(stateAfter('deploy')));

    // Assert
    expect(error).toBeInstanceOf(DeploymentFailedError);
    expect(error.message).toContain('circuit breaker fired for web-green: ECS deployment circuit breaker: tasks failed to start.');
    expect(error.message).toContain(
      'task 0f9e8d7c6b5a49382716 stopped (EssentialContainerExited: Essential container in task exited; container web exit 1 Error: DATABASE_URL refused connection)',
    );
  });

  it('fails with DeploymentFailedError when three tasks of the release failed to start', async () => {
    // Arrange
    primary({ rolloutState: 'IN_PROGRESS', failedTasks: 3, runningCount: 0 });
    stoppedTask();

    // Act
    const error = await failure(handler(stateAfter('deploy')));

    // Assert
    expect(error).toBeInstanceOf(DeploymentFailedError);
    expect(error.message).toContain(`3 tasks of ${RELEASE_TASK_DEFINITION_ARN} failed to start on web-green`);
  });

  it('accepts a rollout ECS completed even after three tasks failed on the way', async () => {
    // Arrange
    primary({ rolloutState: 'COMPLETED', failedTasks: 3 });

    // Act
    const state = await handler(stateAfter('deploy'));

    // Assert
    expect(state.rollout?.stable).toBe(true);
  });

  it('tolerates two failed tasks while the rollout goes on', async () => {
    // Arrange
    primary({ rolloutState: 'IN_PROGRESS', failedTasks: 2, runningCount: 1 });

    // Act
    const state = await handler(stateAfter('deploy'));

    // Assert
    expect(state.rollout?.stable).toBe(false);
  });

  it('fails with StabilityTimeoutError once the deadline has passed without a steady state', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 901)));
    primary({ rolloutState: 'IN_PROGRESS', runningCount: 2 }, ['(service web-green) has started 1 tasks: (task 1a2b).']);

    // Act
    const error = await failure(handler(stateAfter('deploy')));

    // Assert
    expect(error).toBeInstanceOf(StabilityTimeoutError);
    expect(error.message).toContain(
      `web-green not stable by ${isoAfter(NOW, 900)} (stabilityTimeoutSeconds 900): rollout IN_PROGRESS, 2/3 running, 3/3 healthy targets`,
    );
    expect(error.message).toContain('(service web-green) has started 1 tasks');
  });

  it('fails with DeploymentFailedError when the primary deployment runs another task definition', async () => {
    // Arrange
    primary({ taskDefinition: IDLE_TASK_DEFINITION_ARN });

    // Act
    const error = await failure(handler(stateAfter('deploy')));

    // Assert
    expect(error).toBeInstanceOf(DeploymentFailedError);
    expect(error.message).toContain(`web-green no longer runs ${RELEASE_TASK_DEFINITION_ARN} (primary: ${IDLE_TASK_DEFINITION_ARN})`);
  });
});
