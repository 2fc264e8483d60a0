/** When the lock is held: duplicate triggers, taking over the lock of an ended holder, images older than the holder's. */
import { DescribeImagesCommand, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/initialize/index.ts';
import { DeploymentLockedError, DuplicateTriggerError, SupersededError } from '../../../../lambdas/shared/errors.ts';
import { conditionFailed, failure } from '../../../support/aws.ts';
import {
  ACQUIRE,
  envelope,
  initializeMocks,
  LOCK_KEY,
  nowSeconds,
  OWN_LOCK,
  RECLAIM,
  ROLLBACK_ID,
  request,
  TABLE,
} from '../../../support/initialize.ts';
import { recordItem } from '../../../support/items.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, initialState, NEW_DIGEST, NEW_TAG, OLD_DIGEST, withTestListener } from '../../../support/state.ts';

describe('initialize', () => {
  const { dynamoMock, sfnMock, ecrMock, givenHolder, givenExecution, givenPushed } = initializeMocks();

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

      // Act: from the console (an ECR or CLI trigger would be queued, see queue.test.ts)
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

      // Act: from the console (an ECR or CLI trigger would be queued, see queue.test.ts)
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
