/**
 * The three-service release the finish-release handler tests end: its
 * record as plan release wrote it, the records and locks of its services,
 * the mocked table, event bus and topic, and the hooks that fix the clock
 * and the environment.
 */
import { readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, vi } from 'vitest';
import { conditionFailed, rejectByDefault, updatedFields } from './aws.ts';
import { THREE_SERVICES_CONFIG_PATH } from './config.ts';
import { ACCOUNT, NOW, REGION } from './state.ts';
import { captureMetrics, type EmfLine } from './telemetry.ts';

export const dynamoMock = mockClient(DynamoDBDocumentClient);
export const eventsMock = mockClient(EventBridgeClient);
export const snsMock = mockClient(SNSClient);

export const TABLE = 'baton-test-deployments';
const RAW_CONFIG = readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8');
export const BUS = 'baton-production-events';
export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
export const RELEASE_ID = 'release-20250304-093000-7f3a';
export const EXECUTION_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:baton-production:${RELEASE_ID}`;
export const STARTED_AT = '2025-03-04T09:30:00.000Z';
export const RELEASE = '2026-11-22.1';
export const RELEASE_KEY = { pk: `RELEASE#${RELEASE_ID}`, sk: 'RECORD' };
export const IMAGES: Record<string, string> = { api: 'v1.1.0', web: 'v1.4.2', worker: 'v2.4.0' };
export const NAMES = ['api', 'web', 'worker'];
export const EXPIRES_AT = Math.floor(Date.parse(NOW) / 1000) + 400 * 86_400;

export const deploymentIdOf = (name: string) => `${RELEASE_ID}-${name}`;
export const recordKeyOf = (name: string) => ({ pk: `DEPLOYMENT#${deploymentIdOf(name)}`, sk: 'RECORD' });

export const RELEASE_INPUT = {
  release: RELEASE,
  services: { api: { imageTag: IMAGES.api }, web: { imageTag: IMAGES.web }, worker: { imageTag: IMAGES.worker } },
  trigger: 'cli',
};

/** The release record plan release wrote. */
export const RELEASE_RECORD = {
  ...RELEASE_KEY,
  gsi1pk: 'RELEASES',
  gsi1sk: `${STARTED_AT}#${RELEASE_ID}`,
  releaseId: RELEASE_ID,
  release: RELEASE,
  status: 'IN_PROGRESS',
  executionArn: EXECUTION_ARN,
  startedAt: STARTED_AT,
  trigger: 'cli',
  shift: 'each',
  waves: [['api'], ['web', 'worker']],
  services: Object.fromEntries(
    NAMES.map((name) => [name, { deploymentId: deploymentIdOf(name), wave: name === 'api' ? 1 : 2, imageTag: IMAGES[name] }]),
  ),
};

/** Why web failed validation, in the rejected releases. */
export const IMAGE_MESSAGE =
  "image tag v1.4.2 not found in ECR repository web (ImageNotFoundException: The image with imageId {imageTag:'v1.4.2'} does not exist)";

/** The release's payload, as the release branch hands it to a verdict. */
export function releaseState(extra: Record<string, unknown> = {}) {
  return {
    releaseId: RELEASE_ID,
    executionArn: EXECUTION_ARN,
    startedAt: STARTED_AT,
    request: RELEASE_INPUT,
    waves: [],
    warnings: [],
    ...extra,
  };
}

export function givenRelease(fields: Record<string, unknown> | undefined) {
  dynamoMock
    .on(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true })
    .resolves(fields ? { Item: { ...RELEASE_RECORD, ...fields } } : {});
}

/** Each service's record with this status; undefined: no record. */
export function givenRecords(statuses: Record<string, string | undefined>) {
  for (const [name, status] of Object.entries(statuses)) {
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: recordKeyOf(name), ConsistentRead: true }).resolves(
      status
        ? {
            Item: {
              ...recordKeyOf(name),
              deploymentId: deploymentIdOf(name),
              service: name,
              status,
              executionArn: EXECUTION_ARN,
              startedAt: STARTED_AT,
              trigger: 'cli',
              imageTag: IMAGES[name],
              release: RELEASE_ID,
            },
          }
        : {},
    );
  }
}

export function updatesOf(pk: string): UpdateCommandInput[] {
  return dynamoMock
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Key?.pk === pk);
}

export function releaseUpdate(): UpdateCommandInput {
  const [update, ...more] = updatesOf(RELEASE_KEY.pk);
  if (!update || more.length > 0) throw new Error(`expected one update of the release record, got ${updatesOf(RELEASE_KEY.pk).length}`);
  return update;
}

export function subjects(): (string | undefined)[] {
  return snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject);
}

/**
 * Registers the hooks of every finish-release test (call it inside a describe) and
 * returns the EMF lines the running test wrote.
 */
export function useOpenRelease(): () => EmfLine[] {
  let metrics: EmfLine[] = [];

  beforeEach(() => {
    // Arrange (shared): the release record is in progress until the first update ends it; bus and topic configured.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    vi.stubEnv('BATON_CONFIG', RAW_CONFIG);
    vi.stubEnv('BATON_EVENT_BUS_NAME', BUS);
    vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
    vi.stubEnv('BATON_CHAT_WEBHOOK_SECRET_ARN', undefined);
    rejectByDefault(dynamoMock, eventsMock, snsMock);
    givenRelease({});
    dynamoMock
      .on(UpdateCommand, { TableName: TABLE, Key: RELEASE_KEY })
      .callsFakeOnce((input: UpdateCommandInput) => ({ Attributes: { ...RELEASE_KEY, ...updatedFields(input) } }))
      .rejects(conditionFailed());
    for (const name of NAMES) {
      dynamoMock
        .on(UpdateCommand, { TableName: TABLE, Key: recordKeyOf(name) })
        .callsFake((input: UpdateCommandInput) => ({ Attributes: { ...recordKeyOf(name), ...updatedFields(input) } }));
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: { pk: `LOCK#${name}`, sk: 'LOCK' } }).resolves({});
    }
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    snsMock.on(PublishCommand, { TopicArn: TOPIC_ARN }).resolves({ MessageId: 'm-1' });
    metrics = captureMetrics();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  return () => metrics;
}
