import { readFileSync } from 'node:fs';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, type PutCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/plan-release/index.ts';
import { BatonConfigSchema, type ServiceConfig } from '../../../lambdas/shared/config-schema.ts';
import { DeploymentLockedError, InvalidInputError } from '../../../lambdas/shared/errors.ts';
import { resumePoint } from '../../../lambdas/shared/outcome.ts';
import { productionListenerOf } from '../../../lambdas/shared/service-resources.ts';
import type { DeploymentState } from '../../../lambdas/shared/stages.ts';
import { conditionFailed, failure, listenerWith, rejectByDefault } from '../../support/aws.ts';
import { THREE_SERVICES_CONFIG_PATH } from '../../support/config.ts';
import { ACCOUNT, NOW, REGION } from '../../support/state.ts';

const TABLE = 'baton-test-deployments';
const RAW_CONFIG = readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8');
const config = BatonConfigSchema.parse(JSON.parse(RAW_CONFIG));
const RELEASE_ID = 'release-20250304-100000-7f3a';
const EXECUTION_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:baton-production:${RELEASE_ID}`;
const STARTED_AT = '2025-03-04T09:59:58.000Z';
const RELEASE = '2026-11-22.1';
const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
const IMAGES: Record<string, string> = { api: 'v1.1.0', web: 'v1.4.2', worker: 'v2.4.0' };
const RELEASE_KEY = { pk: `RELEASE#${RELEASE_ID}`, sk: 'RECORD' };
const ACQUIRE = 'attribute_not_exists(pk) OR deploymentId = :me AND executionArn = :execution';

/** A web deployment of another release, still running. */
const HOLDER = {
  pk: 'LOCK#web',
  sk: 'LOCK',
  service: 'web',
  deploymentId: 'release-20250304-094500-1c2e-web',
  executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:baton-production:release-20250304-094500-1c2e`,
  imageRef: 'tag:v1.4.1',
  acquiredAt: '2025-03-04T09:45:00.000Z',
  leaseExpiresAt: nowSeconds + 600,
  release: 'release-20250304-094500-1c2e',
};

const request = {
  release: RELEASE,
  services: { worker: { imageTag: IMAGES.worker }, web: { imageTag: IMAGES.web }, api: { imageTag: IMAGES.api } },
  trigger: 'cli',
  requestedBy: 'alice',
};

function envelope(input: unknown = request) {
  return { request: input, deploymentId: RELEASE_ID, executionArn: EXECUTION_ARN, startedAt: STARTED_AT };
}

function configured(name: string): ServiceConfig {
  const found = config.services.find((service) => service.name === name);
  if (!found) throw new Error(`the three-service example has no "${name}"`);
  return found;
}

const deploymentIdOf = (name: string) => `${RELEASE_ID}-${name}`;

/** The state plan release starts a service of the release with: blue live, green idle. */
function plannedState(name: string, dryRun = false): DeploymentState {
  const service = configured(name);
  return {
    deploymentId: deploymentIdOf(name),
    releaseId: RELEASE_ID,
    executionArn: EXECUTION_ARN,
    startedAt: STARTED_AT,
    request: {
      service: name,
      imageTag: IMAGES[name],
      hotfix: false,
      dryRun,
      trigger: 'cli',
      requestedBy: 'alice',
      reason: `release ${RELEASE}`,
    },
    service,
    strategy: { type: 'all-at-once' },
    bakeSeconds: 300,
    live: { colour: 'blue', ...service.blue },
    idle: { colour: 'green', ...service.green },
    approval: { required: false },
    warnings: [],
  };
}

describe('plan release', () => {
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const sfnMock = mockClient(SFNClient);

  function puts(): PutCommandInput[] {
    return dynamoMock.commandCalls(PutCommand).map((call) => call.args[0].input);
  }

  function lockPuts(): PutCommandInput[] {
    return puts().filter((input) => String(input.Item?.pk).startsWith('LOCK#'));
  }

  function recordPuts(): PutCommandInput[] {
    return puts().filter((input) => String(input.Item?.pk).startsWith('DEPLOYMENT#'));
  }

  beforeEach(() => {
    // Arrange (shared): blue is live for every service, every lock is free, every write succeeds.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    vi.stubEnv('BATON_CONFIG', RAW_CONFIG);
    rejectByDefault(elbMock, dynamoMock, sfnMock);
    for (const service of config.services) {
      elbMock
        .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(service)] })
        .resolves(listenerWith(service, { blue: 100, green: 0 }));
    }
    dynamoMock.on(PutCommand, { TableName: TABLE }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('returns the waves of service states, api first, then web and worker, with deployment ids <release id>-<service>', async () => {
    // Arrange: all locks free (beforeEach).

    // Act
    const release = await handler(envelope());

    // Assert
    expect(release).toEqual({
      releaseId: RELEASE_ID,
      executionArn: EXECUTION_ARN,
      startedAt: STARTED_AT,
      request: { ...request, shift: 'each', dryRun: false },
      order: [['api'], ['web', 'worker']],
      waves: [[plannedState('api')], [plannedState('web'), plannedState('worker')]],
      warnings: [],
    });
  });

  it('writes the release record with its waves and services before it takes any lock', async () => {
    // Arrange: all locks free (beforeEach).

    // Act
    await handler(envelope());

    // Assert
    const [first] = puts();
    expect(first).toEqual({
      TableName: TABLE,
      Item: {
        ...RELEASE_KEY,
        gsi1pk: 'RELEASES',
        gsi1sk: `${STARTED_AT}#${RELEASE_ID}`,
        releaseId: RELEASE_ID,
        release: RELEASE,
        status: 'IN_PROGRESS',
        executionArn: EXECUTION_ARN,
        startedAt: STARTED_AT,
        trigger: 'cli',
        requestedBy: 'alice',
        shift: 'each',
        waves: [['api'], ['web', 'worker']],
        services: {
          api: { deploymentId: deploymentIdOf('api'), wave: 1, imageTag: 'v1.1.0' },
          web: { deploymentId: deploymentIdOf('web'), wave: 2, imageTag: 'v1.4.2' },
          worker: { deploymentId: deploymentIdOf('worker'), wave: 2, imageTag: 'v2.4.0' },
        },
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('takes the three locks in name order, api, web, worker, each for its own deployment and the release', async () => {
    // Arrange: all locks free (beforeEach).

    // Act
    await handler(envelope());

    // Assert
    expect(lockPuts()).toEqual(
      ['api', 'web', 'worker'].map((name) => ({
        TableName: TABLE,
        Item: {
          pk: `LOCK#${name}`,
          sk: 'LOCK',
          service: name,
          deploymentId: deploymentIdOf(name),
          executionArn: EXECUTION_ARN,
          imageRef: `tag:${IMAGES[name]}`,
          acquiredAt: STARTED_AT,
          leaseExpiresAt: nowSeconds + 900,
          release: RELEASE_ID,
        },
        ConditionExpression: ACQUIRE,
        ExpressionAttributeValues: { ':me': deploymentIdOf(name), ':execution': EXECUTION_ARN },
      })),
    );
  });

  it('writes an IN_PROGRESS deployment record per service, created once, that names the release', async () => {
    // Arrange: all locks free (beforeEach).

    // Act
    await handler(envelope());

    // Assert
    expect(recordPuts()).toEqual(
      ['api', 'web', 'worker'].map((name) => ({
        TableName: TABLE,
        Item: {
          pk: `DEPLOYMENT#${deploymentIdOf(name)}`,
          sk: 'RECORD',
          gsi1pk: `SERVICE#${name}`,
          gsi1sk: `${STARTED_AT}#${deploymentIdOf(name)}`,
          deploymentId: deploymentIdOf(name),
          service: name,
          status: 'IN_PROGRESS',
          executionArn: EXECUTION_ARN,
          startedAt: STARTED_AT,
          trigger: 'cli',
          requestedBy: 'alice',
          reason: `release ${RELEASE}`,
          imageTag: IMAGES[name],
          strategy: 'all-at-once',
          plan: { strategy: 'all-at-once', steps: [{ weight: 100, pauseSeconds: 0 }], bakeSeconds: 300, gateIntervalSeconds: 30 },
          liveColour: 'blue',
          targetColour: 'green',
          release: RELEASE_ID,
          resume: resumePoint(plannedState(name)),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      })),
    );
  });

  it('gives every service the release strategy when the request names one', async () => {
    // Arrange
    const canary = { type: 'canary' as const, percent: 10, bakeSeconds: 600 };

    // Act
    const release = await handler(envelope({ ...request, strategy: canary }));

    // Assert
    expect(release.waves.flat().map((state) => [state.service.name, state.strategy, state.request.strategy])).toEqual([
      ['api', canary, canary],
      ['web', canary, canary],
      ['worker', canary, canary],
    ]);
  });

  describe('when a live deployment holds the lock of web, the second service in name order', () => {
    beforeEach(() => {
      dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: 'LOCK#web' }, ConditionExpression: ACQUIRE }).rejects(conditionFailed());
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: { pk: 'LOCK#web', sk: 'LOCK' }, ConsistentRead: true }).resolves({ Item: HOLDER });
      sfnMock.on(DescribeExecutionCommand, { executionArn: HOLDER.executionArn }).resolves({
        executionArn: HOLDER.executionArn,
        stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:baton-production`,
        status: 'RUNNING',
        startDate: new Date(HOLDER.acquiredAt),
      });
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: { pk: 'LOCK#api', sk: 'LOCK' } }).resolves({});
    });

    it('fails with DeploymentLockedError naming the holder, its release and execution', async () => {
      // Arrange: web is held (beforeEach).

      // Act
      const error = await failure(handler(envelope()));

      // Assert
      expect(error).toBeInstanceOf(DeploymentLockedError);
      expect(error.message).toBe(
        `web is locked by deployment ${HOLDER.deploymentId} of release ${HOLDER.release} (image tag v1.4.1, since ${HOLDER.acquiredAt}, execution ${HOLDER.executionArn}); the release takes no lock (released api again) and changes nothing`,
      );
    });

    it('releases the lock of api it took, only while its own deployment holds it, and never tries worker', async () => {
      // Arrange: web is held (beforeEach).

      // Act
      await failure(handler(envelope()));

      // Assert
      expect(lockPuts().map((input) => input.Item?.pk)).toEqual(['LOCK#api', 'LOCK#web']);
      expect(dynamoMock.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: 'LOCK#api', sk: 'LOCK' },
          ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
          ExpressionAttributeValues: { ':me': deploymentIdOf('api'), ':execution': EXECUTION_ARN },
        },
      ]);
    });

    it('writes no deployment record', async () => {
      // Arrange: web is held (beforeEach).

      // Act
      await failure(handler(envelope()));

      // Assert
      expect(recordPuts()).toEqual([]);
    });
  });

  describe('a dry run', () => {
    const dryRunRequest = { ...request, dryRun: true };

    it('returns the order and the waves of service states, each asking for a dry run', async () => {
      // Arrange: blue is live for every service (beforeEach).

      // Act
      const release = await handler(envelope(dryRunRequest));

      // Assert
      expect(release).toEqual({
        releaseId: RELEASE_ID,
        executionArn: EXECUTION_ARN,
        startedAt: STARTED_AT,
        request: { ...request, shift: 'each', dryRun: true },
        order: [['api'], ['web', 'worker']],
        waves: [[plannedState('api', true)], [plannedState('web', true), plannedState('worker', true)]],
        warnings: [],
      });
      expect(release.waves.flat().map((state) => [state.service.name, state.request.dryRun])).toEqual([
        ['api', true],
        ['web', true],
        ['worker', true],
      ]);
    });

    it('writes nothing: no release record, no lock, no deployment record; it only reads the listeners', async () => {
      // Arrange: blue is live for every service (beforeEach).

      // Act
      await handler(envelope(dryRunRequest));

      // Assert
      expect(dynamoMock).not.toHaveReceivedCommand(PutCommand);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(elbMock).toHaveReceivedCommandTimes(DescribeListenersCommand, 3);
      expect(
        elbMock
          .commandCalls(DescribeListenersCommand)
          .map((call) => call.args[0].input.ListenerArns)
          .sort(),
      ).toEqual(['api', 'web', 'worker'].map((name) => [configured(name).productionListenerArn]).sort());
    });

    it('plans while a live deployment holds the lock of web: a dry run neither takes nor reads any lock', async () => {
      // Arrange
      dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: 'LOCK#web' }, ConditionExpression: ACQUIRE }).rejects(conditionFailed());
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: { pk: 'LOCK#web', sk: 'LOCK' }, ConsistentRead: true }).resolves({ Item: HOLDER });

      // Act
      const release = await handler(envelope(dryRunRequest));

      // Assert
      expect(release.order).toEqual([['api'], ['web', 'worker']]);
      expect(release.warnings).toEqual([]);
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });
  });

  it.each([
    [
      'a release without services',
      { release: RELEASE, services: {} },
      'invalid release input: services: name at least one service and its image',
    ],
    [
      'a service with both imageTag and imageDigest',
      { release: RELEASE, services: { api: { imageTag: 'v1.1.0', imageDigest: `sha256:${'a1'.repeat(32)}` } } },
      'invalid release input: services.api.imageDigest: give imageTag or imageDigest, not both',
    ],
  ])('rejects %s with InvalidInputError, reads no listener and writes nothing', async (_case, input, message) => {
    // Arrange: the input of the row.

    // Act
    const error = await failure(handler(envelope(input)));

    // Assert
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe(message);
    expect(elbMock).not.toHaveReceivedAnyCommand();
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });
});
