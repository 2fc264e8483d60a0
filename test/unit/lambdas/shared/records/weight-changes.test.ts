/**
 * The weight history of a deployment record: each production weight write
 * appended once, only to the record its execution owns, in one conditional
 * update (the sim's table evaluates the same expressions: see
 * test/unit/sim/account/dynamo-expressions.test.ts).
 */
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordWeightChange, type WeightChange } from '../../../../../lambdas/shared/records/deployment.ts';
import { applyUpdate, evaluateCondition } from '../../../../../sim/account/dynamo-expressions.ts';
import { conditionFailed, failure, rejectByDefault } from '../../../../support/aws.ts';
import { recordItem } from '../../../../support/items.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, isoAfter, NOW, STARTED_AT } from '../../../../support/state.ts';

const TABLE = 'baton-test-deployments';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const OWNER = { executionArn: EXECUTION_ARN, startedAt: STARTED_AT };
const OWNED = '#owner = :owner AND #started = :started';
/** The canary's first step: 10 % on green. */
const FIRST_STEP: WeightChange = { at: NOW, blue: 90, green: 10, phase: 'shiftTraffic', step: 1, of: 2 };
const SECOND_STEP: WeightChange = { at: isoAfter(NOW, 600), blue: 0, green: 100, phase: 'shiftTraffic', step: 2, of: 2 };

describe('recordWeightChange', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  function updates(): UpdateCommandInput[] {
    return dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
  }

  /** The record after `changes` were recorded one after the other, each as the table applies the update sent for it. */
  async function recordAfter(record: Record<string, unknown>, ...changes: WeightChange[]): Promise<Record<string, unknown>> {
    let item = record;
    for (const change of changes) {
      dynamoMock.resetHistory();
      await recordWeightChange(DEPLOYMENT_ID, OWNER, change);
      const [input] = updates();
      if (!input?.UpdateExpression || !input.ConditionExpression) throw new Error('no update was sent');
      const { ExpressionAttributeNames: names, ExpressionAttributeValues: values } = input;
      if (evaluateCondition(input.ConditionExpression, item, names, values))
        item = applyUpdate(item, input.UpdateExpression, names, values);
    }
    return item;
  }

  beforeEach(() => {
    rejectByDefault(dynamoMock);
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
  });

  it('appends the change, keeping its key, only to the record its owner wrote and unless it is the last write again', async () => {
    // Act
    const appended = await recordWeightChange(DEPLOYMENT_ID, OWNER, FIRST_STEP);

    // Assert
    expect(appended).toBe(true);
    expect(updates()).toEqual([
      {
        TableName: TABLE,
        Key: RECORD_KEY,
        UpdateExpression: 'SET #changes = list_append(if_not_exists(#changes, :none), :change), #last = :key',
        ConditionExpression: `${OWNED} AND attribute_not_exists(#last) OR ${OWNED} AND #last <> :key`,
        ExpressionAttributeNames: {
          '#changes': 'weightChanges',
          '#last': 'lastWeightChange',
          '#owner': 'executionArn',
          '#started': 'startedAt',
        },
        ExpressionAttributeValues: {
          ':none': [],
          ':change': [FIRST_STEP],
          ':key': 'shiftTraffic step 1 of 2: blue 90 green 10',
          ':owner': EXECUTION_ARN,
          ':started': STARTED_AT,
        },
      },
    ]);
  });

  it('returns false when the condition does not hold: no record (a dry run), another execution’s, or the same write again', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).rejects(conditionFailed());

    // Act
    const appended = await recordWeightChange(DEPLOYMENT_ID, OWNER, FIRST_STEP);

    // Assert
    expect(appended).toBe(false);
  });

  it('lets any other DynamoDB error through', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).rejects(new Error('ProvisionedThroughputExceededException'));

    // Act
    const error = await failure(recordWeightChange(DEPLOYMENT_ID, OWNER, FIRST_STEP));

    // Assert
    expect(error.message).toBe('ProvisionedThroughputExceededException');
  });

  describe('as the table applies it', () => {
    it('creates the history on a record that has none, then appends in order', async () => {
      // Act
      const record = await recordAfter(recordItem(), FIRST_STEP, SECOND_STEP);

      // Assert
      expect(record).toEqual({
        ...recordItem(),
        weightChanges: [FIRST_STEP, SECOND_STEP],
        lastWeightChange: 'shiftTraffic step 2 of 2: blue 0 green 100',
      });
    });

    it('does not append the same write again when a retried invocation repeats it later', async () => {
      // Act
      const record = await recordAfter(recordItem(), FIRST_STEP, { ...FIRST_STEP, at: isoAfter(NOW, 5) });

      // Assert
      expect(record.weightChanges).toEqual([FIRST_STEP]);
    });

    it('appends the same weights written by another phase (a rollback after an all-at-once step)', async () => {
      // Arrange
      const step: WeightChange = { at: NOW, blue: 100, green: 0, phase: 'shiftTraffic', step: 1, of: 1 };
      const rollback: WeightChange = { at: isoAfter(NOW, 60), blue: 100, green: 0, phase: 'rollback' };

      // Act
      const record = await recordAfter(recordItem(), step, rollback);

      // Assert
      expect(record.weightChanges).toEqual([step, rollback]);
    });

    it('writes nothing to the record of another execution under the same name', async () => {
      // Arrange: 100 days ago an execution of the same name wrote this record.
      const earlier = recordItem({ startedAt: isoAfter(STARTED_AT, -100 * 86_400) });

      // Act
      const record = await recordAfter(earlier, FIRST_STEP);

      // Assert
      expect(record).toEqual(earlier);
    });

    it('creates no record where there is none (a dry run)', async () => {
      // Act
      await recordWeightChange(DEPLOYMENT_ID, OWNER, FIRST_STEP);

      // Assert
      const [input] = updates();
      const holds = evaluateCondition(
        input?.ConditionExpression ?? '',
        undefined,
        input?.ExpressionAttributeNames,
        input?.ExpressionAttributeValues,
      );
      expect(holds).toBe(false);
    });
  });
});
