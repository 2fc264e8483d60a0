/**
 * The weight history of a deployment record: each production weight write
 * appended once, only to the record its execution owns.
 */
import { DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordWeightChange, type WeightChange } from '../../../../../lambdas/shared/records/deployment.ts';
import { conditionFailed, rejectByDefault } from '../../../../support/aws.ts';
import { recordItem } from '../../../../support/items.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, isoAfter, NOW, STARTED_AT } from '../../../../support/state.ts';

const TABLE = 'baton-test-deployments';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const OWNER = { executionArn: EXECUTION_ARN, startedAt: STARTED_AT };
/** The canary's first step: 10 % on green. */
const FIRST_STEP: WeightChange = { at: NOW, blue: 90, green: 10, phase: 'shiftTraffic', step: 1, of: 2 };

/** The append of `change` to the record OWNER wrote. */
function append(change: WeightChange): UpdateCommandInput {
  return {
    TableName: TABLE,
    Key: RECORD_KEY,
    UpdateExpression: 'SET #list = list_append(if_not_exists(#list, :empty), :entries)',
    ConditionExpression: '#owner = :owner AND #started = :started',
    ExpressionAttributeNames: { '#list': 'weightChanges', '#owner': 'executionArn', '#started': 'startedAt' },
    ExpressionAttributeValues: { ':empty': [], ':entries': [change], ':owner': EXECUTION_ARN, ':started': STARTED_AT },
  };
}

describe('recordWeightChange', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  function updates(): UpdateCommandInput[] {
    return dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
  }

  function givenRecord(item: Record<string, unknown> | undefined): void {
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true })
      .resolves(item ? { Item: { ...RECORD_KEY, ...item } } : {});
  }

  beforeEach(() => {
    rejectByDefault(dynamoMock);
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
  });

  it('appends the first change of a record that has none, creating the list', async () => {
    // Arrange
    givenRecord(recordItem());

    // Act
    const appended = await recordWeightChange(DEPLOYMENT_ID, OWNER, FIRST_STEP);

    // Assert
    expect(appended).toBe(true);
    expect(updates()).toEqual([append(FIRST_STEP)]);
  });

  it('appends a change after a different one', async () => {
    // Arrange
    givenRecord(recordItem({ weightChanges: [FIRST_STEP] }));
    const second: WeightChange = { at: isoAfter(NOW, 600), blue: 0, green: 100, phase: 'shiftTraffic', step: 2, of: 2 };

    // Act
    const appended = await recordWeightChange(DEPLOYMENT_ID, OWNER, second);

    // Assert
    expect(appended).toBe(true);
    expect(updates()).toEqual([append(second)]);
  });

  it('does not append the same write again when a retried invocation repeats it later', async () => {
    // Arrange
    givenRecord(recordItem({ weightChanges: [FIRST_STEP] }));

    // Act
    const appended = await recordWeightChange(DEPLOYMENT_ID, OWNER, { ...FIRST_STEP, at: isoAfter(NOW, 5) });

    // Assert
    expect(appended).toBe(false);
    expect(updates()).toEqual([]);
  });

  it('appends the same weights written by another phase (a rollback after a step)', async () => {
    // Arrange
    const stepBack: WeightChange = { at: NOW, blue: 100, green: 0, phase: 'shiftTraffic', step: 1, of: 1 };
    givenRecord(recordItem({ weightChanges: [stepBack] }));
    const rollback: WeightChange = { at: isoAfter(NOW, 60), blue: 100, green: 0, phase: 'rollback' };

    // Act
    const appended = await recordWeightChange(DEPLOYMENT_ID, OWNER, rollback);

    // Assert
    expect(appended).toBe(true);
    expect(updates()).toEqual([append(rollback)]);
  });

  it('writes nothing and returns false when there is no record (a dry run)', async () => {
    // Arrange
    givenRecord(undefined);

    // Act
    const appended = await recordWeightChange(DEPLOYMENT_ID, OWNER, FIRST_STEP);

    // Assert
    expect(appended).toBe(false);
    expect(updates()).toEqual([]);
  });

  it('writes nothing to the record of another execution under the same name', async () => {
    // Arrange: 100 days ago an execution of the same name wrote this record.
    givenRecord(recordItem({ startedAt: isoAfter(STARTED_AT, -100 * 86_400) }));

    // Act
    const appended = await recordWeightChange(DEPLOYMENT_ID, OWNER, FIRST_STEP);

    // Assert
    expect(appended).toBe(false);
    expect(updates()).toEqual([]);
  });

  it('returns false when the owner condition fails between the read and the write', async () => {
    // Arrange
    givenRecord(recordItem());
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).rejects(conditionFailed());

    // Act
    const appended = await recordWeightChange(DEPLOYMENT_ID, OWNER, FIRST_STEP);

    // Assert
    expect(appended).toBe(false);
    expect(updates()).toEqual([append(FIRST_STEP)]);
  });
});
