import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/initialize/index.ts';
import {
  DeploymentLockedError,
  DuplicateTriggerError,
  InvalidInputError,
  ListenerSplitError,
  UnknownServiceError,
} from '../../lambdas/shared/errors.ts';
import { failure, listenerWith, rejectByDefault } from '../fixtures/aws.ts';
import { rawExampleConfig } from '../fixtures/config.ts';
import {
  DEPLOYMENT_ID,
  EXECUTION_ARN,
  initialState,
  NEW_DIGEST,
  NEW_TAG,
  NOW,
  STARTED_AT,
  service,
  withTestListener,
} from '../fixtures/state.ts';

const TABLE = 'baton-test-deployments';
const web = service();
const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
/** executionTimeoutSeconds of the example config + 600. */
const LEASE_SECONDS = 21_600 + 600;

function envelope(request: unknown, deploymentId = DEPLOYMENT_ID) {
  return { request, deploymentId, executionArn: EXECUTION_ARN, startedAt: STARTED_AT };
}

const request = { service: 'web', imageTag: NEW_TAG, trigger: 'cli' };
/** An earlier successful deployment a rollback redeploys. */
const ROLLBACK_ID = 'web-v1_4_1-20250301T080000Z';

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

describe('initialize', () => {
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    process.env.BATON_CONFIG = JSON.stringify(rawExampleConfig());
    rejectByDefault(elbMock, dynamoMock);
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [web.productionListenerArn] })
      .resolves(listenerWith(web, { blue: 100, green: 0 }));
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: 'LOCK#web' } }).resolves({});
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: `DEPLOYMENT#${DEPLOYMENT_ID}` } }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
    delete process.env.BATON_CONFIG;
  });

  it('reads the production listener weights with DescribeListeners', async () => {
    // Arrange: blue carries all traffic (beforeEach).

    // Act
    await handler(envelope(request));

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(DescribeListenersCommand, { ListenerArns: [web.productionListenerArn] });
  });

  it('makes blue live and green idle when blue has 100 % of the traffic', async () => {
    // Arrange: blue carries all traffic (beforeEach).

    // Act
    const state = await handler(envelope(request));

    // Assert
    expect(state).toEqual(withTestListener(initialState()));
  });

  it('makes green live and blue idle when green has 100 % of the traffic', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [web.productionListenerArn] })
      .resolves(listenerWith(web, { blue: 0, green: 100 }));

    // Act
    const state = await handler(envelope(request));

    // Assert
    expect({ live: state.live, idle: state.idle }).toEqual({
      live: { colour: 'green', serviceName: 'web-green', targetGroupArn: web.green.targetGroupArn },
      idle: { colour: 'blue', serviceName: 'web-blue', targetGroupArn: web.blue.targetGroupArn },
    });
  });

  it('takes the service lock with a conditional put that only a free, own or expired lock passes', async () => {
    // Arrange: lock free (beforeEach).

    // Act
    await handler(envelope(request));

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        pk: 'LOCK#web',
        sk: 'LOCK',
        service: 'web',
        deploymentId: DEPLOYMENT_ID,
        executionArn: EXECUTION_ARN,
        imageRef: `tag:${NEW_TAG}`,
        acquiredAt: STARTED_AT,
        leaseExpiresAt: nowSeconds + LEASE_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR deploymentId = :me OR leaseExpiresAt < :now',
      ExpressionAttributeValues: { ':me': DEPLOYMENT_ID, ':now': nowSeconds },
    });
  });

  it('writes an IN_PROGRESS deployment record that is created only once', async () => {
    // Arrange: lock free (beforeEach).

    // Act
    await handler(envelope(request));

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        pk: `DEPLOYMENT#${DEPLOYMENT_ID}`,
        sk: 'RECORD',
        gsi1pk: 'SERVICE#web',
        gsi1sk: `${STARTED_AT}#${DEPLOYMENT_ID}`,
        deploymentId: DEPLOYMENT_ID,
        service: 'web',
        status: 'IN_PROGRESS',
        executionArn: EXECUTION_ARN,
        startedAt: STARTED_AT,
        trigger: 'cli',
        imageTag: NEW_TAG,
        strategy: 'all-at-once',
        liveColour: 'blue',
        targetColour: 'green',
        resume: expect.any(String),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('locks on the digest when the request names an image digest', async () => {
    // Arrange
    const byDigest = { service: 'web', imageDigest: NEW_DIGEST };

    // Act
    await handler(envelope(byDigest));

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ pk: 'LOCK#web', imageRef: NEW_DIGEST }),
    });
  });

  it('locks on the release a rollbackTo request names, as rollback:<deployment id>', async () => {
    // Arrange
    const rollback = { service: 'web', rollbackTo: ROLLBACK_ID, hotfix: true, trigger: 'cli' };

    // Act
    await handler(envelope(rollback));

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        pk: 'LOCK#web',
        sk: 'LOCK',
        service: 'web',
        deploymentId: DEPLOYMENT_ID,
        executionArn: EXECUTION_ARN,
        imageRef: `rollback:${ROLLBACK_ID}`,
        acquiredAt: STARTED_AT,
        leaseExpiresAt: nowSeconds + LEASE_SECONDS,
      },
    });
  });

  it('writes the deployment a rollbackTo request restores into its record', async () => {
    // Arrange
    const rollback = { service: 'web', rollbackTo: ROLLBACK_ID, hotfix: true, trigger: 'cli' };

    // Act
    await handler(envelope(rollback));

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, restores: ROLLBACK_ID }),
    });
  });

  it('fails with DuplicateTriggerError when the lock holder already rolls back to the same release', async () => {
    // Arrange
    const rollback = { service: 'web', rollbackTo: ROLLBACK_ID, hotfix: true, trigger: 'cli' };
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: 'LOCK#web' } }).rejects(conditionFailed());
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: { pk: 'LOCK#web', sk: 'LOCK' }, ConsistentRead: true }).resolves({
      Item: {
        pk: 'LOCK#web',
        sk: 'LOCK',
        service: 'web',
        deploymentId: 'web-rollback-20250304-095900-1c2e',
        executionArn: `${EXECUTION_ARN}-first`,
        imageRef: `rollback:${ROLLBACK_ID}`,
        acquiredAt: '2025-03-04T09:59:00.000Z',
        leaseExpiresAt: nowSeconds + 3600,
      },
    });

    // Act
    const error = await failure(handler(envelope(rollback)));

    // Assert
    expect(error).toBeInstanceOf(DuplicateTriggerError);
    expect(error.message).toBe(
      `web is already deploying a rollback to ${ROLLBACK_ID} (deployment web-rollback-20250304-095900-1c2e); this trigger changes nothing`,
    );
  });

  it('turns an ECR push event into a deployment by digest for the service that deploys the repository', async () => {
    // Arrange
    const pushEvent = {
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      id: 'evt-5b7c',
      detail: { 'action-type': 'PUSH', result: 'SUCCESS', 'repository-name': 'web', 'image-digest': NEW_DIGEST, 'image-tag': NEW_TAG },
    };

    // Act
    const state = await handler(envelope(pushEvent));

    // Assert
    expect(state.request).toEqual({
      service: 'web',
      imageDigest: NEW_DIGEST,
      pushedTag: NEW_TAG,
      trigger: 'ecr',
      reason: `ECR push of web:${NEW_TAG} (event evt-5b7c)`,
      hotfix: false,
      dryRun: false,
    });
  });

  it('rejects an ECR push of a tag no service deploys with InvalidInputError naming the field', async () => {
    // Arrange
    const pushEvent = {
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      detail: { 'action-type': 'PUSH', result: 'SUCCESS', 'repository-name': 'web', 'image-digest': NEW_DIGEST, 'image-tag': 'latest' },
    };

    // Act
    const error = await failure(handler(envelope(pushEvent)));

    // Assert
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toContain('detail.repository-name: no service deploys web:latest');
  });

  it('forces all-at-once and a bake of at most 60 seconds for a hotfix', async () => {
    // Arrange
    const hotfix = { ...request, hotfix: true, strategy: { type: 'canary', percent: 10, bakeSeconds: 600 } };

    // Act
    const state = await handler(envelope(hotfix));

    // Assert
    expect({ strategy: state.strategy, bakeSeconds: state.bakeSeconds }).toEqual({ strategy: { type: 'all-at-once' }, bakeSeconds: 60 });
  });

  it('takes no lock and writes nothing for a dry run', async () => {
    // Arrange
    const dryRun = { ...request, dryRun: true };

    // Act
    const state = await handler(envelope(dryRun));

    // Assert
    expect(state.request.dryRun).toBe(true);
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it.each([
    [
      'both imageTag and imageDigest',
      { service: 'web', imageTag: NEW_TAG, imageDigest: NEW_DIGEST },
      'imageDigest: give imageTag or imageDigest, not both',
    ],
    ['neither imageTag nor imageDigest', { service: 'web' }, 'imageTag: give imageTag, imageDigest or rollbackTo'],
    [
      'rollbackTo together with imageTag',
      { service: 'web', rollbackTo: 'web-v1_4_1-20250301T080000Z', imageTag: NEW_TAG },
      'rollbackTo: a rollback redeploys the image of that release; do not also give imageTag or imageDigest',
    ],
    ['a digest that is not sha256 and 64 hex digits', { service: 'web', imageDigest: 'sha256:abc123' }, 'imageDigest: expected "sha256:"'],
    ['an unknown field', { service: 'web', imageTag: NEW_TAG, colour: 'green' }, 'colour: unknown field'],
    [
      'a canary percent of 150',
      { service: 'web', imageTag: NEW_TAG, strategy: { type: 'canary', percent: 150, bakeSeconds: 60 } },
      'strategy.percent:',
    ],
    ['input that is not an object', 'web:v1.4.2', 'execution input must be a JSON object'],
  ])('rejects %s with InvalidInputError naming the field', async (_case, input, fragment) => {
    // Arrange: the input of the row.

    // Act
    const error = await failure(handler(envelope(input)));

    // Assert
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toContain(fragment);
  });

  it('reads nothing, takes no lock and writes no record for invalid input', async () => {
    // Arrange
    const invalid = { service: 'web' };

    // Act
    await failure(handler(envelope(invalid)));

    // Assert
    expect(elbMock.calls()).toHaveLength(0);
    expect(dynamoMock).not.toHaveReceivedCommand(GetCommand);
    expect(dynamoMock).not.toHaveReceivedCommand(PutCommand);
  });

  it('rejects a service missing from the config with UnknownServiceError naming the known services', async () => {
    // Arrange
    const unknown = { service: 'billing', imageTag: NEW_TAG };

    // Act
    const error = await failure(handler(envelope(unknown)));

    // Assert
    expect(error).toBeInstanceOf(UnknownServiceError);
    expect(error.message).toContain('"billing" is not configured (known: web)');
  });

  it('rejects a listener split 80/20 with ListenerSplitError and takes no lock', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [web.productionListenerArn] })
      .resolves(listenerWith(web, { blue: 80, green: 20 }));

    // Act
    const error = await failure(handler(envelope(request)));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(error.message).toContain('split blue 80 % / green 20 %');
    expect(dynamoMock).not.toHaveReceivedCommand(PutCommand);
  });

  it('fails with DeploymentLockedError naming the holder when another deployment of another image holds the lock', async () => {
    // Arrange
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: 'LOCK#web' } }).rejects(conditionFailed());
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: { pk: 'LOCK#web', sk: 'LOCK' }, ConsistentRead: true }).resolves({
      Item: {
        pk: 'LOCK#web',
        sk: 'LOCK',
        service: 'web',
        deploymentId: 'web-20250304-093000-0b1d',
        executionArn: `${EXECUTION_ARN}-other`,
        imageRef: 'tag:v1.4.1',
        acquiredAt: '2025-03-04T09:30:00.000Z',
        leaseExpiresAt: nowSeconds + 3600,
      },
    });

    // Act
    const error = await failure(handler(envelope(request)));

    // Assert
    expect(error).toBeInstanceOf(DeploymentLockedError);
    expect(error.message).toContain('web is locked by deployment web-20250304-093000-0b1d (image tag v1.4.1');
    expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'RECORD' }) });
  });

  it('fails with DuplicateTriggerError when the lock holder deploys the same image', async () => {
    // Arrange
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: 'LOCK#web' } }).rejects(conditionFailed());
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: { pk: 'LOCK#web', sk: 'LOCK' }, ConsistentRead: true }).resolves({
      Item: {
        pk: 'LOCK#web',
        sk: 'LOCK',
        service: 'web',
        deploymentId: 'web-20250304-095900-1c2e',
        executionArn: `${EXECUTION_ARN}-first`,
        imageRef: `tag:${NEW_TAG}`,
        acquiredAt: '2025-03-04T09:59:00.000Z',
        leaseExpiresAt: nowSeconds + 3600,
      },
    });

    // Act
    const error = await failure(handler(envelope(request)));

    // Assert
    expect(error).toBeInstanceOf(DuplicateTriggerError);
    expect(error.message).toContain(`web is already deploying image tag ${NEW_TAG} (deployment web-20250304-095900-1c2e)`);
  });

  it('succeeds again when the same deployment re-runs after its record was written', async () => {
    // Arrange: the lock put passes (deploymentId = :me); the record exists already.
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: `DEPLOYMENT#${DEPLOYMENT_ID}` } }).rejects(conditionFailed());

    // Act
    const state = await handler(envelope(request));

    // Assert
    expect(state).toEqual(withTestListener(initialState()));
  });
});
