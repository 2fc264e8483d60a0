/**
 * The backstop (lambdas/backstop/index.ts) starting the image queued for a service once its deployment ended.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/backstop/index.ts';
import { updatedFields } from '../../../support/aws.ts';
import {
  dynamoMock,
  ecrMock,
  givenFinishSucceeds,
  givenQueued,
  givenRecord,
  givenStartSucceeds,
  LOCK_KEY,
  QUEUE_ENTRY,
  QUEUE_KEY,
  QUEUED_BY,
  RECORD_KEY,
  STATE_MACHINE_ARN,
  setUpBackstop,
  sfnMock,
  starts,
  statusChange,
  TABLE,
  updates,
} from '../../../support/backstop.ts';
import { lockItem } from '../../../support/items.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NEW_DIGEST, NEW_IMAGE_URI, STARTED_AT } from '../../../support/state.ts';

describe('backstop', () => {
  setUpBackstop();

  describe('the image queued for the service (lambdas/shared/queue.ts)', () => {
    function givenLock(holder: string | undefined) {
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
        .resolves(holder ? { Item: { ...LOCK_KEY, ...lockItem({ deploymentId: holder }) } } : {});
    }

    /** The ended deployment (started by `trigger`) put NEW_DIGEST live, an image pushed at 10:05. */
    function givenWentLive(trigger: string) {
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true }).resolves({
        Item: {
          ...RECORD_KEY,
          deploymentId: DEPLOYMENT_ID,
          service: 'web',
          status: 'SUCCEEDED',
          executionArn: EXECUTION_ARN,
          startedAt: STARTED_AT,
          trigger,
          newRelease: { image: NEW_IMAGE_URI, secrets: [] },
        },
      });
      ecrMock
        .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageDigest: NEW_DIGEST }] })
        .resolves({ imageDetails: [{ imagePushedAt: new Date('2025-03-04T10:05:00.000Z') }] });
    }

    beforeEach(() => {
      givenQueued();
      givenRecord('SUCCEEDED');
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: QUEUE_KEY }).resolves({});
    });

    it('starts the queued image once the lock is free, saying where it came from, then deletes exactly that entry', async () => {
      // Arrange
      givenLock(undefined);
      givenStartSucceeds();

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'SUCCEEDED'));

      // Assert
      expect(result).toEqual({
        action: 'none',
        reason: 'status SUCCEEDED needs no backstop',
        queue: { action: 'started', execution: `${QUEUED_BY}-dequeued`, queuedFrom: QUEUED_BY },
      });
      expect(starts().map(({ input, ...rest }) => ({ ...rest, input: JSON.parse(input ?? 'null') }))).toEqual([
        { stateMachineArn: STATE_MACHINE_ARN, name: `${QUEUED_BY}-dequeued`, input: { ...QUEUE_ENTRY.request, queuedFrom: QUEUED_BY } },
      ]);
      expect(dynamoMock.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: QUEUE_KEY,
          ConditionExpression: 'deploymentId = :queuedBy',
          ExpressionAttributeValues: { ':queuedBy': QUEUED_BY },
        },
      ]);
    });

    it('treats a queued execution a redelivered event already started (ExecutionAlreadyExists) as started, and deletes the entry', async () => {
      // Arrange
      givenLock(undefined);
      sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'SUCCEEDED'));

      // Assert
      expect(result).toHaveProperty('queue', { action: 'started', execution: `${QUEUED_BY}-dequeued`, queuedFrom: QUEUED_BY });
      expect(dynamoMock).toHaveReceivedCommandTimes(DeleteCommand, 1);
    });

    it('does not start an image older than the one that just went live: it deletes the entry and records it SUPERSEDED', async () => {
      // Arrange: the ended deployment put NEW_DIGEST live (pushed 10:05); v1.4.3 was pushed at 10:01.
      givenLock(undefined);
      givenWentLive('cli');
      ecrMock
        .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: 'v1.4.3' }] })
        .resolves({ imageDetails: [{ imagePushedAt: new Date('2025-03-04T10:01:00.000Z') }] });
      givenFinishSucceeds(`${QUEUED_BY}-dequeued`);
      const reason = `SupersededError: image tag v1.4.3 (pushed 2025-03-04T10:01:00.000Z), queued by ${QUEUED_BY}, is older than the image deployment ${DEPLOYMENT_ID} just put live (pushed 2025-03-04T10:05:00.000Z); it does not start`;

      // Act
      const result = await handler(statusChange(DEPLOYMENT_ID, 'SUCCEEDED'));

      // Assert
      expect(result).toHaveProperty('queue', { action: 'dropped', queuedFrom: QUEUED_BY, reason });
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(dynamoMock).toHaveReceivedCommandTimes(DeleteCommand, 1);
      expect(updatedFields(updates()[0])).toMatchObject({
        deploymentId: `${QUEUED_BY}-dequeued`,
        status: 'SUPERSEDED',
        queuedFrom: QUEUED_BY,
        imageTag: 'v1.4.3',
        outcomeReason: reason,
      });
    });

    it('names a superseded ECR push queued by digest by the tag it carried (issue 16, item 8)', async () => {
      // Arrange: the push of v1.4.3 (pushed 10:01) waits by digest; the ended deployment put NEW_DIGEST (pushed 10:05) live.
      const pushedDigest = `sha256:${'b2'.repeat(32)}`;
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: QUEUE_KEY, ConsistentRead: true }).resolves({
        Item: {
          ...QUEUE_ENTRY,
          request: { service: 'web', imageDigest: pushedDigest, pushedTag: 'v1.4.3', trigger: 'ecr', hotfix: false, dryRun: false },
          imageRef: pushedDigest,
        },
      });
      givenLock(undefined);
      givenWentLive('ecr');
      ecrMock
        .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageDigest: pushedDigest }] })
        .resolves({ imageDetails: [{ imagePushedAt: new Date('2025-03-04T10:01:00.000Z') }] });
      givenFinishSucceeds(`${QUEUED_BY}-dequeued`);

      // Act
      await handler(statusChange(DEPLOYMENT_ID, 'SUCCEEDED'));

      // Assert
      expect(updatedFields(updates()[0])).toMatchObject({
        deploymentId: `${QUEUED_BY}-dequeued`,
        status: 'SUPERSEDED',
        imageTag: 'v1.4.3',
        imageDigest: pushedDigest,
      });
    });

    it('leaves the entry waiting while the lock is held (a deployment, a recovery, or ROLLBACK_FAILED for an operator)', async () => {
      // Arrange
      givenLock('web-20250304-100500-aaaa');

      // Act
      const result = await handler(statusChange(QUEUED_BY, 'SUCCEEDED'));

      // Assert
      expect(result).toHaveProperty('queue', { action: 'waiting', holder: 'web-20250304-100500-aaaa' });
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
    });
  });
});
