/**
 * The baton CLI against mocked Step Functions and DynamoDB clients: which
 * commands each subcommand sends, what it prints and its exit code. The
 * request helpers of cli/commands.ts and cli/release.ts are tested directly.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { buildRequest, executionName, parseStrategy } from '../../cli/commands.ts';
import type { Io } from '../../cli/context.ts';
import type { LockItem, RecordItem } from '../../cli/deployments.ts';
import { UsageError } from '../../cli/errors.ts';
import { runBaton } from '../../cli/main.ts';
import { releaseExecutionName } from '../../cli/release.ts';
import type { DeploymentRequest, Plan } from '../../lambdas/shared/contract.ts';
import type { ReleaseRecord } from '../../lambdas/shared/records/release.ts';
import { EXAMPLE_CONFIG_PATH, THREE_SERVICES_CONFIG_PATH } from '../fixtures/config.ts';

const sfnMock = mockClient(SFNClient);
const dynamoMock = mockClient(DynamoDBDocumentClient);

const USER = userInfo().username;
const TABLE = 'baton-production-deployments';
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:baton-production';
const DEPLOYMENT_ID = 'web-v1_4_2-20261123T090000Z';
const EXECUTION_ARN = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${DEPLOYMENT_ID}`;
const DIGEST = 'sha256:2b41c8a0f2e6d7c95e3a1b4f6d8e0c2a4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f73';
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };

const LOCK: LockItem = {
  deploymentId: DEPLOYMENT_ID,
  executionArn: EXECUTION_ARN,
  imageRef: 'v1.4.2',
  acquiredAt: '2026-11-23T09:00:01.000Z',
};

const WAITING_RECORD: RecordItem = {
  deploymentId: DEPLOYMENT_ID,
  service: 'web',
  status: 'IN_PROGRESS',
  executionArn: EXECUTION_ARN,
  startedAt: '2026-11-23T09:00:00.000Z',
  trigger: 'cli',
  requestedBy: 'alice',
  imageTag: 'v1.4.2',
  awaitingApproval: true,
  approvalToken: 'AQCEAAAAKgAAAAMAAAAAAAAAAXsample-token',
};

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** What the command slept for, in ms, in order. */
  readonly sleeps: number[];
}

/** Runs baton with the example config and captured output; sleeping returns at once. */
async function baton(...args: string[]): Promise<Run> {
  return batonWith(EXAMPLE_CONFIG_PATH, ...args);
}

/** Runs baton with the given config and captured output; sleeping returns at once. */
async function batonWith(config: string, ...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const sleeps: number[] = [];
  const io: Io = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    isTty: false,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  const code = await runBaton([...args, '--config', config], io);
  return { code, out, err, sleeps };
}

/** The inputs of every StartExecution call, in order. */
function startInputs() {
  return sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

function givenLock(lock: LockItem | undefined): void {
  dynamoMock.on(GetCommand, { Key: LOCK_KEY }).resolves(lock ? { Item: { ...LOCK_KEY, ...lock } } : {});
}

function givenRecord(record: RecordItem | undefined): void {
  dynamoMock.on(GetCommand, { Key: RECORD_KEY }).resolves(record ? { Item: { ...RECORD_KEY, ...record } } : {});
}

beforeEach(() => {
  sfnMock.reset();
  dynamoMock.reset();
});

describe('baton deploy', () => {
  it('starts an execution of the pipeline with the request as input and a name from the tag', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date('2026-11-23T09:00:00Z') });

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v1.4.2', '--strategy', 'canary:10:300', '--approval', '--reason', 'r');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const [input] = startInputs();
    expect(input?.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(input?.name).toMatch(/^web-v1_4_2-\d{8}T\d{6}Z$/);
    expect(JSON.parse(input?.input ?? '')).toEqual({
      service: 'web',
      imageTag: 'v1.4.2',
      strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
      approval: true,
      dryRun: false,
      hotfix: false,
      reason: 'r',
      trigger: 'cli',
      requestedBy: USER,
    });
    expect(result.out).toBe(
      [
        `Started ${input?.name}`,
        `  https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`,
        'Follow it with: baton watch web',
        '',
      ].join('\n'),
    );
    expect(result.err).toBe('');
  });

  it('names the execution after the first 12 hex digits of the digest', async () => {
    // Arrange
    vi.useFakeTimers({ now: new Date('2026-11-23T09:00:00.123Z'), toFake: ['Date'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN}:web-2b41c8a0f2e6`, startDate: new Date() });

    // Act
    const result = await baton('deploy', 'web', '--digest', DIGEST);

    // Assert
    expect(result.code).toBe(0);
    const [input] = startInputs();
    expect(input?.name).toBe('web-2b41c8a0f2e6-20261123');
    expect(JSON.parse(input?.input ?? '')).toEqual({
      service: 'web',
      imageDigest: DIGEST,
      dryRun: false,
      hotfix: false,
      trigger: 'cli',
      requestedBy: USER,
    });
  });

  it('exits 4 and says how to look at the first execution when the digest was already started', async () => {
    // Arrange
    vi.useFakeTimers({ now: new Date('2026-11-23T09:00:00.123Z'), toFake: ['Date'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists: web-2b41c8a0f2e6', $metadata: {} }));

    // Act
    const result = await baton('deploy', 'web', '--digest', DIGEST);

    // Assert
    expect(result.code).toBe(4);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      'baton: an execution named web-2b41c8a0f2e6-20261123 already exists: this image was already started for web. ' +
        'See it with "baton status web"; pass --name <new-name> to start it again on purpose.\n',
    );
  });

  it('starts the state machine of another region, through a client of that region, with --region', async () => {
    // Arrange
    sfnMock
      .on(StartExecutionCommand)
      .resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:x:y', startDate: new Date() });

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v1.4.2', '--region', 'us-east-1');

    // Assert
    expect(result.code).toBe(0);
    expect(startInputs()[0]?.stateMachineArn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:baton-production');
    const client = sfnMock.call(0).thisValue as SFNClient;
    expect(await client.config.region()).toBe('us-east-1');
    expect(result.out).toContain('https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#');
  });

  it('exits 3 and prints the AWS error code when Step Functions refuses with an error the CLI does not name', async () => {
    // Arrange
    const denied = new Error('User: arn:aws:iam::123456789012:user/ci is not authorized to perform: states:StartExecution');
    denied.name = 'AccessDeniedException';
    sfnMock.on(StartExecutionCommand).rejects(denied);

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v1.4.2');

    // Assert
    expect(result.code).toBe(3);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      'baton: AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: states:StartExecution\n',
    );
  });

  it('exits 2 without calling AWS when neither --tag nor --digest is given', async () => {
    // Act
    const result = await baton('deploy', 'web');

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toBe('baton: deploy: give --tag <tag> or --digest <sha256:...>\nRun "baton --help" or "baton <command> --help".\n');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});

describe('baton approve and reject', () => {
  it('reads the lock, then the record, and sends the task token back with who approved', async () => {
    // Arrange
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    sfnMock.on(SendTaskSuccessCommand).resolves({});

    // Act
    const result = await baton('approve', 'web', '--reason', 'smoke tests green');

    // Assert
    expect(result.code).toBe(0);
    expect(dynamoMock).toHaveReceivedCommandTimes(GetCommand, 2);
    expect(dynamoMock).toHaveReceivedNthCommandWith(GetCommand, 1, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true });
    expect(dynamoMock).toHaveReceivedNthCommandWith(GetCommand, 2, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    const input = sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(input?.taskToken).toBe(WAITING_RECORD.approvalToken);
    expect(JSON.parse(input?.output ?? '')).toEqual({
      approvedBy: USER,
      approvedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      reason: 'smoke tests green',
    });
    expect(result.out).toBe(`Approved ${DEPLOYMENT_ID}: traffic starts moving. Follow it with: baton watch web\n`);
  });

  it('rejects with ApprovalRejected and a cause naming the operator and the reason', async () => {
    // Arrange
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    sfnMock.on(SendTaskFailureCommand).resolves({});

    // Act
    const result = await baton('reject', 'web', '--reason', 'x');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: WAITING_RECORD.approvalToken,
      error: 'ApprovalRejected',
      cause: `rejected by ${USER}: x`,
    });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({
      taskToken: WAITING_RECORD.approvalToken,
      error: 'ApprovalRejected',
      cause: `rejected by ${USER}: x`,
    });
    expect(result.out).toBe(`Rejected ${DEPLOYMENT_ID}; it rolls back. Follow it with: baton watch web\n`);
  });

  it('exits 4 when the approval window closed before the answer (TaskTimedOut)', async () => {
    // Arrange
    givenLock(LOCK);
    givenRecord(WAITING_RECORD);
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    // Act
    const result = await baton('approve', 'web');

    // Assert
    expect(result.code).toBe(4);
    expect(result.out).toBe('');
    expect(result.err).toBe(`baton: the approval of ${DEPLOYMENT_ID} was already answered or timed out\n`);
  });

  it('exits 4 without sending anything when the running deployment is not waiting for approval', async () => {
    // Arrange
    givenLock(LOCK);
    const { approvalToken: _token, ...running } = WAITING_RECORD;
    givenRecord({ ...running, awaitingApproval: false });

    // Act
    const result = await baton('approve', 'web');

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(
      `baton: nothing of web is waiting for approval (deployment ${DEPLOYMENT_ID} is running; see "baton watch web")\n`,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});

describe('baton abort', () => {
  it("stops the execution the lock names, as AbortedByOperator, with the operator's reason", async () => {
    // Arrange
    givenLock(LOCK);
    sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });

    // Act
    const result = await baton('abort', 'web', '--reason', 'wrong image');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: EXECUTION_ARN, error: 'AbortedByOperator', cause: `aborted by ${USER}: wrong image` },
    ]);
    expect(result.out).toBe(
      `Stopped ${DEPLOYMENT_ID}.\nThe backstop now rolls it back and closes its record; follow with: baton history web\n`,
    );
  });

  it('exits 3 when no deployment of the service is running', async () => {
    // Arrange
    givenLock(undefined);

    // Act
    const result = await baton('abort', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe('baton: no deployment of web is running\n');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});

describe('baton history', () => {
  it('queries the byService index newest first and prints the records as a JSON array', async () => {
    // Arrange
    const items: RecordItem[] = [
      { ...WAITING_RECORD, status: 'SUCCEEDED', awaitingApproval: false, endedAt: '2026-11-23T09:12:00.000Z' },
      {
        deploymentId: 'web-v1_4_1-20261120T101500Z',
        service: 'web',
        status: 'ROLLED_BACK',
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_1-20261120T101500Z',
        startedAt: '2026-11-20T10:15:00.000Z',
        trigger: 'ecr',
        endedAt: '2026-11-20T10:21:00.000Z',
        imageTag: 'v1.4.1',
        outcomeReason: 'alarm web-5xx-rate fired during the bake',
      },
    ];
    dynamoMock.on(QueryCommand).resolves({ Items: items });

    // Act
    const result = await baton('history', 'web', '--limit', '5', '--json');

    // Assert
    expect(result.code).toBe(0);
    expect(dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        IndexName: 'byService',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': 'SERVICE#web' },
        ScanIndexForward: false,
        Limit: 5,
      },
    ]);
    expect(JSON.parse(result.out)).toEqual(items);
    expect(result.out.endsWith('\n')).toBe(true);
  });
});

describe('baton status of an execution ARN', () => {
  const startDate = new Date('2026-11-23T09:00:00.000Z');
  const stopDate = new Date('2026-11-23T09:02:30.000Z');
  const events: HistoryEvent[] = [
    { id: 1, timestamp: startDate, type: 'ExecutionStarted' },
    { id: 2, timestamp: startDate, type: 'PassStateEntered', stateEnteredEventDetails: { name: 'Receive request' } },
    { id: 3, timestamp: startDate, type: 'PassStateExited', stateExitedEventDetails: { name: 'Receive request', output: '{}' } },
    { id: 4, timestamp: startDate, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Initialize' } },
    {
      id: 5,
      timestamp: startDate,
      type: 'TaskStateExited',
      stateExitedEventDetails: { name: 'Initialize', output: '{"live":{"colour":"blue"}}' },
    },
    { id: 6, timestamp: startDate, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Shift traffic' } },
    {
      id: 7,
      timestamp: startDate,
      type: 'TaskStateExited',
      stateExitedEventDetails: { name: 'Shift traffic', output: JSON.stringify({ idle: { colour: 'green' }, traffic: { weight: 10 } }) },
    },
    { id: 8, timestamp: startDate, type: 'WaitStateEntered', stateEnteredEventDetails: { name: 'Wait between traffic steps' } },
  ];

  it('reports the current state, the Task states done and the traffic split of the last output', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      stateMachineArn: STATE_MACHINE_ARN,
      name: DEPLOYMENT_ID,
      status: 'ABORTED',
      startDate,
      stopDate,
      error: 'AbortedByOperator',
      cause: 'aborted by alice',
    });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events });
    givenRecord(undefined);

    // Act
    const result = await baton('status', EXECUTION_ARN, '--json');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: EXECUTION_ARN });
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(GetExecutionHistoryCommand, {
      executionArn: EXECUTION_ARN,
      maxResults: 1000,
      includeExecutionData: true,
    });
    expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true });
    expect(JSON.parse(result.out)).toEqual({
      executionArn: EXECUTION_ARN,
      name: DEPLOYMENT_ID,
      status: 'ABORTED',
      startDate: '2026-11-23T09:00:00.000Z',
      stopDate: '2026-11-23T09:02:30.000Z',
      elapsedSeconds: 150,
      currentState: 'Wait between traffic steps',
      completed: ['Initialize', 'Shift traffic'],
      traffic: { blue: 90, green: 10 },
      error: 'AbortedByOperator',
      cause: 'aborted by alice',
      record: null,
    });
  });

  it('reads every page of the execution history', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ name: DEPLOYMENT_ID, status: 'ABORTED', startDate, stopDate });
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: events.slice(0, 5), nextToken: 'page-2' })
      .resolvesOnce({ events: events.slice(5) });
    givenRecord(undefined);

    // Act
    const result = await baton('status', EXECUTION_ARN, '--json');

    // Assert
    expect(sfnMock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 2);
    expect(sfnMock).toHaveReceivedNthCommandWith(GetExecutionHistoryCommand, 2, { executionArn: EXECUTION_ARN, nextToken: 'page-2' });
    expect(JSON.parse(result.out)).toMatchObject({
      currentState: 'Wait between traffic steps',
      completed: ['Initialize', 'Shift traffic'],
      traffic: { blue: 90, green: 10 },
    });
  });
});

describe('baton watch', () => {
  it('exits 3 and points at baton history when no deployment of the service is running', async () => {
    // Arrange
    givenLock(undefined);

    // Act
    const result = await baton('watch', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.out).toBe('');
    expect(result.err).toBe('baton: no deployment of web is running; see the last ones with "baton history web"\n');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});

describe('baton rollback', () => {
  const ROLLBACK_ID = 'web-v1_4_1-20261120T101500Z';
  const ROLLBACK_KEY = { pk: `DEPLOYMENT#${ROLLBACK_ID}`, sk: 'RECORD' };
  const RELEASE: RecordItem = {
    deploymentId: ROLLBACK_ID,
    service: 'web',
    status: 'SUCCEEDED',
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${ROLLBACK_ID}`,
    startedAt: '2026-11-20T10:15:00.000Z',
    trigger: 'cli',
    endedAt: '2026-11-20T10:21:00.000Z',
    imageTag: 'v1.4.1',
    imageDigest: DIGEST,
    newTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:39',
  };

  function givenRelease(record: RecordItem | undefined): void {
    dynamoMock.on(GetCommand, { Key: ROLLBACK_KEY }).resolves(record ? { Item: { ...ROLLBACK_KEY, ...record } } : {});
  }

  it('starts a hotfix execution that redeploys the release --to names, by deployment id', async () => {
    // Arrange
    givenLock(undefined);
    givenRelease(RELEASE);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_ARN}-rb`, startDate: new Date() });

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(0);
    expect(dynamoMock).toHaveReceivedNthCommandWith(GetCommand, 2, { TableName: TABLE, Key: ROLLBACK_KEY, ConsistentRead: true });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const [input] = startInputs();
    expect(input?.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(input?.name).toMatch(new RegExp(`^web-rollback-${ROLLBACK_ID}-[0-9a-z]+$`));
    expect(JSON.parse(input?.input ?? '')).toEqual({
      service: 'web',
      rollbackTo: ROLLBACK_ID,
      hotfix: true,
      dryRun: false,
      reason: `rollback to ${ROLLBACK_ID}`,
      trigger: 'cli',
      requestedBy: USER,
    });
    expect(result.out).toBe(`Rolling web back to ${ROLLBACK_ID} (v1.4.1) as ${input?.name}\n`);
  });

  /** A successful release of web: deployment id, start time and task definition revision. */
  function succeeded(deploymentId: string, startedAt: string, revision: number, extra: Partial<RecordItem> = {}): RecordItem {
    return {
      ...RELEASE,
      deploymentId,
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${deploymentId}`,
      startedAt,
      endedAt: startedAt.replace(':00.000Z', ':30.000Z'),
      newTaskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${revision}`,
      ...extra,
    };
  }

  /** The history query answers these records, newest first, and StartExecution succeeds. */
  function givenHistory(records: RecordItem[]): void {
    givenLock(undefined);
    dynamoMock.on(QueryCommand).resolves({ Items: records });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_ARN}-rb`, startDate: new Date() });
  }

  it('without --to, reads the newest 100 records of the service and rolls back to the release before the live one', async () => {
    // Arrange: [B, (a rolled-back deployment), A]
    const b = succeeded(DEPLOYMENT_ID, '2026-11-23T09:00:00.000Z', 42, { imageTag: 'v1.4.2' });
    const failed = succeeded('web-v1_4_2-20261122T080000Z', '2026-11-22T08:00:00.000Z', 41, { status: 'ROLLED_BACK' });
    givenHistory([b, failed, RELEASE]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(dynamoMock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'byService',
      ExpressionAttributeValues: { ':pk': 'SERVICE#web' },
      ScanIndexForward: false,
      Limit: 100,
    });
    expect(JSON.parse(startInputs()[0]?.input ?? '')).toEqual({
      service: 'web',
      rollbackTo: ROLLBACK_ID,
      hotfix: true,
      dryRun: false,
      reason: `rollback to ${ROLLBACK_ID}`,
      trigger: 'cli',
      requestedBy: USER,
    });
  });

  it('without --to, rolls back to the release before the one the live rollback restored, skipping both', async () => {
    // Arrange: [R (restores A, so runs A's task definition), B, A, X]
    const x = succeeded('web-v1_3_9-20261118T100000Z', '2026-11-18T10:00:00.000Z', 37, { imageTag: 'v1.3.9' });
    const a = succeeded('web-v1_4_0-20261119T100000Z', '2026-11-19T10:00:00.000Z', 38, { imageTag: 'v1.4.0' });
    const b = succeeded('web-v1_4_1-20261120T100000Z', '2026-11-20T10:00:00.000Z', 39, { imageTag: 'v1.4.1' });
    const r = succeeded('web-rollback-20261121T100000Z', '2026-11-21T10:00:00.000Z', 38, { imageTag: 'v1.4.0', restores: a.deploymentId });
    givenHistory([r, b, a, x]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(JSON.parse(startInputs()[0]?.input ?? '')).toMatchObject({
      rollbackTo: x.deploymentId,
      reason: `rollback to ${x.deploymentId}`,
    });
    expect(result.out).toBe(`Rolling web back to ${x.deploymentId} (v1.3.9) as ${startInputs()[0]?.name}\n`);
  });

  it('without --to, rolls back to A from [B, A]', async () => {
    // Arrange
    const a = succeeded('web-v1_4_0-20261119T100000Z', '2026-11-19T10:00:00.000Z', 38, { imageTag: 'v1.4.0' });
    const b = succeeded('web-v1_4_1-20261120T100000Z', '2026-11-20T10:00:00.000Z', 39, { imageTag: 'v1.4.1' });
    givenHistory([b, a]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(JSON.parse(startInputs()[0]?.input ?? '')).toMatchObject({ rollbackTo: a.deploymentId });
  });

  it('without --to, skips an older deployment of the same task definition as the live one', async () => {
    // Arrange: [B, B' (redeployed B's task definition), A]
    const a = succeeded('web-v1_4_0-20261119T100000Z', '2026-11-19T10:00:00.000Z', 38, { imageTag: 'v1.4.0' });
    const bEarlier = succeeded('web-v1_4_1-20261120T100000Z', '2026-11-20T10:00:00.000Z', 39, { imageTag: 'v1.4.1' });
    const b = succeeded('web-v1_4_1-20261121T100000Z', '2026-11-21T10:00:00.000Z', 39, { imageTag: 'v1.4.1' });
    givenHistory([b, bEarlier, a]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(JSON.parse(startInputs()[0]?.input ?? '')).toMatchObject({ rollbackTo: a.deploymentId });
  });

  it('without --to, exits 3 without starting anything when nothing older than the restored release succeeded', async () => {
    // Arrange: [R (restores A), B, A]
    const a = succeeded('web-v1_4_0-20261119T100000Z', '2026-11-19T10:00:00.000Z', 38);
    const b = succeeded('web-v1_4_1-20261120T100000Z', '2026-11-20T10:00:00.000Z', 39);
    const r = succeeded('web-rollback-20261121T100000Z', '2026-11-21T10:00:00.000Z', 38, { restores: a.deploymentId });
    givenHistory([r, b, a]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe('baton: web has no earlier successful release to roll back to; see "baton history web"\n');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 4 without starting anything when the release recorded no task definition', async () => {
    // Arrange
    givenLock(undefined);
    const { newTaskDefinitionArn: _none, ...withoutTaskDefinition } = RELEASE;
    givenRelease(withoutTaskDefinition);

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(4);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `baton: deployment ${ROLLBACK_ID} recorded no task definition; deploy its image instead: baton deploy web --digest <digest>\n`,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 4 without starting anything when the release --to names did not succeed', async () => {
    // Arrange
    givenLock(undefined);
    givenRelease({ ...RELEASE, status: 'ROLLED_BACK' });

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(`baton: deployment ${ROLLBACK_ID} ended ROLLED_BACK; only a release that succeeded can be rolled back to\n`);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 3 without starting anything when --to names no deployment of the service', async () => {
    // Arrange
    givenLock(undefined);
    givenRelease({ ...RELEASE, service: 'api' });

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe(`baton: no deployment ${ROLLBACK_ID} of web; see "baton history web"\n`);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 4 without reading the release while another deployment of the service runs', async () => {
    // Arrange
    givenLock(LOCK);

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(
      `baton: deployment ${DEPLOYMENT_ID} of web is running; stop it with "baton abort web" (it rolls back by itself)\n`,
    );
    expect(dynamoMock).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});

describe('baton release', () => {
  const RELEASE_ID = 'release-2026-11-22_1-20261123T090000Z';
  const RELEASE_ARN = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${RELEASE_ID}`;
  const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${RELEASE_ARN}`;
  const RELEASE_KEY = { pk: `RELEASE#${RELEASE_ID}`, sk: 'RECORD' };
  const SERVICES = { api: { imageTag: 'v1.1.0' }, worker: { imageTag: 'v2.4.0' }, web: { imageTag: 'v1.4.2' } };
  const STARTED = [
    'Started release 2026-11-22.1',
    `  execution  ${RELEASE_ID}`,
    '  order      api -> web + worker',
    '  shift      each',
    `  ${CONSOLE_URL}`,
  ];
  let dir = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-release-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    // The execution name carries the UTC time: fixed, so the expected names are exact.
    vi.useFakeTimers({ now: new Date('2026-11-23T09:00:00.123Z'), toFake: ['Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** Writes a release file (a value as JSON, a string as it is) and returns its path. */
  function releaseFile(content: unknown, name = 'release.json'): string {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  function release(...args: string[]): Promise<Run> {
    return batonWith(THREE_SERVICES_CONFIG_PATH, 'release', ...args);
  }

  const USAGE_HINT = 'Run "baton --help" or "baton <command> --help".\n';
  const DIGEST_A = `sha256:${'a'.repeat(64)}`;

  it.each([
    ['an unknown field', { release: '2026-11-22.1', services: SERVICES, colour: 'blue' }, 'invalid release input: colour: unknown field'],
    [
      'a service the config does not have',
      { release: '2026-11-22.1', services: { ...SERVICES, billing: { imageTag: 'v1' } } },
      'invalid release input: services: "billing" is not configured (known: api, worker, web)',
    ],
    ['no services', { release: '2026-11-22.1', services: {} }, 'invalid release input: services: name at least one service and its image'],
    [
      'a tag and a digest for one service',
      { release: '2026-11-22.1', services: { api: { imageTag: 'v1.1.0', imageDigest: DIGEST_A } } },
      'invalid release input: services.api.imageDigest: give imageTag or imageDigest, not both',
    ],
    [
      'a service without an image',
      { release: '2026-11-22.1', services: { api: {} } },
      'invalid release input: services.api.imageTag: give imageTag or imageDigest',
    ],
    ['no release name', { services: SERVICES }, 'invalid release input: release: required (string)'],
    [
      'an unknown shift mode',
      { release: '2026-11-22.1', services: SERVICES, shift: 'sideways' },
      'invalid release input: shift: Invalid option: expected one of "each"|"together"',
    ],
    [
      'a JSON array',
      [{ release: '2026-11-22.1' }],
      'release input must be a JSON object such as {"release": "2026-11-22.1", "services": {"api": {"imageTag": "v2"}}}',
    ],
  ])('exits 2 naming the field, without starting anything, for %s', async (_case, content, message) => {
    // Arrange
    const file = releaseFile(content);

    // Act
    const result = await release('--file', file);

    // Assert
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toBe(`baton: release file ${file}: ${message}\n${USAGE_HINT}`);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 2 naming the path, without starting anything, when the file cannot be read', async () => {
    // Arrange
    const file = join(dir, 'missing.json');

    // Act
    const result = await release('--file', file);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toBe(`baton: cannot read release file ${file}: ENOENT: no such file or directory, open '${file}'\n${USAGE_HINT}`);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 2 naming the path, without starting anything, when the file is not JSON', async () => {
    // Arrange
    const file = releaseFile('{"release": "2026-11-22.1", "services": ', 'broken.json');

    // Act
    const result = await release('--file', file);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err.startsWith(`baton: release file ${file} is not valid JSON: `)).toBe(true);
    expect(result.err.endsWith(`\n${USAGE_HINT}`)).toBe(true);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it.each([
    [[], 'release: give the release with --file <release.json>'],
    [['api'], 'release: unexpected argument "api" (give the release with --file <release.json>)'],
    [['--name', 'release 1'], '--name: use letters, digits, "-" and "_" only, at most 80 characters (got "release 1")'],
    [['--name', 'r'.repeat(81)], `--name: use letters, digits, "-" and "_" only, at most 80 characters (got "${'r'.repeat(81)}")`],
    [['--tag', 'v1'], 'release does not take --tag'],
    [['--dry-run', '--watch'], 'release: --dry-run waits for its result already; drop --watch'],
    [['--watch', '--dry-run', '--json'], 'release: --dry-run waits for its result already; drop --watch'],
  ])('baton release %j exits 2 without starting anything', async (args, message) => {
    // Arrange: a valid file, where one is given
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    const withFile = args.length === 0 || args[0] === 'api' ? args : ['--file', file, ...args];

    // Act
    const result = await release(...withFile);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toBe(`baton: ${message}\n${USAGE_HINT}`);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('starts the state machine with the release as input, trigger "cli" and the operator, under a name from the release', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });

    // Act
    const result = await release('--file', file);

    // Assert
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const [input] = startInputs();
    expect(input?.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(input?.name).toBe(RELEASE_ID);
    expect(JSON.parse(input?.input ?? '')).toEqual({
      release: '2026-11-22.1',
      services: SERVICES,
      shift: 'each',
      dryRun: false,
      trigger: 'cli',
      requestedBy: USER,
    });
    expect(result.out).toBe([...STARTED, `See it with: baton status ${RELEASE_ARN}`, ''].join('\n'));
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('keeps the trigger and requester the file gives, and the execution name --name gives; --json prints the plan', async () => {
    // Arrange
    const file = releaseFile({
      release: '2026-11-22.1',
      services: { web: { imageTag: 'v1.4.2' }, api: { imageDigest: DIGEST_A } },
      shift: 'together',
      reason: 'weekly release',
      trigger: 'console',
      requestedBy: 'release-bot',
    });
    const arn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:weekly-1`;
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: new Date() });

    // Act
    const result = await release('--file', file, '--name', 'weekly-1', '--json');

    // Assert
    expect(result.code).toBe(0);
    const [input] = startInputs();
    expect(input?.name).toBe('weekly-1');
    expect(JSON.parse(input?.input ?? '')).toEqual({
      release: '2026-11-22.1',
      services: { web: { imageTag: 'v1.4.2' }, api: { imageDigest: DIGEST_A } },
      shift: 'together',
      dryRun: false,
      reason: 'weekly release',
      trigger: 'console',
      requestedBy: 'release-bot',
    });
    expect(JSON.parse(result.out)).toEqual({
      release: '2026-11-22.1',
      releaseId: 'weekly-1',
      executionArn: arn,
      waves: [['api'], ['web']],
      order: 'api -> web',
      shift: 'together',
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
    });
  });

  it('exits 4 when an execution of that name already exists', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const result = await release('--file', file, '--name', 'weekly-1');

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(
      'baton: an execution named weekly-1 already exists: a release of that id was already started. ' +
        'See it with "baton status <execution-arn>"; pass another --name to start it again on purpose.\n',
    );
  });

  /** A release record of the three services, as plan release writes it. */
  const RECORD: ReleaseRecord = {
    releaseId: RELEASE_ID,
    release: '2026-11-22.1',
    status: 'IN_PROGRESS',
    executionArn: RELEASE_ARN,
    startedAt: '2026-11-23T09:00:00.000Z',
    trigger: 'cli',
    requestedBy: 'alice',
    shift: 'each',
    waves: [['api'], ['web', 'worker']],
    services: {
      api: { deploymentId: `${RELEASE_ID}-api`, wave: 1, imageTag: 'v1.1.0' },
      web: { deploymentId: `${RELEASE_ID}-web`, wave: 2, imageTag: 'v1.4.2' },
      worker: { deploymentId: `${RELEASE_ID}-worker`, wave: 2, imageTag: 'v2.4.0' },
    },
  };

  function serviceRecord(service: string, fields: Partial<RecordItem> = {}): RecordItem {
    return {
      deploymentId: `${RELEASE_ID}-${service}`,
      service,
      status: 'IN_PROGRESS',
      executionArn: RELEASE_ARN,
      startedAt: '2026-11-23T09:00:00.000Z',
      trigger: 'cli',
      release: RELEASE_ID,
      ...fields,
    };
  }

  /** Each GetCommand of a key answers the given items in turn, the last one from then on. */
  function givenItems(key: { pk: string; sk: string }, ...items: Array<object | undefined>): void {
    let stub = dynamoMock.on(GetCommand, { Key: key });
    for (const item of items.slice(0, -1)) stub = stub.resolvesOnce(item ? { Item: { ...key, ...item } } : {});
    const last = items[items.length - 1];
    stub.resolves(last ? { Item: { ...key, ...last } } : {});
  }

  const serviceKey = (service: string) => ({ pk: `DEPLOYMENT#${RELEASE_ID}-${service}`, sk: 'RECORD' });

  it('with --watch, polls the execution and the records every 2 s, prints each status change and the verdict, and exits 0', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });
    const startDate = new Date('2026-11-23T09:00:00.000Z');
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ name: RELEASE_ID, status: 'RUNNING', startDate })
      .resolvesOnce({ name: RELEASE_ID, status: 'RUNNING', startDate })
      .resolves({ name: RELEASE_ID, status: 'SUCCEEDED', startDate, stopDate: new Date('2026-11-23T09:12:00.000Z') });
    const endedAt = '2026-11-23T09:12:00.000Z';
    const live = (service: string, tag: string) =>
      serviceRecord(service, { status: 'SUCCEEDED', endedAt, outcomeReason: `${tag} live on green (${service}-green) after a 300 s bake` });
    // First poll: the release is not planned yet. Second: planned, every service in progress. Third: done.
    givenItems(RELEASE_KEY, undefined, RECORD, {
      ...RECORD,
      status: 'SUCCEEDED',
      outcomeReason: 'release 2026-11-22.1 live: api v1.1.0, web v1.4.2, worker v2.4.0',
      endedAt,
    });
    givenItems(serviceKey('api'), undefined, serviceRecord('api'), live('api', 'v1.1.0'));
    givenItems(serviceKey('web'), undefined, serviceRecord('web'), live('web', 'v1.4.2'));
    givenItems(serviceKey('worker'), undefined, serviceRecord('worker'), live('worker', 'v2.4.0'));

    // Act
    const result = await release('--file', file, '--watch');

    // Assert
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: RELEASE_ARN });
    expect(sfnMock).not.toHaveReceivedCommand(GetExecutionHistoryCommand);
    expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true });
    expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: serviceKey('worker'), ConsistentRead: true });
    expect(result.sleeps).toEqual([2000, 2000]);
    expect(result.out).toBe(
      [
        ...STARTED,
        `  api     IN_PROGRESS  wave 1, deployment ${RELEASE_ID}-api`,
        `  web     IN_PROGRESS  wave 2, deployment ${RELEASE_ID}-web`,
        `  worker  IN_PROGRESS  wave 2, deployment ${RELEASE_ID}-worker`,
        '  api     SUCCEEDED    12m00s  v1.1.0 live on green (api-green) after a 300 s bake',
        '  web     SUCCEEDED    12m00s  v1.4.2 live on green (web-green) after a 300 s bake',
        '  worker  SUCCEEDED    12m00s  v2.4.0 live on green (worker-green) after a 300 s bake',
        'Release 2026-11-22.1 ended: execution SUCCEEDED after 12m00s',
        'SUCCEEDED: release 2026-11-22.1 live: api v1.1.0, web v1.4.2, worker v2.4.0',
        '',
      ].join('\n'),
    );
  });

  it('with --watch, prints the cause, the services rolled back and those untouched of a rolled-back release, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });
    sfnMock.on(DescribeExecutionCommand).resolves({
      name: RELEASE_ID,
      status: 'FAILED',
      startDate: new Date('2026-11-23T09:00:00.000Z'),
      stopDate: new Date('2026-11-23T09:04:30.000Z'),
      error: 'VerificationFailedError',
    });
    const cause = {
      service: 'api',
      deploymentId: `${RELEASE_ID}-api`,
      failedPhase: 'Verify new colour (release)',
      error: 'VerificationFailedError',
      message: 'green failed verification: alarm api-5xx-rate is ALARM',
    };
    givenItems(RELEASE_KEY, {
      ...RECORD,
      status: 'ROLLED_BACK',
      cause,
      rollingBack: ['api'],
      rolledBack: ['api'],
      untouched: ['worker', 'web'],
      outcomeReason:
        'release 2026-11-22.1 rolled back because api failed in Verify new colour (release): VerificationFailedError: green failed verification: alarm api-5xx-rate is ALARM; rolled back api; untouched: worker, web',
      endedAt: '2026-11-23T09:04:30.000Z',
    });
    const endedAt = '2026-11-23T09:04:30.000Z';
    givenItems(
      serviceKey('api'),
      serviceRecord('api', { status: 'ROLLED_BACK', endedAt, outcomeReason: `VerificationFailedError: ${cause.message}` }),
    );
    givenItems(serviceKey('web'), serviceRecord('web', { status: 'REJECTED', endedAt, outcomeReason: 'NotStarted: nothing was changed' }));
    givenItems(
      serviceKey('worker'),
      serviceRecord('worker', { status: 'REJECTED', endedAt, outcomeReason: 'NotStarted: nothing was changed' }),
    );

    // Act
    const result = await release('--file', file, '--watch', '--interval', '5');

    // Assert
    expect(result.code).toBe(1);
    expect(result.sleeps).toEqual([]);
    expect(result.out).toBe(
      [
        ...STARTED,
        'Rolling back api (VerificationFailedError)',
        `  api     ROLLED_BACK  4m30s  VerificationFailedError: ${cause.message}`,
        '  web     REJECTED     4m30s  NotStarted: nothing was changed',
        '  worker  REJECTED     4m30s  NotStarted: nothing was changed',
        'Release 2026-11-22.1 ended: execution FAILED after 4m30s',
        'ROLLED_BACK: release 2026-11-22.1 rolled back because api failed in Verify new colour (release): VerificationFailedError: green failed verification: alarm api-5xx-rate is ALARM; rolled back api; untouched: worker, web',
        `  cause        api failed in Verify new colour (release): VerificationFailedError: ${cause.message}`,
        '  rolled back  api',
        '  untouched    worker, web',
        '',
      ].join('\n'),
    );
  });

  it('with --watch, says the backstop takes over when the execution stopped before the release had a verdict, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });
    sfnMock.on(DescribeExecutionCommand).resolves({
      name: RELEASE_ID,
      status: 'ABORTED',
      startDate: new Date('2026-11-23T09:00:00.000Z'),
      stopDate: new Date('2026-11-23T09:03:00.000Z'),
      error: 'AbortedByOperator',
      cause: 'aborted by alice',
    });
    givenItems(RELEASE_KEY, RECORD);
    for (const service of ['api', 'web', 'worker']) givenItems(serviceKey(service), serviceRecord(service));

    // Act
    const result = await release('--file', file, '--watch');

    // Assert
    expect(result.code).toBe(1);
    expect(
      result.out.endsWith(
        [
          `  worker  IN_PROGRESS  wave 2, deployment ${RELEASE_ID}-worker`,
          'Release 2026-11-22.1 ended: execution ABORTED after 3m00s',
          'ABORTED: AbortedByOperator: aborted by alice',
          '  the release has no verdict yet: the backstop rolls it back in a recovery execution',
          '',
        ].join('\n'),
      ),
    ).toBe(true);
  });
});

describe('baton release --dry-run', () => {
  const RELEASE_ID = 'release-2026-11-22_1-20261123T090000Z-dry-run';
  const RELEASE_ARN = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${RELEASE_ID}`;
  const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${RELEASE_ARN}`;
  const SERVICES = { api: { imageTag: 'v1.1.0' }, worker: { imageTag: 'v2.4.0' }, web: { imageTag: 'v1.4.2' } };
  const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  const OLD = `sha256:${'b2'.repeat(32)}`;
  const NEW = `sha256:${'a1'.repeat(32)}`;
  const WEB_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab';
  const WEB_SECRET_VERSION = 'c0ffee00-1234-4abc-9def-0123456789ab';
  const STARTED = [
    'Started a dry run of release 2026-11-22.1',
    `  execution  ${RELEASE_ID}`,
    '  order      api -> web + worker',
    '  shift      each',
    `  ${CONSOLE_URL}`,
  ];
  let dir = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-release-dry-run-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    // The execution name carries the UTC time: fixed, so the expected names are exact.
    vi.useFakeTimers({ now: new Date('2026-11-23T09:00:00.123Z'), toFake: ['Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function releaseFile(content: unknown): string {
    const path = join(dir, 'release.json');
    writeFileSync(path, JSON.stringify(content));
    return path;
  }

  function release(...args: string[]): Promise<Run> {
    return batonWith(THREE_SERVICES_CONFIG_PATH, 'release', ...args);
  }

  /** The plan validate writes for a service whose live colour is `live`, to move from the OLD image to the NEW one. */
  function planOf(service: string, live: 'blue' | 'green', extra: Partial<Plan> = {}): Plan {
    const current = `${REGISTRY}/${service}@${OLD}`;
    const next = `${REGISTRY}/${service}@${NEW}`;
    return {
      service,
      liveColour: live,
      targetColour: live === 'blue' ? 'green' : 'blue',
      image: { current, next },
      taskDefinition: {
        base: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${service}:41`,
        family: service,
        changes: [`container ${service} image: ${current} -> ${next}`],
      },
      secretVersions: { current: [] },
      traffic: [{ weight: 100, pauseSeconds: 0 }],
      bakeSeconds: 300,
      ...extra,
    };
  }

  /** The output of the dry run's last state (Describe plan): the release, its order and each service's plan, wave by wave. */
  const OUTPUT = {
    release: '2026-11-22.1',
    waves: [['api'], ['web', 'worker']],
    plans: [
      planOf('api', 'blue'),
      planOf('web', 'green', {
        taskDefinition: {
          base: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:41',
          family: 'web',
          changes: [
            `container web image: ${REGISTRY}/web@${OLD} -> ${REGISTRY}/web@${NEW}`,
            `secrets DATABASE_URL, LOG_LEVEL, SESSION_SECRET, WORKER_CONCURRENCY pinned to version ${WEB_SECRET_VERSION} of ${WEB_SECRET_ARN}`,
          ],
        },
        secretVersions: { current: [WEB_SECRET_VERSION], next: WEB_SECRET_VERSION },
        configDiff: {
          secretArn: WEB_SECRET_ARN,
          fromVersionId: WEB_SECRET_VERSION,
          toVersionId: WEB_SECRET_VERSION,
          added: [],
          removed: [],
          changed: [],
        },
      }),
      planOf('worker', 'blue'),
    ],
  };

  const PLAN_LINES = [
    'Dry run of release 2026-11-22.1 passed: every service validated, nothing changed',
    '  order  api -> web + worker',
    `  api: blue -> green, ${REGISTRY}/api@${OLD} -> ${REGISTRY}/api@${NEW}`,
    `    container api image: ${REGISTRY}/api@${OLD} -> ${REGISTRY}/api@${NEW}`,
    '    traffic 100 %, bake 300 s',
    `  web: green -> blue, ${REGISTRY}/web@${OLD} -> ${REGISTRY}/web@${NEW}`,
    `    container web image: ${REGISTRY}/web@${OLD} -> ${REGISTRY}/web@${NEW}`,
    `    secrets DATABASE_URL, LOG_LEVEL, SESSION_SECRET, WORKER_CONCURRENCY pinned to version ${WEB_SECRET_VERSION} of ${WEB_SECRET_ARN}`,
    '    traffic 100 %, bake 300 s',
    `  worker: blue -> green, ${REGISTRY}/worker@${OLD} -> ${REGISTRY}/worker@${NEW}`,
    `    container worker image: ${REGISTRY}/worker@${OLD} -> ${REGISTRY}/worker@${NEW}`,
    '    traffic 100 %, bake 300 s',
  ];

  const IMAGE_MESSAGE = 'image tag v1.4.2 not found in ECR repository web';
  /** The error and cause the dry run fails with (Rejected, from finish release's outcome) when web's image is missing. */
  const REFUSAL = {
    error: 'ImageNotFoundError',
    cause: `release 2026-11-22.1 dry run refused: ImageNotFoundError: web failed in Validate (release): ${IMAGE_MESSAGE}`,
  };

  function givenStarted(): void {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });
  }

  function givenSucceeded(): void {
    const startDate = new Date('2026-11-23T09:00:00.000Z');
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: RELEASE_ARN })
      .resolvesOnce({ executionArn: RELEASE_ARN, name: RELEASE_ID, status: 'RUNNING', startDate })
      .resolves({
        executionArn: RELEASE_ARN,
        name: RELEASE_ID,
        status: 'SUCCEEDED',
        startDate,
        stopDate: new Date('2026-11-23T09:00:40.000Z'),
        output: JSON.stringify(OUTPUT),
      });
  }

  function givenRefused(): void {
    sfnMock.on(DescribeExecutionCommand, { executionArn: RELEASE_ARN }).resolves({
      executionArn: RELEASE_ARN,
      name: RELEASE_ID,
      status: 'FAILED',
      startDate: new Date('2026-11-23T09:00:00.000Z'),
      stopDate: new Date('2026-11-23T09:00:20.000Z'),
      ...REFUSAL,
    });
  }

  it("starts the execution with dryRun true, under the release name with -dry-run, so it never takes the real release's name", async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenSucceeded();

    // Act
    await release('--file', file, '--dry-run');

    // Assert
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const [input] = startInputs();
    expect(input?.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(input?.name).toBe(RELEASE_ID);
    expect(JSON.parse(input?.input ?? '')).toEqual({
      release: '2026-11-22.1',
      services: SERVICES,
      shift: 'each',
      dryRun: true,
      trigger: 'cli',
      requestedBy: USER,
    });
  });

  it('waits for the execution, polling every 2 s, prints the order and each service plan, and exits 0', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenSucceeded();

    // Act
    const result = await release('--file', file, '--dry-run');

    // Assert
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toBe([...STARTED, ...PLAN_LINES, ''].join('\n'));
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 2);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: RELEASE_ARN });
    expect(result.sleeps).toEqual([2000]);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('sleeps the --interval between polls', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenSucceeded();

    // Act
    const result = await release('--file', file, '--dry-run', '--interval', '5');

    // Assert
    expect(result.code).toBe(0);
    expect(result.sleeps).toEqual([5000]);
  });

  it('prints the refusal, the error and the cause of a refused dry run, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenRefused();

    // Act
    const result = await release('--file', file, '--dry-run');

    // Assert
    expect(result.code).toBe(1);
    expect(result.err).toBe('');
    expect(result.out).toBe(
      [...STARTED, `release 2026-11-22.1 dry run refused: ImageNotFoundError: web failed in Validate (release): ${IMAGE_MESSAGE}`, ''].join(
        '\n',
      ),
    );
    expect(result.sleeps).toEqual([]);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('with --json, prints one JSON document: the release, the status and the plan', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenSucceeded();

    // Act
    const result = await release('--file', file, '--dry-run', '--json');

    // Assert
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out.endsWith('\n')).toBe(true);
    expect(result.out.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.out)).toEqual({
      release: '2026-11-22.1',
      releaseId: RELEASE_ID,
      executionArn: RELEASE_ARN,
      waves: [['api'], ['web', 'worker']],
      order: 'api -> web + worker',
      shift: 'each',
      consoleUrl: CONSOLE_URL,
      status: 'SUCCEEDED',
      plan: OUTPUT,
      error: null,
      cause: null,
    });
  });

  it('with --json, prints one JSON document with the error and cause of a refused dry run, no plan, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenRefused();

    // Act
    const result = await release('--file', file, '--dry-run', '--json');

    // Assert
    expect(result.code).toBe(1);
    expect(result.out.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.out)).toEqual({
      release: '2026-11-22.1',
      releaseId: RELEASE_ID,
      executionArn: RELEASE_ARN,
      waves: [['api'], ['web', 'worker']],
      order: 'api -> web + worker',
      shift: 'each',
      consoleUrl: CONSOLE_URL,
      status: 'FAILED',
      error: REFUSAL.error,
      cause: REFUSAL.cause,
    });
  });

  it('does not count an execution that succeeded without the plans in its output as passed, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    sfnMock.on(DescribeExecutionCommand, { executionArn: RELEASE_ARN }).resolves({
      executionArn: RELEASE_ARN,
      name: RELEASE_ID,
      status: 'SUCCEEDED',
      startDate: new Date('2026-11-23T09:00:00.000Z'),
      output: '{"unexpected":true}',
    });

    // Act
    const result = await release('--file', file, '--dry-run');

    // Assert
    expect(result.code).toBe(1);
    expect(result.out.trimEnd().split('\n').at(-1)).toBe(
      'Dry run of release 2026-11-22.1 ended without a plan in its output; see the execution in the console',
    );
  });
});

describe('baton release --help', () => {
  it('shows the usage, the options and examples, and baton --help lists the command', async () => {
    // Act
    const help = await baton('release', '--help');
    const main = await baton('--help');

    // Assert
    expect(help.code).toBe(0);
    expect(
      help.out.startsWith('baton release --file <release.json> [--watch | --dry-run] [--name <execution-name>] [--interval <seconds>]\n'),
    ).toBe(true);
    for (const option of [
      '--file <file>',
      '--name <name>',
      '--watch',
      '--dry-run',
      '--interval <seconds>   refresh period with --watch or --dry-run (default 2)',
      'Examples:',
      'baton release --file release.json --dry-run',
      'baton release --file release.json --watch',
    ]) {
      expect(help.out).toContain(option);
    }
    expect(main.out).toContain('  release   start a multi-service release: services deploy in dependency order and roll back together\n');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});

describe('releaseExecutionName', () => {
  const now = new Date('2026-11-23T09:00:00.123Z');

  it('is "release-", the release name with characters other than letters, digits, "_" and "-" as "_", and the UTC time', () => {
    expect(releaseExecutionName('2026-11-22.1', ['api', 'web'], now)).toBe('release-2026-11-22_1-20261123T090000Z');
  });

  it('ends with -dry-run for a dry run', () => {
    expect(releaseExecutionName('2026-11-22.1', ['api', 'web'], now, true)).toBe('release-2026-11-22_1-20261123T090000Z-dry-run');
  });

  it('shortens a long release name to keep the time within 80 characters', () => {
    // Arrange
    const name = `r${'x'.repeat(63)}`;

    // Act
    const execution = releaseExecutionName(name, ['api'], now);

    // Assert
    expect(execution).toHaveLength(80);
    expect(execution).toBe(`release-r${'x'.repeat(54)}-20261123T090000Z`);
  });

  it('leaves room for "-<service>" within the 160 characters of a deployment id', () => {
    // Arrange: a long release name and a (hypothetical) service name of 90 characters
    const name = `r${'x'.repeat(63)}`;
    const service = 's'.repeat(90);

    // Act
    const execution = releaseExecutionName(name, [service, 'api'], now);

    // Assert
    expect(`${execution}-${service}`).toHaveLength(160);
    expect(execution).toBe(`release-r${'x'.repeat(43)}-20261123T090000Z`);
  });
});

describe('parseStrategy', () => {
  it('reads canary:<percent>:<bakeSeconds>', () => {
    expect(parseStrategy('canary:10:300')).toEqual({ type: 'canary', percent: 10, bakeSeconds: 300 });
  });

  it('reads linear:<stepPercent>:<intervalSeconds>', () => {
    expect(parseStrategy('linear:25:60')).toEqual({ type: 'linear', stepPercent: 25, intervalSeconds: 60 });
  });

  it('reads all-at-once', () => {
    expect(parseStrategy('all-at-once')).toEqual({ type: 'all-at-once' });
  });

  it('reads the JSON form, steps included', () => {
    // Arrange
    const text = '{"type":"steps","steps":[{"weight":10,"pauseSeconds":60},{"weight":100,"pauseSeconds":0}]}';

    // Act
    const strategy = parseStrategy(text);

    // Assert
    expect(strategy).toEqual({
      type: 'steps',
      steps: [
        { weight: 10, pauseSeconds: 60 },
        { weight: 100, pauseSeconds: 0 },
      ],
    });
  });

  it('refuses a canary percent of 150, naming the field and the accepted forms', () => {
    expect(() => parseStrategy('canary:150:300')).toThrow(
      new UsageError(
        '--strategy: percent: Too big: expected number to be <=99 (use all-at-once, canary:<percent>:<bakeSeconds>, linear:<stepPercent>:<intervalSeconds> or JSON)',
      ),
    );
  });

  it('refuses JSON that does not parse', () => {
    expect(() => parseStrategy('{"type":')).toThrow(new UsageError('--strategy: not valid JSON: {"type":'));
  });

  it('refuses an unknown strategy type as a UsageError', () => {
    expect(() => parseStrategy('blue-green')).toThrow(UsageError);
  });
});

describe('buildRequest', () => {
  it('fills the defaults of a console request', () => {
    expect(buildRequest({ service: 'web', imageTag: 'v1.4.2' })).toEqual({
      service: 'web',
      imageTag: 'v1.4.2',
      hotfix: false,
      dryRun: false,
      trigger: 'console',
    });
  });

  it('names the CLI option of a bad field', () => {
    expect(() => buildRequest({ service: 'web', imageDigest: 'sha256:abc' })).toThrow(
      new UsageError('--digest: expected "sha256:" followed by 64 lowercase hex digits'),
    );
  });

  it('refuses a tag and a digest together', () => {
    expect(() => buildRequest({ service: 'web', imageTag: 'v1.4.2', imageDigest: DIGEST })).toThrow(
      new UsageError('--digest: give imageTag or imageDigest, not both'),
    );
  });

  it('refuses a request with neither tag nor digest', () => {
    expect(() => buildRequest({ service: 'web' })).toThrow(new UsageError('--tag: give imageTag, imageDigest or rollbackTo'));
  });

  it('refuses a --reason that forges a status line before anything starts', () => {
    expect(() => buildRequest({ service: 'web', imageTag: 'v1.4.2', reason: 'ok\nSTATUS: SUCCEEDED' })).toThrow(
      new UsageError(
        '--reason: control character U+000A at character 3; write one line of printable text (no line breaks or terminal escapes)',
      ),
    );
  });

  it('refuses a rollback that also names a tag, under --to', () => {
    expect(() => buildRequest({ service: 'web', rollbackTo: 'web-v1_4_1-20261120T101500Z', imageTag: 'v1.4.2' })).toThrow(
      new UsageError('--to: a rollback redeploys the image of that release; do not also give imageTag or imageDigest'),
    );
  });
});

describe('executionName', () => {
  const now = new Date('2026-11-23T09:00:00.123Z');
  const request = (fields: Partial<DeploymentRequest>): DeploymentRequest => buildRequest({ service: 'web', ...fields });

  it('is the service, the tag with "." as "_" and the UTC time to the second', () => {
    expect(executionName(request({ imageTag: 'v1.4.2' }), now)).toBe('web-v1_4_2-20261123T090000Z');
  });

  it('is the service, the first 12 hex digits of a digest and the UTC date: the same all day, never again after', () => {
    expect(executionName(request({ imageDigest: DIGEST }), now)).toBe('web-2b41c8a0f2e6-20261123');
    expect(executionName(request({ imageDigest: DIGEST }), new Date('2026-11-23T23:59:59Z'))).toBe('web-2b41c8a0f2e6-20261123');
    // 100 days later Step Functions would take the name again; the record of the first (400 days) would still be there.
    expect(executionName(request({ imageDigest: DIGEST }), new Date('2027-03-03T09:00:00Z'))).toBe('web-2b41c8a0f2e6-20270303');
  });

  it('ends with -dry-run for a dry run, so a dry run never takes the name of the real deployment', () => {
    expect(executionName(request({ imageTag: 'v1.4.2', dryRun: true }), now)).toBe('web-v1_4_2-20261123T090000Z-dry-run');
    expect(executionName(request({ imageDigest: DIGEST, dryRun: true }), now)).toBe('web-2b41c8a0f2e6-20261123-dry-run');
  });

  it('keeps the time and the dry-run suffix within 80 characters when the tag is long', () => {
    // Arrange
    const longTag = `release-${'a'.repeat(100)}`;

    // Act
    const name = executionName(request({ imageTag: longTag, dryRun: true }), now);

    // Assert
    expect(name).toHaveLength(80);
    expect(name).toBe(`web-release-${'a'.repeat(43)}-20261123T090000Z-dry-run`);
  });
});
