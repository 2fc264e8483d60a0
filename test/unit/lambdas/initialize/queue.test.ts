/** A newer image while a running deployment of an older one holds the lock: queued, superseding, or refused from the console. */
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/initialize/index.ts';
import { DeploymentLockedError, QueuedError, SupersededError } from '../../../../lambdas/shared/errors.ts';
import { conditionFailed, failure } from '../../../support/aws.ts';
import { rawExampleConfig } from '../../../support/config.ts';
import { envelope, initializeMocks, nowSeconds, RECLAIM, request, TABLE } from '../../../support/initialize.ts';
import { recordItem } from '../../../support/items.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NEW_TAG, NOW } from '../../../support/state.ts';

describe('initialize', () => {
  const { dynamoMock, sfnMock, givenHolder, givenExecution, givenPushed } = initializeMocks();

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
});
