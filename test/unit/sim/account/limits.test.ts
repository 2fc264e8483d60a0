/**
 * The simulated account enforces AWS's limits and fails as AWS does: the
 * error name and message a handler would see from the real service.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueLines } from '../../../../lambdas/shared/zod-format.ts';
import { SimulatedApis } from '../../../../sim/account/api.ts';
import {
  attributeValueBytes,
  DYNAMODB_MAX_ITEM_BYTES,
  dynamoItemBytes,
  putEventsEntryBytes,
  putEventsMaxRequestBytes,
} from '../../../../sim/account/limits.ts';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema } from '../../../../sim/account/schema.ts';
import type { SfnBackend, SfnExecutionView } from '../../../../sim/account/services/step-functions.ts';
import { ROOT } from '../../../support/config.ts';

const APP_CONFIG_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab';
const CURRENT_VERSION_ID = '20261120-0000-4000-8000-000000000001';

function rawAccount(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')) as Record<string, unknown>;
}

/** What a rejected SDK call threw: its name and message. */
async function failureOf(call: () => Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await call();
  } catch (error) {
    if (error instanceof Error) return { name: error.name, message: error.message };
    throw error;
  }
  throw new Error('the call succeeded');
}

let apis: SimulatedApis;
let model: AccountModel;

beforeEach(() => {
  model = new AccountModel(AccountSchema.parse(rawAccount()), Date.now());
  apis = new SimulatedApis(model);
  apis.install();
});

afterEach(() => {
  apis.uninstall();
});

describe('Secrets Manager version ids', () => {
  it('every account file holds version ids of 32 to 64 characters', () => {
    for (const file of ['example.json', 'three-services.json']) {
      const account = AccountSchema.parse(JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', file), 'utf8')));
      const ids = Object.values(account.secretsManager.secrets).flatMap((secret) => secret.versions.map((v) => v.versionId));
      expect(ids.every((id) => id.length >= 32 && id.length <= 64)).toBe(true);
    }
  });

  it('the account schema refuses a 12-character version id, naming the field', () => {
    // Arrange
    const raw = rawAccount() as { secretsManager: { secrets: Record<string, { versions: Array<{ versionId: string }> }> } };
    const versions = raw.secretsManager.secrets[APP_CONFIG_ARN]?.versions ?? [];
    const first = versions[0];
    if (!first) throw new Error('example account changed: no app-config version');
    first.versionId = 'v-2026-11-20';

    // Act
    const parsed = AccountSchema.safeParse(raw);

    // Assert
    expect(parsed.success).toBe(false);
    expect(parsed.error ? issueLines(parsed.error) : []).toEqual([
      `secretsManager.secrets.${APP_CONFIG_ARN}.versions[0].versionId: versionId must be 32 to 64 characters of letters, digits, '-' and '_' (Secrets Manager's version ids are UUIDs in practice, e.g. 20261120-0000-4000-8000-000000000001); got 'v-2026-11-20' (12 characters)`,
    ]);
  });

  it.each([
    ['alias/app-config', false],
    ['arn:aws:kms:eu-west-1:123456789012:alias/app-config', false],
    ['alias/aws/secretsmanager', true],
    ['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', true],
  ])('the account schema takes a secret key %s: %s (a customer managed key by ARN only)', (key, accepted) => {
    // Arrange
    const raw = rawAccount() as { secretsManager: { secrets: Record<string, { kmsKeyId?: string }> } };
    const secret = raw.secretsManager.secrets[APP_CONFIG_ARN];
    if (!secret) throw new Error('example account changed: no app-config secret');
    secret.kmsKeyId = key;

    // Act
    const parsed = AccountSchema.safeParse(raw);

    // Assert
    expect(parsed.error ? issueLines(parsed.error) : []).toEqual(
      accepted
        ? []
        : [
            `secretsManager.secrets.${APP_CONFIG_ARN}.kmsKeyId: a customer managed key is named by its key ARN here (the simulated account does not resolve aliases); only alias/aws/secretsmanager may be an alias`,
          ],
    );
  });

  it('the account schema refuses a version id pinned in a task definition valueFrom', () => {
    // Arrange
    const raw = rawAccount() as {
      ecs: { taskDefinitions: Array<{ containerDefinitions: Array<{ secrets?: Array<{ valueFrom: string }> }> }> };
    };
    const secret = raw.ecs.taskDefinitions[0]?.containerDefinitions[0]?.secrets?.find((s) => s.valueFrom.includes('::'));
    if (!secret) throw new Error('example account changed: no pinned valueFrom');
    secret.valueFrom = `${APP_CONFIG_ARN}:DATABASE_URL::v9`;

    // Act
    const parsed = AccountSchema.safeParse(raw);

    // Assert
    expect(parsed.error?.issues.map((issue) => issue.message)).toEqual([
      "valueFrom: versionId must be 32 to 64 characters of letters, digits, '-' and '_' (Secrets Manager's version ids are UUIDs in practice, e.g. 20261120-0000-4000-8000-000000000001); got 'v9' (2 characters)",
    ]);
  });

  it('GetSecretValue refuses a VersionId shorter than 32 characters with ValidationException', async () => {
    const client = new SecretsManagerClient({});

    const failure = await failureOf(() => client.send(new GetSecretValueCommand({ SecretId: APP_CONFIG_ARN, VersionId: 'v-2026-11-20' })));

    expect(failure).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'v-2026-11-20' at 'versionId' failed to satisfy constraint: Member must have length greater than or equal to 32",
    });
  });

  it('GetSecretValue refuses a VersionId longer than 64 characters, before looking the secret up', async () => {
    const client = new SecretsManagerClient({});
    const long = 'a'.repeat(65);

    const failure = await failureOf(() => client.send(new GetSecretValueCommand({ SecretId: 'no-such-secret', VersionId: long })));

    expect(failure).toEqual({
      name: 'ValidationException',
      message: `1 validation error detected: Value '${long}' at 'versionId' failed to satisfy constraint: Member must have length less than or equal to 64`,
    });
  });

  it('GetSecretValue answers a well-formed VersionId', async () => {
    const client = new SecretsManagerClient({});

    const answer = await client.send(new GetSecretValueCommand({ SecretId: APP_CONFIG_ARN, VersionId: CURRENT_VERSION_ID }));

    expect(answer.VersionId).toBe(CURRENT_VERSION_ID);
  });
});

describe('DynamoDB item and key sizes', () => {
  const TableName = 'baton-test-deployments';
  const documents = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));
  /** An item of exactly `bytes`: pk "P" (3 bytes), sk "S" (3) and a string attribute "blob" (4 + its length). */
  const itemOf = (bytes: number) => ({ pk: 'P', sk: 'S', blob: 'x'.repeat(bytes - 10) });

  it('counts an item as DynamoDB does: names plus values, 3 bytes per List or Map and 1 per element', () => {
    // pk 2+1; n 1+(2+1); b 1+1; l 1+(3 + (1+1) + (1+2)); m 1+(3 + 1+1+1)
    expect(dynamoItemBytes({ pk: 'a', n: 123, b: true, l: ['x', 1], m: { k: 'v' } })).toBe(25);
    expect(attributeValueBytes('é')).toBe(2);
    expect(attributeValueBytes(0.00125)).toBe(3);
    expect(attributeValueBytes(null)).toBe(1);
    expect(attributeValueBytes(new Uint8Array(5))).toBe(5);
    expect(dynamoItemBytes(itemOf(DYNAMODB_MAX_ITEM_BYTES))).toBe(409_600);
  });

  it('PutItem takes an item of exactly 400 KB', async () => {
    await documents().send(new PutCommand({ TableName, Item: itemOf(DYNAMODB_MAX_ITEM_BYTES) }));

    expect(model.table.get('P|S')?.blob).toHaveLength(409_590);
  });

  it('PutItem refuses an item one byte over 400 KB with ValidationException, writing nothing', async () => {
    const failure = await failureOf(() => documents().send(new PutCommand({ TableName, Item: itemOf(DYNAMODB_MAX_ITEM_BYTES + 1) })));

    expect(failure).toEqual({ name: 'ValidationException', message: 'Item size has exceeded the maximum allowed size' });
    expect(model.table.has('P|S')).toBe(false);
  });

  it('UpdateItem measures the item after the update and refuses it over 400 KB, leaving the item as it was', async () => {
    // Arrange: 409,586 bytes stored; the update adds "more" (4 bytes) = "0123456789a" (11 bytes): 409,601
    const client = documents();
    await client.send(new PutCommand({ TableName, Item: itemOf(DYNAMODB_MAX_ITEM_BYTES - 14) }));

    // Act
    const failure = await failureOf(() =>
      client.send(
        new UpdateCommand({
          TableName,
          Key: { pk: 'P', sk: 'S' },
          UpdateExpression: 'SET #more = :more',
          ExpressionAttributeNames: { '#more': 'more' },
          ExpressionAttributeValues: { ':more': '0123456789a' },
        }),
      ),
    );

    // Assert
    expect(failure).toEqual({ name: 'ValidationException', message: 'Item size to update has exceeded the maximum allowed size' });
    expect(model.table.get('P|S')?.more).toBeUndefined();
  });

  it('UpdateItem takes an update that ends exactly at 400 KB', async () => {
    const client = documents();
    await client.send(new PutCommand({ TableName, Item: itemOf(DYNAMODB_MAX_ITEM_BYTES - 14) }));

    await client.send(
      new UpdateCommand({
        TableName,
        Key: { pk: 'P', sk: 'S' },
        UpdateExpression: 'SET #more = :more',
        ExpressionAttributeNames: { '#more': 'more' },
        ExpressionAttributeValues: { ':more': '0123456789' },
      }),
    );

    expect(dynamoItemBytes(model.table.get('P|S') ?? {})).toBe(409_600);
  });

  it('refuses a partition key value over 2048 bytes', async () => {
    const failure = await failureOf(() => documents().send(new GetCommand({ TableName, Key: { pk: 'p'.repeat(2049), sk: 'S' } })));

    expect(failure).toEqual({
      name: 'ValidationException',
      message: 'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes',
    });
  });

  it('refuses a sort key value over 1024 bytes', async () => {
    const failure = await failureOf(() => documents().send(new PutCommand({ TableName, Item: { pk: 'P', sk: 's'.repeat(1025) } })));

    expect(failure).toEqual({
      name: 'ValidationException',
      message: 'One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes',
    });
  });
});

describe('SNS Publish', () => {
  const TopicArn = 'arn:aws:sns:eu-west-1:123456789012:baton-notifications';

  it('takes a message of exactly 262,144 bytes and a subject of 100 characters', async () => {
    await new SNSClient({}).send(new PublishCommand({ TopicArn, Subject: 's'.repeat(100), Message: 'm'.repeat(262_144) }));

    expect(model.notifications).toHaveLength(1);
  });

  it('refuses a message over 262,144 bytes (UTF-8 bytes, not characters)', async () => {
    // 131,073 two-byte characters: 262,146 bytes
    const failure = await failureOf(() => new SNSClient({}).send(new PublishCommand({ TopicArn, Message: 'é'.repeat(131_073) })));

    expect(failure).toEqual({ name: 'InvalidParameterException', message: 'Invalid parameter: Message too long' });
    expect(model.notifications).toEqual([]);
  });

  it('refuses a subject of 101 characters', async () => {
    const failure = await failureOf(() =>
      new SNSClient({}).send(new PublishCommand({ TopicArn, Subject: 's'.repeat(101), Message: 'deployed' })),
    );

    expect(failure).toEqual({ name: 'InvalidParameterException', message: 'Invalid parameter: Subject' });
  });

  it('refuses a subject with a line break', async () => {
    const failure = await failureOf(() =>
      new SNSClient({}).send(new PublishCommand({ TopicArn, Subject: 'web\nSUCCEEDED', Message: 'deployed' })),
    );

    expect(failure).toEqual({ name: 'InvalidParameterException', message: 'Invalid parameter: Subject' });
  });
});

describe('EventBridge PutEvents', () => {
  const entry = (detail: string) => ({ Source: 'baton', DetailType: 'Baton Phase', Detail: detail, EventBusName: 'default' });

  it('sizes an entry as EventBridge documents: Time 14 bytes, Source, DetailType, Detail and Resources in UTF-8', () => {
    expect(
      putEventsEntryBytes({ Time: new Date(0), Source: 'baton', DetailType: 'Baton Phase', Detail: '{"é":1}', Resources: ['arn:x'] }),
    ).toBe(14 + 5 + 11 + 8 + 5);
    expect(putEventsMaxRequestBytes('eu-west-1')).toBe(1_048_576);
    expect(putEventsMaxRequestBytes('mx-central-1')).toBe(262_144);
  });

  it('takes a request whose entries total exactly 1 MB', async () => {
    // Source 5 + DetailType 11 + Detail: {"p":"…"} is 8 + n bytes
    const detail = JSON.stringify({ p: 'x'.repeat(1_048_576 - 5 - 11 - 8) });

    const out = await new EventBridgeClient({}).send(new PutEventsCommand({ Entries: [entry(detail)] }));

    expect(out.FailedEntryCount).toBe(0);
    expect(model.events).toHaveLength(1);
  });

  it('refuses the whole request when its entries total over 1 MB, putting none of them', async () => {
    const half = JSON.stringify({ p: 'x'.repeat(524_288) });

    const failure = await failureOf(() =>
      new EventBridgeClient({}).send(new PutEventsCommand({ Entries: [entry('{}'), entry(half), entry(half)] })),
    );

    expect(failure).toEqual({ name: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' });
    expect(model.events).toEqual([]);
  });

  it('refuses more than 10 entries, echoing them as EventBridge does', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => entry(`{"i":${i}}`));

    const failure = await failureOf(() => new EventBridgeClient({}).send(new PutEventsCommand({ Entries: entries })));

    const printed = entries.map(
      (_, i) =>
        `PutEventsRequestEntry(time=null, source=baton, resources=null, detailType=Baton Phase, detail={"i":${i}}, eventBusName=default, traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)`,
    );
    expect(failure).toEqual({
      name: 'ValidationException',
      message: `1 validation error detected: Value '[${printed.join(', ')}]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10`,
    });
  });

  it('fails an entry whose Detail is not a JSON object as MalformedDetail, and puts the others', async () => {
    const out = await new EventBridgeClient({}).send(
      new PutEventsCommand({ Entries: [entry('{"ok":true}'), entry('not json'), entry('[1,2]')] }),
    );

    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries).toEqual([
      { EventId: 'event-1' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    ]);
    expect(model.events.map((event) => event.detail)).toEqual([{ ok: true }]);
  });
});

describe('Step Functions StartExecution', () => {
  it('names the execution by its ARN when the name is taken, as Step Functions does', async () => {
    // Arrange: a backend with one execution named deploy-1
    const stateMachineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:baton-production';
    const running: SfnExecutionView = {
      name: 'deploy-1',
      arn: 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:deploy-1',
      status: 'RUNNING',
      input: {},
      startDate: Date.now(),
    };
    const backend: SfnBackend = {
      stateMachineArn,
      executions: new Map([['deploy-1', running]]),
      startExecution: () => running,
      stopExecution: () => false,
      sendTaskSuccess: () => undefined,
      sendTaskFailure: () => undefined,
    };
    apis.sfn = backend;

    // Act
    const failure = await failureOf(() =>
      new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn, name: 'deploy-1', input: '{}' })),
    );

    // Assert
    expect(failure).toEqual({
      name: 'ExecutionAlreadyExists',
      message: "Execution Already Exists: 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:deploy-1'",
    });
  });
});
