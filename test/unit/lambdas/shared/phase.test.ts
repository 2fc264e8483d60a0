import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ECSServiceException, ServiceNotFoundException } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { classify, isTransient } from '../../../../lambdas/shared/error-classification.ts';
import { ContractViolationError, GateFailedError, LockLostError, TransientAwsError } from '../../../../lambdas/shared/errors.ts';
import { definePhase, deploymentOf, LOCK_HOLDING_PHASES } from '../../../../lambdas/shared/phase.ts';
import { type DeploymentState, DeploymentStateSchema } from '../../../../lambdas/shared/stages.ts';
import { failure, isLeaseRenewal, isPhaseRun, rejectByDefault } from '../../../support/aws.ts';
import { lockItem } from '../../../support/items.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, initialState, isoAfter, NOW, STARTED_AT, stateAfter } from '../../../support/state.ts';
import { captureMetrics, type EmfLine, metricNames, spyOnLogger } from '../../../support/telemetry.ts';

// definePhase tracks the phases of a deployment in its record and on the event bus: no call leaves the tests.
const dynamoMock = mockClient(DynamoDBDocumentClient);
const eventsMock = mockClient(EventBridgeClient);

beforeEach(() => {
  rejectByDefault(dynamoMock, eventsMock);
});

function awsError(name: string, fault: 'client' | 'server', httpStatusCode: number, message = `${name} happened`): ECSServiceException {
  return new ECSServiceException({ name, $fault: fault, message, $metadata: { httpStatusCode } });
}

describe('isTransient', () => {
  it.each([
    ['a ThrottlingException', awsError('ThrottlingException', 'client', 400), true],
    ['a TooManyRequestsException', awsError('TooManyRequestsException', 'client', 429), true],
    ['a server fault', awsError('ServerException', 'server', 500), true],
    ['an unnamed HTTP 503', awsError('Unknown', 'client', 503), true],
    ['an unnamed HTTP 429', awsError('Unknown', 'client', 429), true],
    ['a network reset', Object.assign(new Error('socket hang up'), { name: 'ECONNRESET' }), true],
    ['a ClientException', awsError('ClientException', 'client', 400), false],
    [
      'a ServiceNotFoundException',
      new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } }),
      false,
    ],
    ['a plain Error', new Error('boom'), false],
    ['a thrown string', 'ThrottlingException', false],
  ])('says %s is transient: %s', (_case, error, expected) => {
    // Arrange: the error of the row.

    // Act
    const transient = isTransient(error);

    // Assert
    expect(transient).toBe(expected);
  });
});

describe('classify', () => {
  it('keeps a named Baton error as it is', () => {
    // Arrange
    const error = new GateFailedError('alarm web-5xx-rate is ALARM');

    // Act
    const classified = classify(error);

    // Assert
    expect(classified).toBe(error);
  });

  it('wraps throttling in TransientAwsError with the AWS name in the message and the original as cause', () => {
    // Arrange
    const error = awsError('ThrottlingException', 'client', 400, 'Rate exceeded');

    // Act
    const classified = classify(error);

    // Assert
    expect(classified).toBeInstanceOf(TransientAwsError);
    expect(classified).toMatchObject({
      name: 'TransientAwsError',
      message: 'ThrottlingException: Rate exceeded',
      cause: error,
    });
  });

  it('leaves a non-transient AWS error as it is so its name stays the error type', () => {
    // Arrange
    const error = new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } });

    // Act
    const classified = classify(error);

    // Assert
    expect(classified).toBe(error);
  });
});

describe('definePhase', () => {
  const Schema = z.object({ deploymentId: z.string(), count: z.number().int() });

  it('rejects a payload out of contract with ContractViolationError naming the field', async () => {
    // Arrange
    const handler = definePhase('deploy', Schema, async (input) => input.count);

    // Act
    const error = await failure(handler({ deploymentId: 'd-1', count: 'three' }));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error.message).toContain('deploy received a payload out of contract: count:');
  });

  it('passes the parsed payload to the phase and returns its result', async () => {
    // Arrange
    const handler = definePhase('deploy', Schema, async (input) => input.count * 2);

    // Act
    const result = await handler({ deploymentId: 'd-1', count: 3 });

    // Assert
    expect(result).toBe(6);
  });

  it('throws a transient failure of the phase as TransientAwsError', async () => {
    // Arrange
    const throttled = awsError('ThrottlingException', 'client', 400, 'Rate exceeded');
    const handler = definePhase('deploy', Schema, async () => {
      throw throttled;
    });

    // Act
    const error = await failure(handler({ deploymentId: 'd-1', count: 3 }));

    // Assert
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.cause).toBe(throttled);
  });
});

describe('deploymentOf', () => {
  const ref = { deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN, startedAt: STARTED_AT, service: 'web', dryRun: false };

  it('reads a deployment state', () => {
    // Arrange
    const state = initialState();

    // Act
    const deployment = deploymentOf(state);

    // Assert
    expect(deployment).toEqual(ref);
  });

  it('reads the state of a { state } wrapper, the service from the request when the state has no service config', () => {
    // Arrange
    const input = {
      kind: 'rejected',
      state: { deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN, startedAt: STARTED_AT, request: { service: 'web' } },
    };

    // Act
    const deployment = deploymentOf(input);

    // Assert
    expect(deployment).toEqual(ref);
  });

  it('reads the state of a { taskToken, state } wrapper', () => {
    // Arrange
    const input = { taskToken: 'AQCEAAAAKgAAAAMAAAAAAAAAAXsample-token', state: stateAfter('verify') };

    // Act
    const deployment = deploymentOf(input);

    // Assert
    expect(deployment).toEqual(ref);
  });

  it('marks a dry run', () => {
    // Arrange
    const state = initialState({ request: { ...initialState().request, dryRun: true } });

    // Act
    const deployment = deploymentOf(state);

    // Assert
    expect(deployment).toEqual({ ...ref, dryRun: true });
  });

  it.each([
    ['an EventBridge event', { 'detail-type': 'Step Functions Execution Status Change', detail: { name: 'x' } }],
    ['a deployment id that is not a string', { deploymentId: 42 }],
    ['a wrapper of something else', { state: 'web:v1.4.2' }],
    ['null', null],
    ['a string', 'web-20250304-100000-7f3a'],
  ])('finds no deployment in %s', (_case, input) => {
    // Arrange: the input of the row.

    // Act
    const deployment = deploymentOf(input);

    // Assert
    expect(deployment).toBeUndefined();
  });
});

describe('definePhase telemetry', () => {
  const TABLE = 'baton-test-deployments';
  const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
  const BUS = 'baton-production-events';
  const UPDATE_ENTRY = 'attribute_exists(#phases.#p) AND #owner = :owner AND #started = :started';
  /** The phase takes 12 s on the clock. */
  const ENDED = isoAfter(NOW, 12);
  /** The first invocation of the phase, 30 s before this one, as the record has it. */
  const FIRST_STARTED = isoAfter(NOW, -30);
  let metrics: EmfLine[];

  /** The stored entry after this invocation: the update answers ALL_NEW. */
  function givenEntry(phase: string, entry: { invocations: number; result: string; error?: string }): void {
    dynamoMock
      .on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, ConditionExpression: UPDATE_ENTRY })
      .resolves({ Attributes: { ...RECORD_KEY, phases: { [phase]: { startedAt: FIRST_STARTED, endedAt: ENDED, ...entry } } } });
  }

  /** A phase whose run takes 12 s and then returns `result` or throws `error`. */
  function timed<Result>(outcome: { result?: Result; error?: unknown }): (state: DeploymentState) => Promise<Result> {
    return async () => {
      vi.setSystemTime(new Date(ENDED));
      if (outcome.error !== undefined) throw outcome.error;
      return outcome.result as Result;
    };
  }

  /** The phase-tracking updates of the record (the wrapper may renew the lock's lease too). */
  function updates(): UpdateCommandInput[] {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => isPhaseRun(input));
  }

  function phaseEvents(): unknown[] {
    return eventsMock
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => ({ ...entry, Detail: JSON.parse(entry.Detail ?? '') }));
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    vi.stubEnv('BATON_EVENT_BUS_NAME', BUS);
    // The deployment holds the lock of web, so renewing its lease succeeds.
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: { pk: 'LOCK#web', sk: 'LOCK' } }).resolves({});
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    metrics = captureMetrics();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('records a finished phase, counts its duration since the first invocation and publishes SUCCEEDED', async () => {
    // Arrange
    givenEntry('deploy', { invocations: 3, result: 'succeeded' });
    const handler = definePhase('deploy', DeploymentStateSchema, timed({ result: 'deployed' }));

    // Act
    const result = await handler(stateAfter('prepare'));

    // Assert
    expect(result).toBe('deployed');
    expect(updates()).toEqual([
      {
        TableName: TABLE,
        Key: RECORD_KEY,
        UpdateExpression:
          'SET #phases.#p.endedAt = :end, #phases.#p.#result = :result, #phases.#p.invocations = #phases.#p.invocations + :one REMOVE #phases.#p.#error',
        ConditionExpression: UPDATE_ENTRY,
        ExpressionAttributeNames: {
          '#phases': 'phases',
          '#p': 'deploy',
          '#result': 'result',
          '#error': 'error',
          '#owner': 'executionArn',
          '#started': 'startedAt',
        },
        ExpressionAttributeValues: { ':end': ENDED, ':result': 'succeeded', ':one': 1, ':owner': EXECUTION_ARN, ':started': STARTED_AT },
        ReturnValues: 'ALL_NEW',
      },
    ]);
    expect(phaseEvents()).toEqual([
      {
        Source: 'baton',
        DetailType: 'Baton Phase Changed',
        EventBusName: BUS,
        Resources: [EXECUTION_ARN],
        Detail: {
          deploymentId: DEPLOYMENT_ID,
          service: 'web',
          executionArn: EXECUTION_ARN,
          phase: 'deploy',
          status: 'SUCCEEDED',
          startedAt: FIRST_STARTED,
          endedAt: ENDED,
          durationSeconds: 42,
          invocations: 3,
        },
      },
    ]);
    expect(metricNames(metrics)).toEqual(['PhaseDuration']);
    expect(metrics[0]).toMatchObject({ service: 'web', phase: 'deploy', deploymentId: DEPLOYMENT_ID, PhaseDuration: 42 });
    expect(metrics[0]?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Baton',
      Metrics: [{ Name: 'PhaseDuration', Unit: 'Seconds' }],
    });
  });

  it('publishes the entry it added on the first invocation of a phase', async () => {
    // Arrange
    const conditionFailed = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    dynamoMock.on(UpdateCommand, { ConditionExpression: UPDATE_ENTRY }).rejects(conditionFailed);
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, UpdateExpression: 'SET #phases.#p = :entry' }).resolves({});
    const handler = definePhase('deploy', DeploymentStateSchema, timed({ result: 'deployed' }));

    // Act
    await handler(stateAfter('prepare'));

    // Assert
    expect(updates()[1]?.ExpressionAttributeValues).toEqual({
      ':entry': { startedAt: NOW, endedAt: ENDED, invocations: 1, result: 'succeeded' },
      ':owner': EXECUTION_ARN,
      ':started': STARTED_AT,
    });
    expect(phaseEvents()).toMatchObject([{ Detail: { phase: 'deploy', startedAt: NOW, durationSeconds: 12, invocations: 1 } }]);
  });

  it('records a polling phase that is not done as waiting and publishes nothing', async () => {
    // Arrange
    givenEntry('checkStability', { invocations: 2, result: 'waiting' });
    const waiting = { ...stateAfter('deploy'), wait: { seconds: 15 } };
    const handler = definePhase('checkStability', DeploymentStateSchema, timed({ result: waiting }), {
      done: (next) => next.rollout?.stable === true,
    });

    // Act
    const result = await handler(stateAfter('deploy'));

    // Assert
    expect(result).toBe(waiting);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]).toMatchObject({
      ExpressionAttributeNames: { '#p': 'checkStability' },
      ExpressionAttributeValues: { ':end': ENDED, ':result': 'waiting', ':one': 1, ':owner': EXECUTION_ARN, ':started': STARTED_AT },
    });
    expect(eventsMock).not.toHaveReceivedAnyCommand();
    expect(metrics).toEqual([]);
  });

  it('records the last check of a polling phase as succeeded and publishes it', async () => {
    // Arrange
    givenEntry('checkStability', { invocations: 5, result: 'succeeded' });
    const stable = stateAfter('stable');
    const handler = definePhase('checkStability', DeploymentStateSchema, timed({ result: stable }), {
      done: (next) => next.rollout?.stable === true,
    });

    // Act
    await handler(stateAfter('deploy'));

    // Assert
    expect(updates()[0]?.ExpressionAttributeValues).toMatchObject({ ':result': 'succeeded' });
    expect(phaseEvents()).toMatchObject([{ Detail: { phase: 'checkStability', status: 'SUCCEEDED', invocations: 5 } }]);
  });

  it('records a failed phase with "ErrorName: message", publishes FAILED with the error and throws the error', async () => {
    // Arrange
    const gate = new GateFailedError('gate failed during the bake of green at 100 %: alarm web-5xx-rate is ALARM');
    givenEntry('checkBake', { invocations: 4, result: 'failed', error: `GateFailedError: ${gate.message}` });
    const handler = definePhase('checkBake', DeploymentStateSchema, timed({ error: gate }));

    // Act
    const error = await failure(handler(stateAfter('shift')));

    // Assert
    expect(error).toBe(gate);
    expect(updates()).toEqual([
      {
        TableName: TABLE,
        Key: RECORD_KEY,
        UpdateExpression:
          'SET #phases.#p.endedAt = :end, #phases.#p.#result = :result, #phases.#p.invocations = #phases.#p.invocations + :one, #phases.#p.#error = :error',
        ConditionExpression: UPDATE_ENTRY,
        ExpressionAttributeNames: {
          '#phases': 'phases',
          '#p': 'checkBake',
          '#result': 'result',
          '#error': 'error',
          '#owner': 'executionArn',
          '#started': 'startedAt',
        },
        ExpressionAttributeValues: {
          ':end': ENDED,
          ':result': 'failed',
          ':one': 1,
          ':owner': EXECUTION_ARN,
          ':started': STARTED_AT,
          ':error': `GateFailedError: ${gate.message}`,
        },
        ReturnValues: 'ALL_NEW',
      },
    ]);
    expect(phaseEvents()).toEqual([
      {
        Source: 'baton',
        DetailType: 'Baton Phase Changed',
        EventBusName: BUS,
        Resources: [EXECUTION_ARN],
        Detail: {
          deploymentId: DEPLOYMENT_ID,
          service: 'web',
          executionArn: EXECUTION_ARN,
          phase: 'checkBake',
          status: 'FAILED',
          startedAt: FIRST_STARTED,
          endedAt: ENDED,
          durationSeconds: 42,
          invocations: 4,
          error: { name: 'GateFailedError', message: gate.message },
        },
      },
    ]);
    expect(metrics).toEqual([]);
  });

  it('records a transient failure but publishes nothing: Step Functions retries it', async () => {
    // Arrange
    const throttled = awsError('ThrottlingException', 'client', 400, 'Rate exceeded');
    givenEntry('deploy', { invocations: 1, result: 'failed', error: 'TransientAwsError: ThrottlingException: Rate exceeded' });
    const handler = definePhase('deploy', DeploymentStateSchema, timed({ error: throttled }));

    // Act
    const error = await failure(handler(stateAfter('prepare')));

    // Assert
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(updates()[0]?.ExpressionAttributeValues).toEqual({
      ':end': ENDED,
      ':result': 'failed',
      ':one': 1,
      ':owner': EXECUTION_ARN,
      ':started': STARTED_AT,
      ':error': 'TransientAwsError: ThrottlingException: Rate exceeded',
    });
    expect(eventsMock).not.toHaveReceivedAnyCommand();
    expect(metrics).toEqual([]);
  });

  it('returns the result of the phase and logs a warning when the record cannot be updated', async () => {
    // Arrange
    const log = spyOnLogger();
    const denied = Object.assign(new Error('not authorized to perform: dynamodb:UpdateItem'), { name: 'AccessDeniedException' });
    dynamoMock.on(UpdateCommand, { Key: RECORD_KEY }).rejects(denied);
    const handler = definePhase('deploy', DeploymentStateSchema, timed({ result: 'deployed' }));

    // Act
    const result = await handler(stateAfter('prepare'));

    // Assert
    expect(result).toBe('deployed');
    expect(log.warnings()).toEqual([
      ['phase not tracked', { error: 'AccessDeniedException: not authorized to perform: dynamodb:UpdateItem' }],
    ]);
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });

  it('throws the error of the phase, not the one of its tracking', async () => {
    // Arrange
    const denied = Object.assign(new Error('not authorized to perform: dynamodb:UpdateItem'), { name: 'AccessDeniedException' });
    dynamoMock.on(UpdateCommand, { Key: RECORD_KEY }).rejects(denied);
    const gate = new GateFailedError('alarm web-5xx-rate is ALARM');
    const handler = definePhase('checkBake', DeploymentStateSchema, timed({ error: gate }));

    // Act
    const error = await failure(handler(stateAfter('shift')));

    // Assert
    expect(error).toBe(gate);
    expect(updates()).toHaveLength(1);
  });

  it('tracks nothing for a dry run', async () => {
    // Arrange
    const dryRun = { ...stateAfter('validate'), request: { ...initialState().request, dryRun: true } };
    const handler = definePhase('validate', DeploymentStateSchema, timed({ result: 'planned' }));

    // Act
    await handler(dryRun);

    // Assert
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });

  it('tracks nothing with track: false', async () => {
    // Arrange
    const handler = definePhase('backstop', DeploymentStateSchema, timed({ error: new GateFailedError('x') }), { track: false });

    // Act
    await failure(handler(stateAfter('prepare')));

    // Assert
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });

  it('tracks nothing for an input that belongs to no deployment', async () => {
    // Arrange
    const handler = definePhase('backstop', z.object({ detail: z.object({ name: z.string() }) }), async () => 'none');

    // Act
    await handler({ detail: { name: 'web-20250304-100000-7f3a' } });

    // Assert
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });

  it('tracks the deployment options.identify names', async () => {
    // Arrange
    const recovered = 'web-20250301-080000-0a1b';
    const recoveredKey = { pk: `DEPLOYMENT#${recovered}`, sk: 'RECORD' };
    dynamoMock
      .on(UpdateCommand, { TableName: TABLE, Key: recoveredKey, ConditionExpression: UPDATE_ENTRY })
      .resolves({ Attributes: { phases: { recover: { startedAt: NOW, endedAt: ENDED, invocations: 1, result: 'succeeded' } } } });
    const handler = definePhase('recover', z.object({ recover: z.string() }), async () => 'recovering', {
      identify: (input) => ({ deploymentId: (input as { recover: string }).recover, executionArn: EXECUTION_ARN, service: undefined }),
    });

    // Act
    await handler({ recover: recovered });

    // Assert
    expect(updates().map((input) => input.Key)).toEqual([recoveredKey]);
    expect(phaseEvents()).toMatchObject([
      { Detail: { deploymentId: recovered, service: 'unknown', phase: 'recover', status: 'SUCCEEDED' } },
    ]);
  });
});

describe('definePhase lease renewal', () => {
  const TABLE = 'baton-test-deployments';
  const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
  const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
  /** The phase takes 12 s on the clock; the renewal after it counts from its end. */
  const ENDED = isoAfter(NOW, 12);
  const endedSeconds = Math.floor(Date.parse(ENDED) / 1000);
  /** How many UpdateCommands were sent when the phase's own work began. */
  let sentBeforeRun = 0;

  /** A phase whose run takes 12 s and then returns `result` or throws `error`. */
  function timed<Result>(outcome: { result?: Result; error?: unknown }): (state: DeploymentState) => Promise<Result> {
    return async () => {
      sentBeforeRun = dynamoMock.commandCalls(UpdateCommand).length;
      vi.setSystemTime(new Date(ENDED));
      if (outcome.error !== undefined) throw outcome.error;
      return outcome.result as Result;
    };
  }

  /** The lease renewals sent after the phase ran (the wrapper may check the lock before it, too). */
  function renewalsAfterRun(): UpdateCommandInput[] {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .slice(sentBeforeRun)
      .map((call) => call.args[0].input)
      .filter((input) => isLeaseRenewal(input));
  }

  function renewal(phase: string, seconds: number): UpdateCommandInput {
    return {
      TableName: TABLE,
      Key: LOCK_KEY,
      UpdateExpression: 'SET leaseExpiresAt = :until, renewedAt = :now, renewedBy = :phase',
      ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
      ExpressionAttributeValues: {
        ':until': endedSeconds + seconds,
        ':now': ENDED,
        ':phase': phase,
        ':me': DEPLOYMENT_ID,
        ':execution': EXECUTION_ARN,
      },
    };
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    sentBeforeRun = 0;
    // The record takes the phase runs (answering no entry, so nothing is published) and the deployment holds the lock.
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('renews the lease for 900 seconds plus the Wait ahead after a successful phase', async () => {
    // Arrange
    const waiting = { ...stateAfter('deploy'), wait: { seconds: 15 } };
    const handler = definePhase('checkStability', DeploymentStateSchema, timed({ result: waiting }));

    // Act
    await handler(stateAfter('deploy'));

    // Assert
    expect(renewalsAfterRun()).toEqual([renewal('checkStability', 900 + 15)]);
  });

  it('renews the lease for 900 seconds after a successful phase with no Wait ahead', async () => {
    // Arrange
    const handler = definePhase('deploy', DeploymentStateSchema, timed({ result: 'deployed' }));

    // Act
    await handler(stateAfter('prepare'));

    // Assert
    expect(renewalsAfterRun()).toEqual([renewal('deploy', 900)]);
  });

  it('adds the leaseSeconds of the phase to the lease and the Wait ahead', async () => {
    // Arrange
    const handler = definePhase('shiftTraffic', DeploymentStateSchema, timed({ result: { wait: { seconds: 30 } } }), {
      leaseSeconds: 3600,
    });

    // Act
    await handler(stateAfter('verify'));

    // Assert
    expect(renewalsAfterRun()).toEqual([renewal('shiftTraffic', 900 + 3600 + 30)]);
  });

  it('renews the lease for 900 seconds only after a failed phase, whatever its leaseSeconds', async () => {
    // Arrange
    const handler = definePhase('rollback', DeploymentStateSchema, timed({ error: new GateFailedError('alarm web-5xx-rate is ALARM') }), {
      leaseSeconds: 3600,
    });

    // Act
    await failure(handler(stateAfter('shift')));

    // Assert
    expect(renewalsAfterRun()).toEqual([renewal('rollback', 900)]);
  });

  it.each([
    ['a dry run', { ...stateAfter('validate'), request: { ...initialState().request, dryRun: true } }, {}],
    ['a phase with track: false', stateAfter('validate'), { track: false }],
  ])('renews no lease for %s', async (_case, input, options) => {
    // Arrange
    const handler = definePhase('validate', DeploymentStateSchema, timed({ result: { wait: { seconds: 15 } } }), options);

    // Act
    await handler(input);

    // Assert
    expect(dynamoMock).not.toHaveReceivedCommandWith(UpdateCommand, { Key: LOCK_KEY });
  });

  it('renews no lease for a deployment whose service it does not know', async () => {
    // Arrange
    const handler = definePhase('recover', z.object({ recover: z.string() }), async () => 'recovering', {
      identify: (input) => ({ deploymentId: (input as { recover: string }).recover, executionArn: EXECUTION_ARN, service: undefined }),
    });

    // Act
    await handler({ recover: DEPLOYMENT_ID });

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateCommand, { Key: RECORD_KEY });
    expect(dynamoMock).not.toHaveReceivedCommandWith(UpdateCommand, { Key: LOCK_KEY });
  });

  it('returns the result quietly when another deployment holds the lock: only the holder renews', async () => {
    // Arrange
    const log = spyOnLogger();
    const conditionFailed = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed);
    const handler = definePhase('rollback', DeploymentStateSchema, timed({ result: 'rolled back' }));

    // Act
    const result = await handler(stateAfter('shift'));

    // Assert
    expect(result).toBe('rolled back');
    expect(renewalsAfterRun()).toEqual([renewal('rollback', 900)]);
    expect(log.warnings()).toEqual([]);
  });

  it('returns the result of the phase and logs a warning when the lease cannot be renewed', async () => {
    // Arrange
    const log = spyOnLogger();
    const denied = Object.assign(new Error('not authorized to perform: dynamodb:UpdateItem'), { name: 'AccessDeniedException' });
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(denied);
    const handler = definePhase('rollback', DeploymentStateSchema, timed({ result: 'rolled back' }));

    // Act
    const result = await handler(stateAfter('shift'));

    // Assert
    expect(result).toBe('rolled back');
    expect(log.warnings()).toEqual([
      ['lease not renewed', { error: 'AccessDeniedException: not authorized to perform: dynamodb:UpdateItem' }],
    ]);
  });
});

describe('definePhase lock check', () => {
  const TABLE = 'baton-test-deployments';
  const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
  const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
  const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
  const conditionFailed = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

  /** The lease renewal a lock-holding phase sends before it runs, at NOW. */
  function preCheck(phase: string): UpdateCommandInput {
    return {
      TableName: TABLE,
      Key: LOCK_KEY,
      UpdateExpression: 'SET leaseExpiresAt = :until, renewedAt = :now, renewedBy = :phase',
      ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
      ExpressionAttributeValues: {
        ':until': nowSeconds + 900,
        ':now': NOW,
        ':phase': phase,
        ':me': DEPLOYMENT_ID,
        ':execution': EXECUTION_ARN,
      },
    };
  }

  /** The lock as it reads after this deployment lost it: another deployment's, or none. */
  function givenLockOf(deploymentId: string | undefined): void {
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
      .resolves(deploymentId ? { Item: { ...LOCK_KEY, ...lockItem({ deploymentId }) } } : {});
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    // The record takes the phase runs (answering no entry, so nothing is published).
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('checks the lock before the phases that change the service or wait on it, and only those', () => {
    // Arrange
    const expected = [
      'prepare',
      'deploy',
      'checkStability',
      'verify',
      'recordSmokeTest',
      'requestApproval',
      'shiftTraffic',
      'checkBake',
      'complete',
    ];

    // Act
    const phases = [...LOCK_HOLDING_PHASES];

    // Assert
    expect(phases.sort()).toEqual(expected.sort());
  });

  it('renews the lease of a lock-holding phase for 900 seconds before the phase runs', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});
    let sentBeforeRun: UpdateCommandInput[] = [];
    const handler = definePhase('deploy', DeploymentStateSchema, async () => {
      sentBeforeRun = dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
      return 'deployed';
    });

    // Act
    const result = await handler(stateAfter('prepare'));

    // Assert
    expect(result).toBe('deployed');
    expect(sentBeforeRun).toEqual([preCheck('deploy')]);
    expect(dynamoMock).not.toHaveReceivedCommand(GetCommand);
  });

  it.each([
    ['another deployment holds it', 'web-20250304-103000-4c5d', 'deployment web-20250304-103000-4c5d holds it'],
    ['nobody holds it', undefined, 'nobody holds it'],
  ])('throws LockLostError without running the phase when its renewal fails because %s', async (_case, holder, held) => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed);
    givenLockOf(holder);
    const run = vi.fn(async () => 'deployed');
    const handler = definePhase('deploy', DeploymentStateSchema, run);

    // Act
    const error = await failure(handler(stateAfter('prepare')));

    // Assert
    expect(error).toBeInstanceOf(LockLostError);
    expect(error.message).toBe(`deployment ${DEPLOYMENT_ID} no longer holds the lock of web (${held}); deploy changes nothing`);
    expect(run).not.toHaveBeenCalled();
    expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true });
  });

  it('records the phase as failed with the LockLostError', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed);
    givenLockOf(undefined);
    const handler = definePhase('checkBake', DeploymentStateSchema, async () => 'baked');

    // Act
    await failure(handler(stateAfter('shift')));

    // Assert
    const runs = dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => isPhaseRun(input));
    expect(runs.map((input) => input.ExpressionAttributeValues)).toEqual([
      {
        ':end': NOW,
        ':result': 'failed',
        ':one': 1,
        ':owner': EXECUTION_ARN,
        ':started': STARTED_AT,
        ':error': `LockLostError: deployment ${DEPLOYMENT_ID} no longer holds the lock of web (nobody holds it); checkBake changes nothing`,
      },
    ]);
  });

  it('throws a throttled pre-check as TransientAwsError without running the phase: Step Functions retries it', async () => {
    // Arrange
    const throttled = awsError('ProvisionedThroughputExceededException', 'client', 400, 'Rate of requests exceeds the allowed throughput.');
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(throttled);
    const run = vi.fn(async () => 'shifted');
    const handler = definePhase('shiftTraffic', DeploymentStateSchema, run);

    // Act
    const error = await failure(handler(stateAfter('verify')));

    // Assert
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.message).toBe('ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput.');
    expect(run).not.toHaveBeenCalled();
    expect(dynamoMock).not.toHaveReceivedCommand(GetCommand);
  });

  it.each(['validate', 'rollback'] as const)('runs %s, which holds no lock check, even when the renewal would fail', async (phase) => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed);
    let sentBeforeRun: UpdateCommandInput[] | undefined;
    const handler = definePhase(phase, DeploymentStateSchema, async () => {
      sentBeforeRun = dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
      return 'ran';
    });

    // Act
    const result = await handler(stateAfter('shift'));

    // Assert
    expect(result).toBe('ran');
    expect(sentBeforeRun).toEqual([]);
    expect(dynamoMock).not.toHaveReceivedCommand(GetCommand);
  });

  it('checks no lock for a dry run of a lock-holding phase', async () => {
    // Arrange
    const dryRun = { ...stateAfter('prepare'), request: { ...initialState().request, dryRun: true } };
    const run = vi.fn(async () => 'deployed');
    const handler = definePhase('deploy', DeploymentStateSchema, run);

    // Act
    const result = await handler(dryRun);

    // Assert
    expect(result).toBe('deployed');
    expect(run).toHaveBeenCalledOnce();
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('checks no lock for a lock-holding phase with track: false', async () => {
    // Arrange
    const run = vi.fn(async () => 'deployed');
    const handler = definePhase('deploy', DeploymentStateSchema, run, { track: false });

    // Act
    const result = await handler(stateAfter('prepare'));

    // Assert
    expect(result).toBe('deployed');
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });
});
