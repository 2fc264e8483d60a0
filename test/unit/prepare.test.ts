import {
  ClientException,
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../lambdas/prepare/index.ts';
import { TaskDefinitionRegistrationError } from '../../lambdas/shared/errors.ts';
import { failure, rejectByDefault, updatedFields } from '../fixtures/aws.ts';
import {
  DEPLOYMENT_ID,
  LIVE_TASK_DEFINITION_ARN,
  NEW_IMAGE_URI,
  OLD_IMAGE_URI,
  RELEASE_TASK_DEFINITION_ARN,
  SECRET_VERSION_ID,
  service,
  stateAfter,
} from '../fixtures/state.ts';

const TABLE = 'baton-test-deployments';
const web = service();
const secretArn = web.appConfig?.secretArn ?? '';
const UNMANAGED_SECRET = { name: 'STRIPE_KEY', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/stripe-Qw12Er' };
const SIDECAR: ContainerDefinition = {
  name: 'log-router',
  image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
  essential: false,
  firelensConfiguration: { type: 'fluentbit' },
};

function liveTaskDefinition(fields: Partial<TaskDefinition> = {}): TaskDefinition {
  return {
    taskDefinitionArn: LIVE_TASK_DEFINITION_ARN,
    family: 'web',
    revision: 41,
    status: 'ACTIVE',
    taskRoleArn: web.taskRoleArn,
    executionRoleArn: web.executionRoleArn,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    cpu: '512',
    memory: '1024',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    containerDefinitions: [
      {
        name: 'web',
        image: OLD_IMAGE_URI,
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
        environment: [
          { name: 'PORT', value: '8080' },
          { name: 'LOG_LEVEL', value: 'debug' },
        ],
        secrets: [{ name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::0ld-version` }, UNMANAGED_SECRET],
      },
      SIDECAR,
    ],
    ...fields,
  };
}

describe('prepare', () => {
  const ecsMock = mockClient(ECSClient);
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    // Arrange (shared): blue's task definition is also the newest revision of the family.
    rejectByDefault(ecsMock, dynamoMock);
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TASK_DEFINITION_ARN, include: ['TAGS'] })
      .resolves({ taskDefinition: liveTaskDefinition(), tags: [] });
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'web', include: ['TAGS'] })
      .resolves({ taskDefinition: liveTaskDefinition(), tags: [] });
    ecsMock
      .on(RegisterTaskDefinitionCommand, { family: 'web' })
      .resolves({ taskDefinition: { taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN, family: 'web', revision: 42 } });
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' } }).resolves({});
  });

  it('registers the live task definition with the new image by digest and the secrets pinned to the version', async () => {
    // Arrange: the live task definition (beforeEach).

    // Act
    await handler(stateAfter('validate'));

    // Assert
    expect(ecsMock).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, {
      family: 'web',
      taskRoleArn: web.taskRoleArn,
      executionRoleArn: web.executionRoleArn,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      containerDefinitions: [
        {
          name: 'web',
          image: NEW_IMAGE_URI,
          essential: true,
          portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
          environment: [{ name: 'PORT', value: '8080' }],
          secrets: [
            UNMANAGED_SECRET,
            { name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::${SECRET_VERSION_ID}` },
            { name: 'LOG_LEVEL', valueFrom: `${secretArn}:LOG_LEVEL::${SECRET_VERSION_ID}` },
            { name: 'SESSION_SECRET', valueFrom: `${secretArn}:SESSION_SECRET::${SECRET_VERSION_ID}` },
            { name: 'WORKER_CONCURRENCY', valueFrom: `${secretArn}:WORKER_CONCURRENCY::${SECRET_VERSION_ID}` },
          ],
        },
        SIDECAR,
      ],
      tags: [{ key: 'baton:deployment-id', value: DEPLOYMENT_ID }],
    });
  });

  it('returns the registered revision as the release', async () => {
    // Arrange: the live task definition (beforeEach).

    // Act
    const state = await handler(stateAfter('validate'));

    // Assert
    expect(state.release).toEqual({ taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN });
  });

  it('writes the new task definition ARN into the deployment record', async () => {
    // Arrange: the live task definition (beforeEach).

    // Act
    await handler(stateAfter('validate'));

    // Assert
    const update = dynamoMock.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ConditionExpression).toBe('attribute_exists(pk)');
    expect(updatedFields(update)).toEqual({ newTaskDefinitionArn: RELEASE_TASK_DEFINITION_ARN, resume: expect.any(String) });
  });

  it('reuses the revision an earlier attempt of the same deployment registered, without registering again', async () => {
    // Arrange
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web', include: ['TAGS'] }).resolves({
      taskDefinition: {
        taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN,
        family: 'web',
        revision: 42,
        containerDefinitions: [{ name: 'web', image: NEW_IMAGE_URI }, SIDECAR],
      },
      tags: [{ key: 'baton:deployment-id', value: DEPLOYMENT_ID }],
    });

    // Act
    const state = await handler(stateAfter('validate'));

    // Assert
    expect(state.release).toEqual({ taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('registers again when the newest revision was tagged by another deployment', async () => {
    // Arrange
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web', include: ['TAGS'] }).resolves({
      taskDefinition: {
        taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN,
        family: 'web',
        containerDefinitions: [{ name: 'web', image: NEW_IMAGE_URI }],
      },
      tags: [{ key: 'baton:deployment-id', value: 'web-20250301-080000-aaaa' }],
    });

    // Act
    await handler(stateAfter('validate'));

    // Assert
    expect(ecsMock).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
  });

  it('fails with TaskDefinitionRegistrationError when the live task role is not the configured one', async () => {
    // Arrange
    const otherRole = 'arn:aws:iam::123456789012:role/legacy-web-task';
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TASK_DEFINITION_ARN, include: ['TAGS'] })
      .resolves({ taskDefinition: liveTaskDefinition({ taskRoleArn: otherRole }), tags: [] });

    // Act
    const error = await failure(handler(stateAfter('validate')));

    // Assert
    expect(error).toBeInstanceOf(TaskDefinitionRegistrationError);
    expect(error.message).toBe(
      `task definition ${LIVE_TASK_DEFINITION_ARN} uses taskRoleArn ${otherRole}, but the config allows ${web.taskRoleArn}; update taskRoleArn in the config`,
    );
  });

  it('registers nothing when the live task role is not the configured one', async () => {
    // Arrange
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TASK_DEFINITION_ARN, include: ['TAGS'] })
      .resolves({ taskDefinition: liveTaskDefinition({ executionRoleArn: 'arn:aws:iam::123456789012:role/other-execution' }), tags: [] });

    // Act
    await failure(handler(stateAfter('validate')));

    // Assert
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('turns a ClientException from RegisterTaskDefinition into TaskDefinitionRegistrationError', async () => {
    // Arrange
    ecsMock
      .on(RegisterTaskDefinitionCommand, { family: 'web' })
      .rejects(new ClientException({ message: 'Too many revisions of family web', $metadata: { httpStatusCode: 400 } }));

    // Act
    const error = await failure(handler(stateAfter('validate')));

    // Assert
    expect(error).toBeInstanceOf(TaskDefinitionRegistrationError);
    expect(error.message).toBe('RegisterTaskDefinition for web failed: ClientException: Too many revisions of family web');
  });
});
