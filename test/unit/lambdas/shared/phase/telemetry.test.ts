/** How definePhase tracks a phase: its run in the record, its event on the bus, its duration metric. */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { GateFailedError, TransientAwsError } from '../../../../../lambdas/shared/errors.ts';
import { definePhase } from '../../../../../lambdas/shared/phase.ts';
import { type DeploymentState, DeploymentStateSchema } from '../../../../../lambdas/shared/stages.ts';
import { conditionFailed, failure, isPhaseRun } from '../../../../support/aws.ts';
import { awsError, phaseMocks, RECORD_KEY, TABLE } from '../../../../support/phase.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, initialState, isoAfter, NOW, STARTED_AT, stateAfter } from '../../../../support/state.ts';
import { captureMetrics, type EmfLine, metricNames, spyOnLogger } from '../../../../support/telemetry.ts';

const { dynamoMock, eventsMock } = phaseMocks();

describe('definePhase telemetry', () => {
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
    dynamoMock.on(UpdateCommand, { ConditionExpression: UPDATE_ENTRY }).rejects(conditionFailed());
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
