import { ClusterNotFoundException, DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeploymentControllerError, ListenerSplitError, ResourceMissingError } from '../../../../lambdas/shared/errors.ts';
import { productionListenerOf, targetGroupOf } from '../../../../lambdas/shared/service-resources.ts';
import { handler } from '../../../../lambdas/validate/index.ts';
import { failure, listenerWith } from '../../../support/aws.ts';
import {
  ACCOUNT,
  IDLE_TASK_DEFINITION_ARN,
  initialState,
  LIVE_COUNT,
  LIVE_TASK_DEFINITION_ARN,
  OLD_IMAGE_URI,
} from '../../../support/state.ts';
import { arrangeEveryCheckPasses, ecsMock, elbMock, LIVE_SECRET_VERSION_ID, secretArn, web } from '../../../support/validate.ts';

describe('validate: services, target groups, listener and live task definition', () => {
  beforeEach(() => {
    // Arrange (shared): an account in which every check passes.
    arrangeEveryCheckPasses();
  });

  it('records what blue runs as the previous release', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.previous).toEqual({
      taskDefinitionArn: LIVE_TASK_DEFINITION_ARN,
      desiredCount: LIVE_COUNT,
      image: OLD_IMAGE_URI,
      idleTaskDefinitionArn: IDLE_TASK_DEFINITION_ARN,
      idleDesiredCount: 0,
      secrets: [{ arn: secretArn, versionId: LIVE_SECRET_VERSION_ID, keys: ['DATABASE_URL'] }],
    });
  });

  it('fails with ResourceMissingError when DescribeServices reports the idle service MISSING', async () => {
    // Arrange
    ecsMock.on(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] }).resolves({
      services: [],
      failures: [{ arn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/web-green`, reason: 'MISSING' }],
    });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe('ECS service web-green not found in cluster prod (MISSING)');
  });

  it('refuses a service that CodeDeploy deploys: Baton needs the ECS deployment controller', async () => {
    // Arrange
    ecsMock.on(DescribeServicesCommand, { cluster: 'prod', services: ['web-green'] }).resolves({
      services: [{ serviceName: 'web-green', status: 'ACTIVE', deploymentController: { type: 'CODE_DEPLOY' } }],
      failures: [],
    });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(DeploymentControllerError);
    expect(error.message).toBe(
      'ECS service web-green uses the CODE_DEPLOY deployment controller (CodeDeploy deploys it and moves its traffic); Baton needs the ECS deployment controller',
    );
  });

  it('fails with ResourceMissingError when the cluster does not exist', async () => {
    // Arrange
    ecsMock.on(DescribeServicesCommand).rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe('ECS cluster prod not found');
  });

  it('fails with ResourceMissingError when a target group does not exist', async () => {
    // Arrange
    elbMock
      .on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupOf(web.green) })
      .rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe(`target group ${targetGroupOf(web.green)} not found`);
  });

  it('fails with ListenerSplitError when the listener is split', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] })
      .resolves(listenerWith(web, { blue: 50, green: 50 }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(error.message).toContain('split blue 50 % / green 50 %');
  });

  it('fails with ListenerSplitError when the live colour changed since initialize', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] })
      .resolves(listenerWith(web, { blue: 0, green: 100 }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(error.message).toBe('the live colour changed from blue to green since the deployment started');
  });

  it('fails with ResourceMissingError when the configured container is not in the live task definition', async () => {
    // Arrange
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TASK_DEFINITION_ARN }).resolves({
      taskDefinition: {
        taskDefinitionArn: LIVE_TASK_DEFINITION_ARN,
        family: 'web',
        containerDefinitions: [{ name: 'app', image: OLD_IMAGE_URI }],
      },
    });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe(`container "web" (config containerName) is not in task definition ${LIVE_TASK_DEFINITION_ARN}`);
  });
});
