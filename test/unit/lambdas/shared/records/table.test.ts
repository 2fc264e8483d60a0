import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { ContractViolationError } from '../../../../../lambdas/shared/errors.ts';
import { readLock } from '../../../../../lambdas/shared/lock/table.ts';
import { getRecord } from '../../../../../lambdas/shared/records/deployment.ts';
import { readQueued } from '../../../../../lambdas/shared/records/queue-entry.ts';
import { getReleaseRecord } from '../../../../../lambdas/shared/records/release.ts';
import { failure, rejectByDefault } from '../../../../support/aws.ts';
import { lockItem, recordItem } from '../../../../support/items.ts';
import { DEPLOYMENT_ID } from '../../../../support/state.ts';

const TABLE = 'baton-test-deployments';
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };

describe('reading items of the deployment table', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    rejectByDefault(dynamoMock);
  });

  function givenItem(key: { pk: string; sk: string }, item: Record<string, unknown> | undefined): void {
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: key, ConsistentRead: true }).resolves(item ? { Item: { ...key, ...item } } : {});
  }

  it('returns a lock as stored, with the attributes its schema does not name', async () => {
    // Arrange
    givenItem(LOCK_KEY, { ...lockItem(), renewedBy: 'checkStability' });

    // Act
    const lock = await readLock('web');

    // Assert
    expect(lock).toEqual({ ...LOCK_KEY, ...lockItem(), renewedBy: 'checkStability' });
  });

  it('returns undefined when there is no item', async () => {
    // Arrange
    givenItem(RECORD_KEY, undefined);

    // Act
    const record = await getRecord(DEPLOYMENT_ID);

    // Assert
    expect(record).toBeUndefined();
  });

  it('refuses a malformed deployment record with ContractViolationError naming the item, its key and the field, the zod error as cause', async () => {
    // Arrange
    givenItem(RECORD_KEY, { ...recordItem(), status: 'DONE' });

    // Act
    const error = await failure(getRecord(DEPLOYMENT_ID));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error.message).toMatch(
      new RegExp(`^deployment record of ${DEPLOYMENT_ID} is malformed: status: .* \\(item DEPLOYMENT#${DEPLOYMENT_ID} / RECORD\\)$`),
    );
    expect(error.cause).toBeInstanceOf(ZodError);
  });

  it('refuses a lock without its lease, naming the field', async () => {
    // Arrange
    const { leaseExpiresAt: _lease, ...withoutLease } = lockItem();
    givenItem(LOCK_KEY, withoutLease);

    // Act
    const error = await failure(readLock('web'));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error.message).toBe('lock of web is malformed: leaseExpiresAt: required (number) (item LOCK#web / LOCK)');
  });

  it('refuses a release record whose services are not entries, naming the field', async () => {
    // Arrange
    const key = { pk: 'RELEASE#r-1', sk: 'RECORD' };
    givenItem(key, {
      releaseId: 'r-1',
      release: '2026-11-22.1',
      status: 'IN_PROGRESS',
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:r-1',
      startedAt: '2026-11-22T09:00:00.000Z',
      trigger: 'cli',
      shift: 'each',
      waves: [['web']],
      services: { web: { wave: 1 } },
    });

    // Act
    const error = await failure(getReleaseRecord('r-1'));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error.message).toMatch(/^release record of r-1 is malformed: services\.web\.deploymentId: required \(string\)/);
  });

  it('refuses a queue entry without its push time, naming the field', async () => {
    // Arrange
    givenItem({ pk: 'QUEUE#web', sk: 'QUEUE' }, { service: 'web', deploymentId: DEPLOYMENT_ID });

    // Act
    const error = await failure(readQueued('web'));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error.message).toMatch(/^queue entry of web is malformed: .*pushedAtMs: required \(number\)/);
  });
});
