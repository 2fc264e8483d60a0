/** DynamoDB through the document client: the deployment table, its conditions, key and item size limits, its GSI. */
import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { applyUpdate, evaluateCondition } from '../dynamo-expressions.ts';
import { itemSizeViolation, keySizeViolation, type LimitViolation } from '../limits.ts';
import { type AccountModel, tableKey } from '../model.ts';
import { clone, errorMeta, META, type ServiceSetup } from './common.ts';

type Item = Record<string, unknown>;
interface ConditionParts {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}
interface KeyInput {
  Key?: Item;
}
interface PutInput extends ConditionParts {
  Item?: Item;
}
interface UpdateInput extends ConditionParts {
  Key?: Item;
  UpdateExpression?: string;
  ReturnValues?: string;
}
interface DeleteInput extends ConditionParts {
  Key?: Item;
}
interface QueryInput {
  IndexName?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
  ScanIndexForward?: boolean;
  Limit?: number;
  ExclusiveStartKey?: Item;
}

function keyOf(key: Item | undefined): string {
  return tableKey(key ?? {});
}

/** The deployment table's key schema (lib/constructs/deployment-table.ts). */
const TABLE_KEY = { partitionKey: 'pk', sortKey: 'sk' } as const;

function dynamoValidation(violation: LimitViolation): Error {
  return new DynamoDBServiceException({ ...violation, $fault: 'client', ...errorMeta(400) });
}

/** A key value over DynamoDB's key size limits is refused before anything is read or written. */
function assertKeySize(key: Item | undefined): void {
  const violation = keySizeViolation(key ?? {}, TABLE_KEY);
  if (violation) throw dynamoValidation(violation);
}

/** DynamoDB refuses a request whose ExpressionAttributeNames or Values hold a placeholder no expression uses. */
function assertPlaceholdersUsed(
  input: ConditionParts & { UpdateExpression?: string; KeyConditionExpression?: string; FilterExpression?: string },
) {
  const expressions = [input.ConditionExpression, input.UpdateExpression, input.KeyConditionExpression, input.FilterExpression]
    .filter(Boolean)
    .join(' ');
  const used = new Set(expressions.match(/[#:][A-Za-z0-9_]+/g) ?? []);
  const unused = [...Object.keys(input.ExpressionAttributeNames ?? {}), ...Object.keys(input.ExpressionAttributeValues ?? {})].filter(
    (placeholder) => !used.has(placeholder),
  );
  if (unused.length > 0) {
    throw new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      message: `Value provided in ExpressionAttributeNames or ExpressionAttributeValues unused in expressions: keys: {${unused.join(', ')}}`,
      ...errorMeta(400),
    });
  }
}

function check(existing: Item | undefined, input: ConditionParts) {
  assertPlaceholdersUsed(input);
  if (
    input.ConditionExpression &&
    !evaluateCondition(input.ConditionExpression, existing, input.ExpressionAttributeNames, input.ExpressionAttributeValues)
  ) {
    throw new ConditionalCheckFailedException({ message: 'The conditional request failed', ...errorMeta(400) });
  }
}

function getItem(m: AccountModel, input: KeyInput) {
  assertKeySize(input.Key);
  return { ...META, Item: clone(m.table.get(keyOf(input.Key))) };
}

function putItem(m: AccountModel, input: PutInput) {
  const item = clone(input.Item ?? {});
  assertKeySize(item);
  // The item's size is checked with the request, before the condition is evaluated.
  const tooLarge = itemSizeViolation(item, 'PutItem');
  if (tooLarge) throw dynamoValidation(tooLarge);
  const key = keyOf(item);
  check(m.table.get(key), input);
  m.table.set(key, item);
  return { ...META };
}

function updateItem(m: AccountModel, input: UpdateInput) {
  assertKeySize(input.Key);
  const key = keyOf(input.Key);
  // DynamoDB refuses an update that sets a key attribute.
  const keyNames = Object.keys(input.Key ?? {});
  const setsKey = Object.entries(input.ExpressionAttributeNames ?? {}).some(
    ([placeholder, name]) => keyNames.includes(name) && new RegExp(`${placeholder}\\s*=`).test(input.UpdateExpression ?? ''),
  );
  if (setsKey) {
    throw new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      message: 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key',
      ...errorMeta(400),
    });
  }
  const existing = m.table.get(key);
  check(existing, input);
  const updated = applyUpdate(
    { ...(clone(existing) ?? {}), ...clone(input.Key ?? {}) },
    input.UpdateExpression ?? '',
    input.ExpressionAttributeNames,
    input.ExpressionAttributeValues,
  );
  // UpdateItem measures the item as it would be after the update.
  const tooLarge = itemSizeViolation(updated, 'UpdateItem');
  if (tooLarge) throw dynamoValidation(tooLarge);
  m.table.set(key, updated);
  if (input.ReturnValues === 'ALL_NEW') return { ...META, Attributes: clone(updated) };
  if (input.ReturnValues === 'ALL_OLD') return { ...META, ...(existing ? { Attributes: clone(existing) } : {}) };
  if (input.ReturnValues && input.ReturnValues !== 'NONE') throw new Error(`ReturnValues ${input.ReturnValues} is not modelled`);
  return { ...META };
}

function deleteItem(m: AccountModel, input: DeleteInput) {
  assertKeySize(input.Key);
  const key = keyOf(input.Key);
  check(m.table.get(key), input);
  m.table.delete(key);
  return { ...META };
}

/**
 * A Query of the byService index, a page at a time as DynamoDB answers: Limit
 * items read from ExclusiveStartKey on, LastEvaluatedKey when more remain;
 * the FilterExpression applies to the items read (ScannedCount counts them all, Count those it kept).
 */
function queryByService(m: AccountModel, input: QueryInput) {
  assertPlaceholdersUsed(input);
  const pk = input.ExpressionAttributeValues?.[':pk'];
  const items = [...m.table.values()].filter((item) => item.gsi1pk === pk).sort((a, b) => String(a.gsi1sk).localeCompare(String(b.gsi1sk)));
  if (input.ScanIndexForward === false) items.reverse();
  const from = input.ExclusiveStartKey ? items.findIndex((item) => keyOf(item) === keyOf(input.ExclusiveStartKey)) + 1 : 0;
  const read = items.slice(from, from + (input.Limit ?? items.length));
  const last = read[read.length - 1];
  const more = last !== undefined && from + read.length < items.length;
  const filter = input.FilterExpression;
  const kept = filter
    ? read.filter((item) => evaluateCondition(filter, item, input.ExpressionAttributeNames, input.ExpressionAttributeValues))
    : read;
  return {
    ...META,
    Items: clone(kept),
    Count: kept.length,
    ScannedCount: read.length,
    ...(more ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk, gsi1pk: last.gsi1pk, gsi1sk: last.gsi1sk } } : {}),
  };
}

export function installDynamoDb({ model: m, stubs, route }: ServiceSetup): void {
  const dynamo = stubs.stub(DynamoDBDocumentClient);
  dynamo.on(GetCommand).callsFake(route('dynamodb', 'GetItem', (input: KeyInput) => getItem(m, input)));
  dynamo.on(PutCommand).callsFake(route('dynamodb', 'PutItem', (input: PutInput) => putItem(m, input)));
  dynamo.on(UpdateCommand).callsFake(route('dynamodb', 'UpdateItem', (input: UpdateInput) => updateItem(m, input)));
  dynamo.on(DeleteCommand).callsFake(route('dynamodb', 'DeleteItem', (input: DeleteInput) => deleteItem(m, input)));
  dynamo.on(QueryCommand).callsFake(route('dynamodb', 'Query', (input: QueryInput) => queryByService(m, input)));
}
