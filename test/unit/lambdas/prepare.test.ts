import {
  ClientException,
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/prepare/index.ts';
import type { ConfigDiff } from '../../../lambdas/shared/contract.ts';
import { TaskDefinitionRegistrationError } from '../../../lambdas/shared/errors.ts';
import type { DeploymentState } from '../../../lambdas/shared/stages.ts';
import { allowLeaseRenewals, failure, isPhaseBookkeeping, rejectByDefault, updatedFields } from '../../support/aws.ts';
import {
  DEPLOYMENT_ID,
  LIVE_TASK_DEFINITION_ARN,
  NEW_IMAGE_URI,
  OLD_IMAGE_URI,
  RELEASE_TASK_DEFINITION_ARN,
  REPOSITORY_URI,
  SECRET_KEYS,
  SECRET_VERSION_ID,
  service,
  stateAfter,
} from '../../support/state.ts';

const TABLE = 'baton-test-deployments';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
const web = service();
const secretArn = web.appConfig?.secretArn ?? '';
const UNMANAGED_SECRET = { name: 'STRIPE_KEY', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/stripe-Qw12Er' };
const SIDECAR: ContainerDefinition = {
  name: 'log-router',
  image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
  essential: false,
  firelensConfiguration: { type: 'fluentbit' },
};
/** What the release registered from the live task definition references: the pinned app config and the unmanaged secret. */
const RELEASE_SECRETS = [
  { arn: secretArn, versionId: SECRET_VERSION_ID, keys: SECRET_KEYS },
  { arn: UNMANAGED_SECRET.valueFrom, keys: ['STRIPE_KEY'] },
];

/** RegisterTaskDefinition as ECS answers it: revision 42 with the containers it was given. */
function registered(input: RegisterTaskDefinitionCommandInput) {
  return {
    taskDefinition: {
      taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN,
      family: input.family,
      revision: 42,
      status: 'ACTIVE' as const,
      containerDefinitions: input.containerDefinitions,
    },
  };
}

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
        secrets: [{ name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::20260801-0000-4000-8000-000000000000` }, UNMANAGED_SECRET],
      },
      SIDECAR,
    ],
    ...fields,
  };
}

function requirePrevious(state: DeploymentState): NonNullable<DeploymentState['previous']> {
  if (!state.previous) throw new Error('the state has no previous release');
  return state.previous;
}

describe('prepare', () => {
  const ecsMock = mockClient(ECSClient);
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const snsMock = mockClient(SNSClient);

  /**
   * The UpdateCommands prepare sent to the record, leaving out the phase tracking and lease renewal of the wrapper
   * and the flag of the start announcement (test/unit/lambdas/shared/telemetry/start.test.ts).
   */
  function annotations() {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => !isPhaseBookkeeping(input) && input.ExpressionAttributeNames?.['#unless'] !== 'announcedStart');
  }

  function annotation() {
    const [update] = annotations();
    if (!update) throw new Error('the record was not annotated');
    return update;
  }

  /** The inputs of every DescribeTaskDefinition call, in order. */
  function describedTaskDefinitions() {
    return ecsMock.commandCalls(DescribeTaskDefinitionCommand).map((call) => call.args[0].input);
  }

  beforeEach(() => {
    // Arrange (shared): blue's task definition is also the newest revision of the family.
    rejectByDefault(ecsMock, dynamoMock, snsMock);
    allowLeaseRenewals(dynamoMock);
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TASK_DEFINITION_ARN, include: ['TAGS'] })
      .resolves({ taskDefinition: liveTaskDefinition(), tags: [] });
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'web', include: ['TAGS'] })
      .resolves({ taskDefinition: liveTaskDefinition(), tags: [] });
    ecsMock.on(RegisterTaskDefinitionCommand, { family: 'web' }).callsFake(registered);
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' } }).resolves({});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('announces the start on the topic before it changes anything', async () => {
    // Arrange
    vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
    snsMock.on(PublishCommand, { TopicArn: TOPIC_ARN }).resolves({ MessageId: 'm-1' });

    // Act
    await handler(stateAfter('validate'));

    // Assert
    expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject)).toEqual([
      'Baton: web v1.4.2 deploying (all-at-once)',
    ]);
    const [published] = snsMock.commandCalls(PublishCommand);
    const [registration] = ecsMock.commandCalls(RegisterTaskDefinitionCommand);
    expect(registration && published?.calledBefore(registration)).toBe(true);
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

  it('returns the registered revision and the secrets its container references as the release', async () => {
    // Arrange: the live task definition (beforeEach).

    // Act
    const state = await handler(stateAfter('validate'));

    // Assert
    expect(state.release).toEqual({ taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN, secrets: RELEASE_SECRETS });
  });

  it('writes the new task definition ARN and both releases into the in-progress deployment record', async () => {
    // Arrange
    const validated = stateAfter('validate');
    const previousSecrets = [
      { arn: secretArn, versionId: '20260801-0000-4000-8000-000000000000', keys: ['DATABASE_URL'] },
      { arn: UNMANAGED_SECRET.valueFrom, keys: ['STRIPE_KEY'] },
    ];
    const state = { ...validated, previous: { ...requirePrevious(validated), secrets: previousSecrets } };

    // Act
    const next = await handler(state);

    // Assert
    expect(annotations()).toHaveLength(1);
    const update = annotation();
    // Only the execution that wrote the record (its ARN and start) annotates it.
    expect(update.ConditionExpression).toBe('#owner = :owner AND #started = :started');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':owner': validated.executionArn, ':started': validated.startedAt });
    const fields = updatedFields(update);
    expect(fields).toEqual({
      newTaskDefinitionArn: RELEASE_TASK_DEFINITION_ARN,
      previousRelease: { image: OLD_IMAGE_URI, taskDefinitionArn: LIVE_TASK_DEFINITION_ARN, secrets: previousSecrets },
      newRelease: { image: NEW_IMAGE_URI, taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN, secrets: RELEASE_SECRETS },
      resume: expect.any(String),
    });
    expect(JSON.parse(String(fields.resume))).toMatchObject({ previous: next.previous, image: next.image, release: next.release });
  });

  it('writes the config diff of validate into the deployment record', async () => {
    // Arrange
    const configDiff: ConfigDiff = {
      secretArn,
      fromVersionId: '20260801-0000-4000-8000-000000000000',
      toVersionId: SECRET_VERSION_ID,
      added: ['WORKER_CONCURRENCY'],
      removed: [],
      changed: ['SESSION_SECRET'],
    };

    // Act
    await handler({ ...stateAfter('validate'), configDiff });

    // Assert
    const fields = updatedFields(annotation());
    expect(fields.configDiff).toEqual(configDiff);
    expect(JSON.parse(String(fields.resume)).configDiff).toEqual(configDiff);
  });

  it('reuses the revision an earlier attempt of the same deployment registered, without registering again', async () => {
    // Arrange
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web', include: ['TAGS'] }).resolves({
      taskDefinition: {
        taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN,
        family: 'web',
        revision: 42,
        containerDefinitions: [
          {
            name: 'web',
            image: NEW_IMAGE_URI,
            secrets: [UNMANAGED_SECRET, { name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::${SECRET_VERSION_ID}` }],
          },
          SIDECAR,
        ],
      },
      tags: [{ key: 'baton:deployment-id', value: DEPLOYMENT_ID }],
    });

    // Act
    const state = await handler(stateAfter('validate'));

    // Assert
    expect(state.release).toEqual({
      taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN,
      secrets: [
        { arn: secretArn, versionId: SECRET_VERSION_ID, keys: ['DATABASE_URL'] },
        { arn: UNMANAGED_SECRET.valueFrom, keys: ['STRIPE_KEY'] },
      ],
    });
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

  describe('for a rollback (state.restore)', () => {
    const ROLLBACK_ID = 'web-v1_3_9-20250301T080000Z';
    const ROLLBACK_DIGEST = `sha256:${'c3'.repeat(32)}`;
    const ROLLBACK_IMAGE_URI = `${REPOSITORY_URI}@${ROLLBACK_DIGEST}`;
    const ROLLBACK_TASK_DEFINITION_ARN = LIVE_TASK_DEFINITION_ARN.replace(/:41$/, ':39');
    const ROLLBACK_SECRET_VERSION_ID = 'a11ce000-9876-4fed-8cba-0123456789cd';
    const ROLLBACK_CONTAINER: ContainerDefinition = {
      name: 'web',
      image: ROLLBACK_IMAGE_URI,
      essential: true,
      portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
      environment: [{ name: 'PORT', value: '8080' }],
      secrets: [
        UNMANAGED_SECRET,
        { name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::${ROLLBACK_SECRET_VERSION_ID}` },
        { name: 'SESSION_SECRET', valueFrom: `${secretArn}:SESSION_SECRET::${ROLLBACK_SECRET_VERSION_ID}` },
      ],
    };
    const ROLLBACK_SECRETS = [
      { arn: secretArn, versionId: ROLLBACK_SECRET_VERSION_ID, keys: ['DATABASE_URL', 'SESSION_SECRET'] },
      { arn: UNMANAGED_SECRET.valueFrom, keys: ['STRIPE_KEY'] },
    ];

    /** What validate hands prepare for `rollbackTo: web-v1_3_9-…`: no new secret pin, the image of the release. */
    function restoreState(): DeploymentState {
      const { secret: _noPin, ...validated } = stateAfter('validate');
      return {
        ...validated,
        request: {
          service: 'web',
          rollbackTo: ROLLBACK_ID,
          hotfix: true,
          dryRun: false,
          reason: `rollback to ${ROLLBACK_ID}`,
          trigger: 'cli',
        },
        image: { repositoryName: 'web', tag: 'v1.3.9', digest: ROLLBACK_DIGEST, uri: ROLLBACK_IMAGE_URI },
        restore: { deploymentId: ROLLBACK_ID, taskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN },
      };
    }

    function rollbackTaskDefinition(fields: Partial<TaskDefinition> = {}): TaskDefinition {
      return liveTaskDefinition({
        taskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN,
        revision: 39,
        containerDefinitions: [ROLLBACK_CONTAINER, SIDECAR],
        ...fields,
      });
    }

    function givenRollbackTaskDefinition(fields: Partial<TaskDefinition> = {}) {
      ecsMock
        .on(DescribeTaskDefinitionCommand, { taskDefinition: ROLLBACK_TASK_DEFINITION_ARN })
        .resolves({ taskDefinition: rollbackTaskDefinition(fields) });
    }

    beforeEach(() => {
      // Arrange (shared): web:39 is still ACTIVE.
      givenRollbackTaskDefinition();
    });

    it('redeploys the ACTIVE task definition of the release itself, registering nothing', async () => {
      // Arrange: web:39 is ACTIVE (beforeEach).

      // Act
      const state = await handler(restoreState());

      // Assert
      expect(state.release).toEqual({ taskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN, secrets: ROLLBACK_SECRETS });
      expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
      expect(describedTaskDefinitions()).toEqual([
        { taskDefinition: LIVE_TASK_DEFINITION_ARN, include: ['TAGS'] },
        { taskDefinition: ROLLBACK_TASK_DEFINITION_ARN },
      ]);
    });

    it('writes the restored release and the deployment it restores into the record', async () => {
      // Arrange
      const state = restoreState();

      // Act
      await handler(state);

      // Assert
      expect(annotations()).toHaveLength(1);
      const fields = updatedFields(annotation());
      expect(fields).toEqual({
        newTaskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN,
        previousRelease: { image: OLD_IMAGE_URI, taskDefinitionArn: LIVE_TASK_DEFINITION_ARN, secrets: [] },
        newRelease: { image: ROLLBACK_IMAGE_URI, taskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN, secrets: ROLLBACK_SECRETS },
        restores: ROLLBACK_ID,
        resume: expect.any(String),
      });
      expect(JSON.parse(String(fields.resume)).restore).toEqual({
        deploymentId: ROLLBACK_ID,
        taskDefinitionArn: ROLLBACK_TASK_DEFINITION_ARN,
      });
    });

    it('registers an unchanged copy of an INACTIVE task definition and releases the copy', async () => {
      // Arrange
      givenRollbackTaskDefinition({ status: 'INACTIVE' });

      // Act
      const state = await handler(restoreState());

      // Assert
      expect(ecsMock).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
      expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input).toEqual({
        family: 'web',
        taskRoleArn: web.taskRoleArn,
        executionRoleArn: web.executionRoleArn,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '512',
        memory: '1024',
        runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
        containerDefinitions: [ROLLBACK_CONTAINER, SIDECAR],
        tags: [{ key: 'baton:deployment-id', value: DEPLOYMENT_ID }],
      });
      expect(state.release).toEqual({ taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN, secrets: ROLLBACK_SECRETS });
      expect(updatedFields(annotation())).toMatchObject({ newTaskDefinitionArn: RELEASE_TASK_DEFINITION_ARN, restores: ROLLBACK_ID });
    });

    it('reuses the copy an earlier attempt registered for an INACTIVE task definition', async () => {
      // Arrange
      givenRollbackTaskDefinition({ status: 'INACTIVE' });
      ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web', include: ['TAGS'] }).resolves({
        taskDefinition: rollbackTaskDefinition({ taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN, revision: 42, status: 'ACTIVE' }),
        tags: [{ key: 'baton:deployment-id', value: DEPLOYMENT_ID }],
      });

      // Act
      const state = await handler(restoreState());

      // Assert
      expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
      expect(state.release).toEqual({ taskDefinitionArn: RELEASE_TASK_DEFINITION_ARN, secrets: ROLLBACK_SECRETS });
    });

    it('fails with TaskDefinitionRegistrationError, registering nothing, when the INACTIVE release uses a role the config does not allow', async () => {
      // Arrange
      const otherRole = 'arn:aws:iam::123456789012:role/legacy-web-task';
      givenRollbackTaskDefinition({ status: 'INACTIVE', taskRoleArn: otherRole });

      // Act
      const error = await failure(handler(restoreState()));

      // Assert
      expect(error).toBeInstanceOf(TaskDefinitionRegistrationError);
      expect(error.message).toBe(
        `task definition ${ROLLBACK_TASK_DEFINITION_ARN} uses taskRoleArn ${otherRole}, but the config allows ${web.taskRoleArn}; update taskRoleArn in the config`,
      );
      expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
    });
  });
});
