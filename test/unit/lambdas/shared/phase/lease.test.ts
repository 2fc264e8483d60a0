/** How definePhase renews the lock's lease after a phase ran, for the wait ahead of it. */
import { UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { GateFailedError } from '../../../../../lambdas/shared/errors.ts';
import { definePhase } from '../../../../../lambdas/shared/phase.ts';
import { type DeploymentState, DeploymentStateSchema } from '../../../../../lambdas/shared/stages.ts';
import { conditionFailed, failure, isLeaseRenewal } from '../../../../support/aws.ts';
import { LOCK_KEY, leaseRenewal, phaseMocks, RECORD_KEY, TABLE } from '../../../../support/phase.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, initialState, isoAfter, NOW, stateAfter } from '../../../../support/state.ts';
import { spyOnLogger } from '../../../../support/telemetry.ts';

const { dynamoMock } = phaseMocks();

describe('definePhase lease renewal', () => {
  /** The phase takes 12 s on the clock; the renewal after it counts from its end. */
  const ENDED = isoAfter(NOW, 12);
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
    expect(renewalsAfterRun()).toEqual([leaseRenewal('checkStability', ENDED, 900 + 15)]);
  });

  it('renews the lease for 900 seconds after a successful phase with no Wait ahead', async () => {
    // Arrange
    const handler = definePhase('deploy', DeploymentStateSchema, timed({ result: 'deployed' }));

    // Act
    await handler(stateAfter('prepare'));

    // Assert
    expect(renewalsAfterRun()).toEqual([leaseRenewal('deploy', ENDED, 900)]);
  });

  it('adds the leaseSeconds of the phase to the lease and the Wait ahead', async () => {
    // Arrange
    const handler = definePhase('shiftTraffic', DeploymentStateSchema, timed({ result: { wait: { seconds: 30 } } }), {
      leaseSeconds: 3600,
    });

    // Act
    await handler(stateAfter('verify'));

    // Assert
    expect(renewalsAfterRun()).toEqual([leaseRenewal('shiftTraffic', ENDED, 900 + 3600 + 30)]);
  });

  it('renews the lease for 900 seconds only after a failed phase, whatever its leaseSeconds', async () => {
    // Arrange
    const handler = definePhase('rollback', DeploymentStateSchema, timed({ error: new GateFailedError('alarm web-5xx-rate is ALARM') }), {
      leaseSeconds: 3600,
    });

    // Act
    await failure(handler(stateAfter('shift')));

    // Assert
    expect(renewalsAfterRun()).toEqual([leaseRenewal('rollback', ENDED, 900)]);
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
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed());
    const handler = definePhase('rollback', DeploymentStateSchema, timed({ result: 'rolled back' }));

    // Act
    const result = await handler(stateAfter('shift'));

    // Assert
    expect(result).toBe('rolled back');
    expect(renewalsAfterRun()).toEqual([leaseRenewal('rollback', ENDED, 900)]);
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
