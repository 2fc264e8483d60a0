/**
 * The backstop tests' mocked Step Functions, DynamoDB and ECR clients, the
 * EventBridge events it receives, and the records and queue entry it reads.
 * Each test file gets its own mocks (vitest isolates files); setUpBackstop
 * resets them before each test.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, vi } from 'vitest';
import { rejectByDefault, updatedFields } from './aws.ts';
import { ACCOUNT, DEPLOYMENT_ID, NEW_TAG, NOW, REGION, STARTED_AT } from './state.ts';
import { captureMetrics, type EmfLine } from './telemetry.ts';

export const sfnMock = mockClient(SFNClient);
export const dynamoMock = mockClient(DynamoDBDocumentClient);
export const ecrMock = mockClient(ECRClient);

export const TABLE = 'baton-test-deployments';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:baton-production`;
export const recordKey = (deploymentId: string) => ({ pk: `DEPLOYMENT#${deploymentId}`, sk: 'RECORD' });
export const RECORD_KEY = recordKey(DEPLOYMENT_ID);
export const QUEUE_KEY = { pk: 'QUEUE#web', sk: 'QUEUE' };
export const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
export const EXPIRES_AT = Math.floor(Date.parse(NOW) / 1000) + 400 * 86_400;
/** The condition finishRecord puts on every terminal status but ROLLED_BACK. */
export const STILL_RUNNING = 'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running';

export function executionArn(name: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:execution:baton-production:${name}`;
}

interface Detail {
  readonly input?: string | null;
  readonly error?: string | null;
  readonly cause?: string | null;
  readonly startDate?: number | null;
}

/** The EventBridge event Step Functions sends when execution `name` of the pipeline changes status. */
export function statusChange(name: string, status: string, detail: Detail = {}) {
  return {
    version: '0',
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    account: ACCOUNT,
    region: REGION,
    time: '2025-03-04T10:05:00Z',
    resources: [executionArn(name)],
    detail: {
      executionArn: executionArn(name),
      stateMachineArn: STATE_MACHINE_ARN,
      name,
      status,
      error: null,
      cause: null,
      input: JSON.stringify({ service: 'web', imageTag: NEW_TAG, trigger: 'cli' }),
      startDate: Date.parse(STARTED_AT),
      ...detail,
    },
  };
}

/** The input of a recovery execution the backstop started for `deploymentId`. */
export function recoveryInput(deploymentId: string): string {
  return JSON.stringify({ recover: deploymentId, error: 'ExecutionAborted', cause: `execution ${deploymentId} ended ABORTED` });
}

/** The deployment that queued v1.4.3 for web while DEPLOYMENT_ID held the lock. */
export const QUEUED_BY = 'web-20250304-100100-9c9c';

/** web's queue entry (lambdas/shared/queue.ts) as DynamoDB returns it: v1.4.3, queued by QUEUED_BY behind DEPLOYMENT_ID. */
export const QUEUE_ENTRY = {
  ...QUEUE_KEY,
  service: 'web',
  deploymentId: QUEUED_BY,
  executionArn: executionArn(QUEUED_BY),
  request: { service: 'web', imageTag: 'v1.4.3', trigger: 'ecr', hotfix: false, dryRun: false },
  repositoryName: 'web',
  imageRef: 'tag:v1.4.3',
  pushedAtMs: Date.parse('2025-03-04T10:01:00.000Z'),
  queuedAt: '2025-03-04T10:01:30.000Z',
  behind: DEPLOYMENT_ID,
};

/** QUEUE_ENTRY waits in web's queue. */
export function givenQueued() {
  dynamoMock.on(GetCommand, { TableName: TABLE, Key: QUEUE_KEY, ConsistentRead: true }).resolves({ Item: QUEUE_ENTRY });
}

/** The deployment record as DynamoDB returns it (key attributes included), or no record. */
export function givenRecord(status: string | undefined, deploymentId = DEPLOYMENT_ID) {
  const key = recordKey(deploymentId);
  dynamoMock.on(GetCommand, { TableName: TABLE, Key: key, ConsistentRead: true }).resolves(
    status
      ? {
          Item: {
            ...key,
            gsi1pk: 'SERVICE#web',
            gsi1sk: `${STARTED_AT}#${deploymentId}`,
            deploymentId,
            service: 'web',
            status,
            executionArn: executionArn(deploymentId),
            startedAt: STARTED_AT,
            trigger: 'cli',
            requestedBy: 'alice',
            imageTag: NEW_TAG,
          },
        }
      : {},
  );
}

/** finishRecord's conditional update succeeds and returns the record it wrote (ReturnValues ALL_NEW), so the outcome is announced. */
export function givenFinishSucceeds(deploymentId = DEPLOYMENT_ID) {
  dynamoMock
    .on(UpdateCommand, { TableName: TABLE, Key: recordKey(deploymentId) })
    .callsFake((input: UpdateCommandInput) => ({ Attributes: { ...recordKey(deploymentId), ...updatedFields(input) } }));
}

export function givenStartSucceeds() {
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: executionArn('started'), startDate: new Date(NOW) });
}

/** The UpdateCommand inputs sent to DynamoDB. */
export function updates(): UpdateCommandInput[] {
  return dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
}

/** The StartExecutionCommand inputs sent to Step Functions. */
export function starts() {
  return sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

/**
 * Registers the set-up every backstop test shares: the clock at NOW, mocks
 * that reject what they were not told, and the metrics captured. Returns the
 * EMF lines the running test wrote.
 */
export function setUpBackstop(): () => EmfLine[] {
  let metrics: EmfLine[] = [];

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(sfnMock, dynamoMock, ecrMock);
    // By default the history adds nothing to the event, and the recovered deployment's execution has ended.
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    // Nothing waits in web's queue unless a test says so.
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: QUEUE_KEY, ConsistentRead: true }).resolves({});
    metrics = captureMetrics();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  return () => metrics;
}
