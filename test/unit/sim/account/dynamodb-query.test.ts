/** The simulated byService Query: a page at a time as DynamoDB answers, and a FilterExpression applied to the items read. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedApis } from '../../../../sim/account/api.ts';
import { AccountModel, tableKey } from '../../../../sim/account/model.ts';
import { AccountSchema } from '../../../../sim/account/schema.ts';
import { ROOT } from '../../../support/config.ts';

let apis: SimulatedApis;
let model: AccountModel;

beforeEach(() => {
  model = new AccountModel(
    AccountSchema.parse(JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8'))),
    Date.now(),
  );
  // Five releases, two named "weekly", started a day apart.
  for (const [day, release] of ['weekly', 'hotfix', 'weekly', 'hotfix', 'monthly'].entries()) {
    const item = { pk: `RELEASE#r${day}`, sk: 'RECORD', gsi1pk: 'RELEASES', gsi1sk: `2026-11-0${day + 1}#r${day}`, release };
    model.table.set(tableKey(item), item);
  }
  apis = new SimulatedApis(model);
  apis.install();
});

afterEach(() => {
  apis.uninstall();
});

const query = (input: Partial<ConstructorParameters<typeof QueryCommand>[0]>) =>
  DynamoDBDocumentClient.from(new DynamoDBClient({})).send(
    new QueryCommand({
      TableName: 'baton-test-deployments',
      IndexName: 'byService',
      KeyConditionExpression: 'gsi1pk = :pk',
      ScanIndexForward: false,
      ...input,
      ExpressionAttributeValues: { ':pk': 'RELEASES', ...input.ExpressionAttributeValues },
    }),
  );

describe('simulated Query of the byService index', () => {
  it('reads Limit items newest first, and from LastEvaluatedKey on the next page', async () => {
    // Act
    const first = await query({ Limit: 2 });
    const second = await query({ Limit: 2, ExclusiveStartKey: first.LastEvaluatedKey });
    const last = await query({ Limit: 2, ExclusiveStartKey: second.LastEvaluatedKey });

    // Assert
    expect([first, second, last].map((page) => page.Items?.map((item) => item.pk))).toEqual([
      ['RELEASE#r4', 'RELEASE#r3'],
      ['RELEASE#r2', 'RELEASE#r1'],
      ['RELEASE#r0'],
    ]);
    expect(first.LastEvaluatedKey).toEqual({ pk: 'RELEASE#r3', sk: 'RECORD', gsi1pk: 'RELEASES', gsi1sk: '2026-11-04#r3' });
    expect(last.LastEvaluatedKey).toBeUndefined();
  });

  it('filters the items read: Count those kept, ScannedCount all read', async () => {
    // Act
    const page = await query({
      Limit: 4,
      FilterExpression: '#release = :name',
      ExpressionAttributeNames: { '#release': 'release' },
      ExpressionAttributeValues: { ':name': 'weekly' },
    });

    // Assert
    expect(page.Items?.map((item) => item.pk)).toEqual(['RELEASE#r2']);
    expect([page.Count, page.ScannedCount]).toEqual([1, 4]);
    expect(page.LastEvaluatedKey).toMatchObject({ pk: 'RELEASE#r1' });
  });

  it('refuses a placeholder no expression uses, as DynamoDB does', async () => {
    // Act / Assert
    await expect(query({ ExpressionAttributeValues: { ':name': 'weekly' } })).rejects.toThrow(
      'Value provided in ExpressionAttributeNames or ExpressionAttributeValues unused in expressions: keys: {:name}',
    );
  });
});
