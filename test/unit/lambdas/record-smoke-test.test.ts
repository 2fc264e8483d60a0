/**
 * record-smoke-test: records each attempt of the smoke test (which calls no
 * AWS API itself) under the smoke test's name, while the deployment holds
 * its lock, and decides: passed, try again in 10 s, or fail the deployment.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler, SMOKE_RETRY_SECONDS } from '../../../lambdas/record-smoke-test/index.ts';
import type { SmokeRun } from '../../../lambdas/shared/contract.ts';
import { ContractViolationError, LockLostError, SmokeTestFailedError } from '../../../lambdas/shared/errors.ts';
import type { DeploymentState } from '../../../lambdas/shared/stages.ts';
import { failure, isLeaseRenewal, isPhaseRun, rejectByDefault } from '../../support/aws.ts';
import { lockItem } from '../../support/items.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, isoAfter, NOW, STARTED_AT, stateAfter, withTestListener } from '../../support/state.ts';

const TABLE = 'baton-test-deployments';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const UPDATE_ENTRY = 'attribute_exists(#phases.#p) AND #owner = :owner AND #started = :started';
/** The attempt ran 2 s before the recorder; the first attempt 20 s before. */
const ATTEMPT_STARTED = isoAfter(NOW, -2);
const FIRST_STARTED = isoAfter(NOW, -22);
const URL = 'http://internal-prod-alb-1234567890.eu-west-1.elb.amazonaws.com:8080';
const BROKEN = `GET ${URL}/healthz -> 503 in 12 ms (status 503, expected 200); body: {"status":"degraded"}`;

const dynamoMock = mockClient(DynamoDBDocumentClient);
const eventsMock = mockClient(EventBridgeClient);

function run(attempt: number, passed: boolean): SmokeRun {
  return {
    attempt,
    passed,
    startedAt: ATTEMPT_STARTED,
    endedAt: ATTEMPT_STARTED,
    checks: [
      { url: `${URL}/`, ok: true, summary: `GET ${URL}/ -> 200 in 9 ms` },
      passed
        ? { url: `${URL}/healthz`, ok: true, summary: `GET ${URL}/healthz -> 200 in 8 ms` }
        : { url: `${URL}/healthz`, ok: false, summary: BROKEN },
    ],
  };
}

function input(smoke: SmokeRun | undefined, attempts = 3): { state: DeploymentState; attempts: number } {
  const state = withTestListener(stateAfter('verify'));
  return { state: smoke ? { ...state, smoke } : state, attempts };
}

/** The record's smoke test entry after this invocation, as the update answers it (ALL_NEW). */
function givenEntry(entry: { invocations: number; result: string; error?: string }): void {
  dynamoMock
    .on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, ConditionExpression: UPDATE_ENTRY })
    .resolves({ Attributes: { ...RECORD_KEY, phases: { smokeTest: { startedAt: FIRST_STARTED, endedAt: NOW, ...entry } } } });
}

function phaseRuns(): UpdateCommandInput[] {
  return dynamoMock
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((update) => isPhaseRun(update));
}

function phaseEvents(): unknown[] {
  return eventsMock
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.Detail ?? ''));
}

beforeEach(() => {
  rejectByDefault(dynamoMock, eventsMock);
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
  // As the stack configures it: a phase that tracked its runs would publish its events.
  vi.stubEnv('BATON_EVENT_BUS_NAME', 'default');
  // The deployment holds the lock of web.
  dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe('record smoke test', () => {
  it('passes the state on after a passed attempt and records it as the smoke test, SUCCEEDED', async () => {
    // Arrange
    givenEntry({ invocations: 2, result: 'succeeded' });
    const given = input(run(2, true));

    // Act
    const output = await handler(given);

    // Assert
    expect(output).toEqual(given.state);
    expect(phaseRuns()).toEqual([
      {
        TableName: TABLE,
        Key: RECORD_KEY,
        UpdateExpression:
          'SET #phases.#p.endedAt = :end, #phases.#p.#result = :result, #phases.#p.invocations = #phases.#p.invocations + :one REMOVE #phases.#p.#error',
        ConditionExpression: UPDATE_ENTRY,
        ExpressionAttributeNames: {
          '#phases': 'phases',
          '#p': 'smokeTest',
          '#result': 'result',
          '#error': 'error',
          '#owner': 'executionArn',
          '#started': 'startedAt',
        },
        ExpressionAttributeValues: { ':end': NOW, ':result': 'succeeded', ':one': 1, ':owner': EXECUTION_ARN, ':started': STARTED_AT },
        ReturnValues: 'ALL_NEW',
      },
    ]);
    expect(phaseEvents()).toEqual([
      {
        deploymentId: DEPLOYMENT_ID,
        service: 'web',
        executionArn: EXECUTION_ARN,
        phase: 'smokeTest',
        status: 'SUCCEEDED',
        startedAt: FIRST_STARTED,
        endedAt: NOW,
        durationSeconds: 22,
        invocations: 2,
      },
    ]);
  });

  it('starts the smoke test entry at the start of the attempt it records', async () => {
    // Arrange: the first attempt, so the record has no smoke test entry yet.
    const conditionFailed = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    dynamoMock.on(UpdateCommand, { ConditionExpression: UPDATE_ENTRY }).rejects(conditionFailed);
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, UpdateExpression: 'SET #phases.#p = :entry' }).resolves({});

    // Act
    await handler(input(run(1, true)));

    // Assert
    expect(phaseRuns()[1]?.ExpressionAttributeValues).toEqual({
      ':entry': { startedAt: ATTEMPT_STARTED, endedAt: NOW, invocations: 1, result: 'succeeded' },
      ':owner': EXECUTION_ARN,
      ':started': STARTED_AT,
    });
  });

  it('has a failed attempt with attempts left tried again after 10 s, recorded as waiting, announcing nothing', async () => {
    // Arrange
    givenEntry({ invocations: 1, result: 'waiting' });
    const given = input(run(1, false), 3);

    // Act
    const output = await handler(given);

    // Assert
    expect(SMOKE_RETRY_SECONDS).toBe(10);
    expect(output).toEqual({ ...given.state, wait: { seconds: 10 } });
    expect(phaseRuns().map((update) => update.ExpressionAttributeValues)).toEqual([
      { ':end': NOW, ':result': 'waiting', ':one': 1, ':owner': EXECUTION_ARN, ':started': STARTED_AT },
    ]);
    expect(phaseEvents()).toEqual([]);
    // The lease covers the wait ahead.
    const renewals = dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((update) => isLeaseRenewal(update));
    const now = Math.floor(Date.parse(NOW) / 1000);
    expect(renewals.map((update) => update.ExpressionAttributeValues?.[':until'])).toEqual([now + 900, now + 910]);
  });

  it('fails the deployment after the last failed attempt, naming each failing check, and records it FAILED', async () => {
    // Arrange
    const message = `smoke test of green through the test listener failed: ${BROKEN}`;
    givenEntry({ invocations: 3, result: 'failed', error: `SmokeTestFailedError: ${message}` });

    // Act
    const error = await failure(handler(input(run(3, false), 3)));

    // Assert
    expect(error).toBeInstanceOf(SmokeTestFailedError);
    expect(error.message).toBe(message);
    expect(phaseRuns().map((update) => update.ExpressionAttributeValues)).toEqual([
      {
        ':end': NOW,
        ':result': 'failed',
        ':one': 1,
        ':owner': EXECUTION_ARN,
        ':started': STARTED_AT,
        ':error': `SmokeTestFailedError: ${message}`,
      },
    ]);
    expect(phaseEvents()).toEqual([
      {
        deploymentId: DEPLOYMENT_ID,
        service: 'web',
        executionArn: EXECUTION_ARN,
        phase: 'smokeTest',
        status: 'FAILED',
        startedAt: FIRST_STARTED,
        endedAt: NOW,
        durationSeconds: 22,
        invocations: 3,
        error: { name: 'SmokeTestFailedError', message },
      },
    ]);
  });

  it('fails after a single failed attempt when smokeTestAttempts is 1', async () => {
    // Arrange
    givenEntry({ invocations: 1, result: 'failed' });

    // Act
    const error = await failure(handler(input(run(1, false), 1)));

    // Assert
    expect(error).toBeInstanceOf(SmokeTestFailedError);
  });

  it('stops with LockLostError, recording nothing of the attempt as passed, when the deployment lost its lock', async () => {
    // Arrange
    const conditionFailed = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed);
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
      .resolves({ Item: { ...LOCK_KEY, ...lockItem({ deploymentId: 'web-20250304-103000-4c5d' }) } });
    givenEntry({ invocations: 1, result: 'failed' });

    // Act
    const error = await failure(handler(input(run(1, true))));

    // Assert
    expect(error).toBeInstanceOf(LockLostError);
    expect(error.message).toBe(
      `deployment ${DEPLOYMENT_ID} no longer holds the lock of web (deployment web-20250304-103000-4c5d holds it); recordSmokeTest changes nothing`,
    );
    expect(phaseRuns().map((update) => update.ExpressionAttributeValues?.[':result'])).toEqual(['failed']);
  });

  it('refuses a state without the smoke test result', async () => {
    // Act
    const error = await failure(handler(input(undefined)));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error.message).toBe('recordSmokeTest received a state without the smoke test result ($.smoke)');
  });
});
