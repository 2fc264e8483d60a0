import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/initialize/index.ts';
import {
  DeploymentLockedError,
  DuplicateTriggerError,
  ExecutionNameReusedError,
  InvalidInputError,
  ListenerSplitError,
  QueuedError,
  SupersededError,
  UnknownServiceError,
} from '../../../lambdas/shared/errors.ts';
import { conditionFailed, failure, listenerWith, rejectByDefault } from '../../support/aws.ts';
import { rawExampleConfig } from '../../support/config.ts';
import { recordItem } from '../../support/items.ts';
import {
  DEPLOYMENT_ID,
  EXECUTION_ARN,
  initialState,
  NEW_DIGEST,
  NEW_TAG,
  NOW,
  OLD_DIGEST,
  STARTED_AT,
  service,
  withTestListener,
} from '../../support/state.ts';

const TABLE = 'baton-test-deployments';
const web = service();
const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
/** A lock lasts 15 minutes unless a phase renews it. */
const LEASE_SECONDS = 900;
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const ACQUIRE = 'attribute_not_exists(pk) OR deploymentId = :me AND executionArn = :execution';
const RECLAIM = 'deploymentId = :holder AND executionArn = :holderExecution AND leaseExpiresAt = :holderLease';
/** The lock initialize puts for `request`. */
const OWN_LOCK = {
  service: 'web',
  deploymentId: DEPLOYMENT_ID,
  executionArn: EXECUTION_ARN,
  imageRef: `tag:${NEW_TAG}`,
  acquiredAt: STARTED_AT,
  leaseExpiresAt: nowSeconds + LEASE_SECONDS,
};

function envelope(request: unknown, deploymentId = DEPLOYMENT_ID) {
  return { request, deploymentId, executionArn: EXECUTION_ARN, startedAt: STARTED_AT };
}

const request = { service: 'web', imageTag: NEW_TAG, trigger: 'cli' };
/** An earlier successful deployment a rollback redeploys. */
const ROLLBACK_ID = 'web-v1_4_1-20250301T080000Z';

describe('initialize', () => {
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const sfnMock = mockClient(SFNClient);
  const ecrMock = mockClient(ECRClient);

  /** The lock is held (the conditional put fails) and reads back as this holder. */
  function givenHolder(holder: Record<string, unknown>) {
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY, ConditionExpression: ACQUIRE }).rejects(conditionFailed());
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
      .resolves({ Item: { ...LOCK_KEY, service: 'web', ...holder } });
  }

  /** What DescribeExecution says about an execution. */
  function givenExecution(executionArn: string, status: ExecutionStatus) {
    sfnMock.on(DescribeExecutionCommand, { executionArn }).resolves({
      executionArn,
      stateMachineArn: executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
      status,
      startDate: new Date('2025-03-04T09:30:00.000Z'),
    });
  }

  /** When ECR says an image of the web repository was pushed. */
  function givenPushed(imageId: { imageTag: string } | { imageDigest: string }, imagePushedAt: Date) {
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [imageId] })
      .resolves({ imageDetails: [{ repositoryName: 'web', imageDigest: NEW_DIGEST, imagePushedAt }] });
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    process.env.BATON_CONFIG = JSON.stringify(rawExampleConfig());
    rejectByDefault(elbMock, dynamoMock, sfnMock, ecrMock);
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [web.productionListenerArn] })
      .resolves(listenerWith(web, { blue: 100, green: 0 }));
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: 'LOCK#web' } }).resolves({});
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: `DEPLOYMENT#${DEPLOYMENT_ID}` } }).resolves({});
    // No record under this execution's name yet.
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true }).resolves({});
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

  it('takes the service lock with a conditional put that only a free or own lock passes', async () => {
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
      ConditionExpression: ACQUIRE,
      ExpressionAttributeValues: { ':me': DEPLOYMENT_ID, ':execution': EXECUTION_ARN },
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

  it('refuses with ExecutionNameReusedError, touching neither lock nor record, when its name is the id of an earlier record', async () => {
    // Arrange: 100 days ago an execution of the same name (so the same ARN) wrote this record.
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true }).resolves({
      Item: {
        ...RECORD_KEY,
        deploymentId: DEPLOYMENT_ID,
        executionArn: EXECUTION_ARN,
        startedAt: '2025-01-01T09:00:00.000Z',
        status: 'SUCCEEDED',
      },
    });

    // Act
    const error = await handler(envelope(request)).catch((caught: unknown) => caught);

    // Assert
    expect(error).toBeInstanceOf(ExecutionNameReusedError);
    expect((error as Error).message).toBe(
      `execution name ${DEPLOYMENT_ID} is the id of the deployment record of execution ${EXECUTION_ARN} (started 2025-01-01T09:00:00.000Z, SUCCEEDED); Step Functions reuses a name 90 days after its execution closed, records live 400 days: start it again under another name. Nothing was changed.`,
    );
    expect(dynamoMock).not.toHaveReceivedCommand(PutCommand);
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
    givenExecution(`${EXECUTION_ARN}-first`, 'RUNNING');

    // Act
    const error = await failure(handler(envelope(rollback)));

    // Assert
    expect(error).toBeInstanceOf(DuplicateTriggerError);
    expect(error.message).toBe(
      `web is already deploying a rollback to ${ROLLBACK_ID} (deployment web-rollback-20250304-095900-1c2e); this trigger changes nothing`,
    );
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: `${EXECUTION_ARN}-first` });
    expect(ecrMock).not.toHaveReceivedAnyCommand();
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

  describe('when a running deployment of an older image holds the lock', () => {
    const HOLDER = {
      deploymentId: 'web-20250304-093000-0b1d',
      executionArn: `${EXECUTION_ARN}-other`,
      imageRef: 'tag:v1.4.1',
      acquiredAt: '2025-03-04T09:30:00.000Z',
      leaseExpiresAt: nowSeconds + 3600,
    };
    const QUEUE_KEY = { pk: 'QUEUE#web', sk: 'QUEUE' };
    const HOLDER_DESCRIBED = `deployment web-20250304-093000-0b1d (image tag v1.4.1, since 2025-03-04T09:30:00.000Z, execution ${EXECUTION_ARN}-other)`;
    const PUSHED = new Date('2025-03-04T09:50:00.000Z');

    beforeEach(() => {
      givenHolder(HOLDER);
      givenExecution(`${EXECUTION_ARN}-other`, 'RUNNING');
      givenPushed({ imageTag: NEW_TAG }, PUSHED);
      givenPushed({ imageTag: 'v1.4.1' }, new Date('2025-03-04T09:20:00.000Z'));
    });

    function queuePut() {
      return dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: 'QUEUE#web' } });
    }

    it('queues the image (the latest push wins) and fails with QueuedError naming the holder and the execution to come', async () => {
      // Arrange
      queuePut().resolves({});

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(QueuedError);
      expect(error.message).toBe(
        `image tag ${NEW_TAG} (pushed 2025-03-04T09:50:00.000Z) is queued behind ${HOLDER_DESCRIBED}; it deploys when that deployment ends, unless a newer image is queued meanwhile (execution ${DEPLOYMENT_ID}-dequeued)`,
      );
      expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
        TableName: TABLE,
        Item: {
          ...QUEUE_KEY,
          service: 'web',
          deploymentId: DEPLOYMENT_ID,
          executionArn: EXECUTION_ARN,
          request: { service: 'web', imageTag: NEW_TAG, trigger: 'cli', hotfix: false, dryRun: false },
          repositoryName: 'web',
          imageRef: `tag:${NEW_TAG}`,
          pushedAtMs: PUSHED.getTime(),
          queuedAt: NOW,
          behind: HOLDER.deploymentId,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR pushedAtMs < :pushed',
        ExpressionAttributeValues: { ':pushed': PUSHED.getTime() },
      });
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'RECORD' }) });
      expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
    });

    it('fails with SupersededError naming the newer image already queued, which it leaves in place', async () => {
      // Arrange
      queuePut().rejects(conditionFailed());
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: QUEUE_KEY, ConsistentRead: true }).resolves({
        Item: {
          ...QUEUE_KEY,
          service: 'web',
          deploymentId: 'web-later',
          executionArn: `${EXECUTION_ARN}-later`,
          request: { service: 'web', imageTag: 'v1.4.9', trigger: 'ecr', hotfix: false, dryRun: false },
          repositoryName: 'web',
          imageRef: 'tag:v1.4.9',
          pushedAtMs: Date.parse('2025-03-04T09:55:00.000Z'),
          queuedAt: NOW,
          behind: HOLDER.deploymentId,
        },
      });

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(SupersededError);
      expect(error.message).toBe(
        `image tag ${NEW_TAG} (pushed 2025-03-04T09:50:00.000Z) is older than image tag v1.4.9 (pushed 2025-03-04T09:55:00.000Z), queued by web-later behind deployment ${HOLDER.deploymentId}; the latest queued image deploys next`,
      );
    });

    it('ends QUEUED again when a retry of the same execution finds its own entry queued', async () => {
      // Arrange
      queuePut().rejects(conditionFailed());
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: QUEUE_KEY, ConsistentRead: true }).resolves({
        Item: {
          ...QUEUE_KEY,
          service: 'web',
          deploymentId: DEPLOYMENT_ID,
          executionArn: EXECUTION_ARN,
          request: { service: 'web', imageTag: NEW_TAG, trigger: 'cli', hotfix: false, dryRun: false },
          repositoryName: 'web',
          imageRef: `tag:${NEW_TAG}`,
          pushedAtMs: PUSHED.getTime(),
          queuedAt: NOW,
          behind: HOLDER.deploymentId,
        },
      });

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(QueuedError);
    });

    it('refuses a console start with DeploymentLockedError naming the holder, and queues nothing', async () => {
      // Act
      const error = await failure(handler(envelope({ ...request, trigger: 'console' })));

      // Assert
      expect(error).toBeInstanceOf(DeploymentLockedError);
      expect(error.message).toBe(`web is locked by ${HOLDER_DESCRIBED}`);
      expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: `${EXECUTION_ARN}-other` });
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ pk: 'QUEUE#web' }) });
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { ConditionExpression: RECLAIM });
    });

    function givenSupersede() {
      const raw = rawExampleConfig() as { services: Array<Record<string, unknown>> };
      for (const service of raw.services) service.onNewerImage = 'supersede';
      process.env.BATON_CONFIG = JSON.stringify(raw);
    }

    /** The holder's record, written by the holder's own execution when it took the lock. */
    function givenHolderStatus(status: string, executionArn: string) {
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: { pk: `DEPLOYMENT#${HOLDER.deploymentId}`, sk: 'RECORD' }, ConsistentRead: true })
        .resolves({
          Item: {
            pk: `DEPLOYMENT#${HOLDER.deploymentId}`,
            sk: 'RECORD',
            ...recordItem({ deploymentId: HOLDER.deploymentId, executionArn, startedAt: HOLDER.acquiredAt, status }),
          },
        });
    }

    it('with onNewerImage "supersede", only queues behind a holder whose record is ROLLBACK_FAILED (its execution keeps retrying the rollback)', async () => {
      // Arrange
      givenSupersede();
      queuePut().resolves({});
      const holderExecution = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${HOLDER.deploymentId}`;
      givenHolder({ ...HOLDER, executionArn: holderExecution });
      givenExecution(holderExecution, 'RUNNING');
      givenHolderStatus('ROLLBACK_FAILED', holderExecution);

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(QueuedError);
      expect(error.message).toMatch(/ is queued behind deployment web-20250304-093000-0b1d /);
      expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
      expect(dynamoMock).not.toHaveReceivedCommandWith(UpdateCommand, { Key: { pk: `DEPLOYMENT#${HOLDER.deploymentId}`, sk: 'RECORD' } });
    });

    it('with onNewerImage "supersede", notes the newer image on the holder record and stops the holder execution', async () => {
      // Arrange
      givenSupersede();
      queuePut().resolves({});
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: { pk: `DEPLOYMENT#${HOLDER.deploymentId}`, sk: 'RECORD' } }).resolves({});
      sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date(NOW) });
      const holderExecution = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${HOLDER.deploymentId}`;
      givenHolder({ ...HOLDER, executionArn: holderExecution });
      givenExecution(holderExecution, 'RUNNING');
      givenHolderStatus('IN_PROGRESS', holderExecution);

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(QueuedError);
      expect(error.message).toBe(
        `image tag ${NEW_TAG} (pushed 2025-03-04T09:50:00.000Z) supersedes deployment web-20250304-093000-0b1d (image tag v1.4.1, since 2025-03-04T09:30:00.000Z, execution ${holderExecution}): that execution is stopped and rolled back, then this image deploys (execution ${DEPLOYMENT_ID}-dequeued)`,
      );
      expect(dynamoMock).toHaveReceivedCommandWith(UpdateCommand, {
        Key: { pk: `DEPLOYMENT#${HOLDER.deploymentId}`, sk: 'RECORD' },
        // Only if the holder's execution still owns its record.
        ExpressionAttributeValues: {
          ':v0': `image tag ${NEW_TAG} (${EXECUTION_ARN})`,
          ':owner': holderExecution,
          ':started': HOLDER.acquiredAt,
        },
      });
      expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(StopExecutionCommand, { executionArn: holderExecution });
    });
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
    givenExecution(`${EXECUTION_ARN}-first`, 'RUNNING');

    // Act
    const error = await failure(handler(envelope(request)));

    // Assert
    expect(error).toBeInstanceOf(DuplicateTriggerError);
    expect(error.message).toBe(
      `web is already deploying image tag ${NEW_TAG} (deployment web-20250304-095900-1c2e); this trigger changes nothing`,
    );
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: `${EXECUTION_ARN}-first` });
    expect(ecrMock).not.toHaveReceivedAnyCommand();
    expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'RECORD' }) });
  });

  it('succeeds again when the same deployment re-runs after its record was written', async () => {
    // Arrange: the lock put passes (deploymentId = :me); the record exists already.
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: `DEPLOYMENT#${DEPLOYMENT_ID}` } }).rejects(conditionFailed());
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true })
      .resolvesOnce({})
      .resolves({ Item: { ...RECORD_KEY, deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN, startedAt: STARTED_AT } });

    // Act
    const state = await handler(envelope(request));

    // Assert
    expect(state).toEqual(withTestListener(initialState()));
  });

  describe('when another deployment holds the lock', () => {
    const HOLDER_ID = 'web-20250304-083000-9a8b';
    const HOLDER_ARN = EXECUTION_ARN.replace(DEPLOYMENT_ID, HOLDER_ID);
    const HOLDER_SINCE = '2025-03-04T08:30:00.000Z';
    const HOLDER_RECORD_KEY = { pk: `DEPLOYMENT#${HOLDER_ID}`, sk: 'RECORD' };
    const EARLIER = new Date('2025-03-04T08:20:00.000Z');
    const LATER = new Date('2025-03-04T09:50:00.000Z');

    /** How the messages name the holder of `tag:v1.4.3`. */
    function described(image = 'image tag v1.4.3'): string {
      return `deployment ${HOLDER_ID} (${image}, since ${HOLDER_SINCE}, execution ${HOLDER_ARN})`;
    }

    function givenLockHolder(fields: Record<string, unknown> = {}) {
      givenHolder({
        deploymentId: HOLDER_ID,
        executionArn: HOLDER_ARN,
        imageRef: 'tag:v1.4.3',
        acquiredAt: HOLDER_SINCE,
        leaseExpiresAt: nowSeconds + 600,
        ...fields,
      });
    }

    function givenHolderRecord(status: string) {
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: HOLDER_RECORD_KEY, ConsistentRead: true })
        .resolves({ Item: { ...HOLDER_RECORD_KEY, ...recordItem({ deploymentId: HOLDER_ID, executionArn: HOLDER_ARN, status }) } });
    }

    function givenReclaim(outcome: 'succeeds' | 'loses the race') {
      const put = dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY, ConditionExpression: RECLAIM });
      if (outcome === 'succeeds') put.resolves({});
      else put.rejects(conditionFailed());
    }

    it('does not take over the lock of a running holder whose lease expired, and says it may be stuck', async () => {
      // Arrange
      givenLockHolder({ leaseExpiresAt: nowSeconds - 120 });
      givenExecution(HOLDER_ARN, 'RUNNING');
      givenReclaim('succeeds');
      givenPushed({ imageTag: NEW_TAG }, LATER);
      givenPushed({ imageTag: 'v1.4.3' }, EARLIER);

      // Act: from the console (an ECR or CLI trigger would be queued, see above)
      const error = await failure(handler(envelope({ ...request, trigger: 'console' })));

      // Assert
      expect(error).toBeInstanceOf(DeploymentLockedError);
      expect(error.message).toBe(
        `web is locked by ${described()}: its lease expired at 2025-03-04T09:58:00.000Z but its execution is still RUNNING; stop it with "baton abort" if it is stuck`,
      );
      expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: HOLDER_ARN });
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { ConditionExpression: RECLAIM });
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'RECORD' }) });
    });

    it('takes over the lock of a holder whose execution ended and whose record is closed, only if the lock is still exactly the one inspected, and warns whose lock it took', async () => {
      // Arrange
      givenLockHolder({ leaseExpiresAt: nowSeconds - 120 });
      givenExecution(HOLDER_ARN, 'SUCCEEDED');
      givenHolderRecord('SUCCEEDED');
      givenReclaim('succeeds');

      // Act
      const state = await handler(envelope(request));

      // Assert
      expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
        TableName: TABLE,
        Item: { ...LOCK_KEY, ...OWN_LOCK, reclaimedFrom: HOLDER_ID },
        ConditionExpression: RECLAIM,
        ExpressionAttributeValues: { ':holder': HOLDER_ID, ':holderExecution': HOLDER_ARN, ':holderLease': nowSeconds - 120 },
      });
      expect(state.warnings).toEqual([`took over the lock of ${described()}: its execution ended SUCCEEDED and its record is SUCCEEDED`]);
      expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: HOLDER_ARN });
    });

    it('writes its record and returns its state after taking over a lock', async () => {
      // Arrange
      givenLockHolder();
      givenExecution(HOLDER_ARN, 'ABORTED');
      givenHolderRecord('ROLLED_BACK');
      givenReclaim('succeeds');

      // Act
      const state = await handler(envelope(request));

      // Assert
      expect(state).toEqual(
        withTestListener(
          initialState({ warnings: [`took over the lock of ${described()}: its execution ended ABORTED and its record is ROLLED_BACK`] }),
        ),
      );
      expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
        TableName: TABLE,
        Item: expect.objectContaining({ pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, status: 'IN_PROGRESS' }),
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    });

    it('takes over the lock of a holder whose execution failed and whose record is closed, without comparing images', async () => {
      // Arrange
      givenLockHolder();
      givenExecution(HOLDER_ARN, 'FAILED');
      givenHolderRecord('ROLLED_BACK');
      givenReclaim('succeeds');

      // Act
      const state = await handler(envelope(request));

      // Assert
      expect(state.warnings).toEqual([`took over the lock of ${described()}: its execution ended FAILED and its record is ROLLED_BACK`]);
      expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: HOLDER_ARN });
      expect(ecrMock).not.toHaveReceivedAnyCommand();
    });

    it('fails with DeploymentLockedError and writes no record when another deployment reclaims the lock first', async () => {
      // Arrange
      givenLockHolder();
      givenExecution(HOLDER_ARN, 'ABORTED');
      givenHolderRecord('ROLLED_BACK');
      givenReclaim('loses the race');

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(DeploymentLockedError);
      expect(error.message).toBe(`web was locked by ${described()}, and another deployment took the lock first`);
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'RECORD' }) });
    });

    it('takes over the lock of a dead holder of the same image instead of ending DUPLICATE', async () => {
      // Arrange
      givenLockHolder({ imageRef: `tag:${NEW_TAG}` });
      sfnMock
        .on(DescribeExecutionCommand, { executionArn: HOLDER_ARN })
        .rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${HOLDER_ARN}'`, $metadata: {} }));
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: HOLDER_RECORD_KEY, ConsistentRead: true }).resolves({});
      givenReclaim('succeeds');

      // Act
      const state = await handler(envelope(request));

      // Assert
      expect(state.warnings).toEqual([
        `took over the lock of ${described(`image tag ${NEW_TAG}`)}: its execution no longer exists and it never wrote a record`,
      ]);
      expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
        TableName: TABLE,
        Item: { ...LOCK_KEY, ...OWN_LOCK, reclaimedFrom: HOLDER_ID },
        ConditionExpression: RECLAIM,
      });
      expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
        TableName: TABLE,
        Item: expect.objectContaining({ pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, status: 'IN_PROGRESS' }),
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      expect(ecrMock).not.toHaveReceivedAnyCommand();
    });

    it('fails with SupersededError when the running holder deploys an image pushed after the one requested', async () => {
      // Arrange
      givenLockHolder();
      givenExecution(HOLDER_ARN, 'RUNNING');
      givenPushed({ imageTag: NEW_TAG }, EARLIER);
      givenPushed({ imageTag: 'v1.4.3' }, LATER);

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(SupersededError);
      expect(error.message).toBe(
        `image tag ${NEW_TAG} (pushed 2025-03-04T08:20:00.000Z) is older than image tag v1.4.3 (pushed 2025-03-04T09:50:00.000Z), which ${described()} is deploying; releases do not go backwards by accident (use "baton rollback" to go back)`,
      );
      expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] });
      expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: 'v1.4.3' }] });
      expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { ConditionExpression: RECLAIM });
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'RECORD' }) });
    });

    it('compares by digest when the request and the holder name digests', async () => {
      // Arrange
      givenLockHolder({ imageRef: OLD_DIGEST });
      givenExecution(HOLDER_ARN, 'RUNNING');
      givenPushed({ imageDigest: NEW_DIGEST }, EARLIER);
      givenPushed({ imageDigest: OLD_DIGEST }, LATER);

      // Act
      const error = await failure(handler(envelope({ service: 'web', imageDigest: NEW_DIGEST })));

      // Assert
      expect(error).toBeInstanceOf(SupersededError);
      expect(error.message).toBe(
        `image ${NEW_DIGEST} (pushed 2025-03-04T08:20:00.000Z) is older than image ${OLD_DIGEST} (pushed 2025-03-04T09:50:00.000Z), which ${described(`image ${OLD_DIGEST}`)} is deploying; releases do not go backwards by accident (use "baton rollback" to go back)`,
      );
    });

    it('fails with DeploymentLockedError, not SupersededError, when the push time of an image is unknown', async () => {
      // Arrange
      givenLockHolder();
      givenExecution(HOLDER_ARN, 'RUNNING');
      ecrMock
        .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] })
        .rejects(new ImageNotFoundException({ message: `The image with imageId {imageTag:'${NEW_TAG}'} does not exist`, $metadata: {} }));
      givenPushed({ imageTag: 'v1.4.3' }, LATER);

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(DeploymentLockedError);
      expect(error.message).toBe(`web is locked by ${described()}`);
    });

    it('never supersedes a rollbackTo request: it fails with DeploymentLockedError without reading ECR', async () => {
      // Arrange
      givenLockHolder();
      givenExecution(HOLDER_ARN, 'RUNNING');

      // Act
      const error = await failure(handler(envelope({ service: 'web', rollbackTo: ROLLBACK_ID, hotfix: true, trigger: 'cli' })));

      // Assert
      expect(error).toBeInstanceOf(DeploymentLockedError);
      expect(error.message).toBe(`web is locked by ${described()}`);
      expect(ecrMock).not.toHaveReceivedAnyCommand();
    });

    it('names a rollback holding the lock as such and compares no images with it', async () => {
      // Arrange
      givenLockHolder({ imageRef: `rollback:${ROLLBACK_ID}` });
      givenExecution(HOLDER_ARN, 'RUNNING');

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(DeploymentLockedError);
      expect(error.message).toBe(`web is locked by ${described(`a rollback to ${ROLLBACK_ID}`)}`);
      expect(ecrMock).not.toHaveReceivedAnyCommand();
    });

    it('leaves the lock of a holder that ended with its record open to the backstop, and says so', async () => {
      // Arrange
      givenLockHolder();
      givenExecution(HOLDER_ARN, 'TIMED_OUT');
      givenHolderRecord('IN_PROGRESS');
      givenPushed({ imageTag: NEW_TAG }, LATER);
      givenPushed({ imageTag: 'v1.4.3' }, EARLIER);

      // Act: from the console (an ECR or CLI trigger would be queued, see above)
      const error = await failure(handler(envelope({ ...request, trigger: 'console' })));

      // Assert
      expect(error).toBeInstanceOf(DeploymentLockedError);
      expect(error.message).toBe(
        `web is locked by ${described()}: its execution ended TIMED_OUT with its record still IN_PROGRESS; the backstop closes that record (a recovery execution rolls it back if it has to) and frees the lock`,
      );
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { ConditionExpression: RECLAIM });
    });

    it('takes the lock on a second try when it is gone by the time it is read, and returns its state', async () => {
      // Arrange
      dynamoMock
        .on(PutCommand, { TableName: TABLE, Item: LOCK_KEY, ConditionExpression: ACQUIRE })
        .rejectsOnce(conditionFailed())
        .resolves({});
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true }).resolves({});

      // Act
      const state = await handler(envelope(request));

      // Assert
      expect(state).toEqual(withTestListener(initialState()));
      // The record under this name (none), then the lock.
      expect(dynamoMock).toHaveReceivedCommandTimes(GetCommand, 2);
      expect(dynamoMock.commandCalls(PutCommand, { TableName: TABLE, Item: LOCK_KEY, ConditionExpression: ACQUIRE })).toHaveLength(2);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
    });

    it('fails with DeploymentLockedError without naming a holder when the lock is taken again before the second try', async () => {
      // Arrange
      dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY, ConditionExpression: ACQUIRE }).rejects(conditionFailed());
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true }).resolves({});

      // Act
      const error = await failure(handler(envelope(request)));

      // Assert
      expect(error).toBeInstanceOf(DeploymentLockedError);
      expect(error.message).toBe('web is locked by another deployment');
      expect(dynamoMock.commandCalls(PutCommand, { TableName: TABLE, Item: LOCK_KEY, ConditionExpression: ACQUIRE })).toHaveLength(2);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'RECORD' }) });
    });
  });
});
