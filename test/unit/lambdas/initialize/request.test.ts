/** What initialize reads and writes for a request it accepts: the live colour, the lock, the record, the state it returns. */
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/initialize/index.ts';
import { ExecutionNameReusedError } from '../../../../lambdas/shared/errors.ts';
import { productionListenerOf, targetGroupOf } from '../../../../lambdas/shared/service-resources.ts';
import { conditionFailed, listenerWith } from '../../../support/aws.ts';
import {
  ACQUIRE,
  envelope,
  initializeMocks,
  LEASE_SECONDS,
  nowSeconds,
  RECORD_KEY,
  ROLLBACK_ID,
  request,
  TABLE,
  web,
} from '../../../support/initialize.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, initialState, NEW_DIGEST, NEW_TAG, STARTED_AT, withTestListener } from '../../../support/state.ts';

describe('initialize', () => {
  const { elbMock, dynamoMock } = initializeMocks();

  it('reads the production listener weights with DescribeListeners', async () => {
    // Arrange: blue carries all traffic (initializeMocks).

    // Act
    await handler(envelope(request));

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] });
  });

  it('makes blue live and green idle when blue has 100 % of the traffic', async () => {
    // Arrange: blue carries all traffic (initializeMocks).

    // Act
    const state = await handler(envelope(request));

    // Assert
    expect(state).toEqual(withTestListener(initialState()));
  });

  it('makes green live and blue idle when green has 100 % of the traffic', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] })
      .resolves(listenerWith(web, { blue: 0, green: 100 }));

    // Act
    const state = await handler(envelope(request));

    // Assert
    expect({ live: state.live, idle: state.idle }).toEqual({
      live: { colour: 'green', serviceName: 'web-green', targetGroupArn: targetGroupOf(web.green) },
      idle: { colour: 'blue', serviceName: 'web-blue', targetGroupArn: targetGroupOf(web.blue) },
    });
  });

  it('takes the service lock with a conditional put that only a free or own lock passes', async () => {
    // Arrange: lock free (initializeMocks).

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
    // Arrange: lock free (initializeMocks).

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
        // The plan its strategy resolved to, with the service's bake and gate interval.
        plan: { strategy: 'all-at-once', steps: [{ weight: 100, pauseSeconds: 0 }], bakeSeconds: 300, gateIntervalSeconds: 30 },
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
});
