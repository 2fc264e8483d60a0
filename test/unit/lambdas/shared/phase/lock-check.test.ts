/** How definePhase checks, before a phase that changes the service, that its deployment still holds the lock. */
import { GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LockLostError, TransientAwsError } from '../../../../../lambdas/shared/errors.ts';
import { definePhase, LOCK_HOLDING_PHASES } from '../../../../../lambdas/shared/phase.ts';
import { DeploymentStateSchema } from '../../../../../lambdas/shared/stages.ts';
import { conditionFailed, failure, isPhaseRun } from '../../../../support/aws.ts';
import { lockItem } from '../../../../support/items.ts';
import { awsError, LOCK_KEY, leaseRenewal, phaseMocks, RECORD_KEY, TABLE } from '../../../../support/phase.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, initialState, NOW, STARTED_AT, stateAfter } from '../../../../support/state.ts';

const { dynamoMock } = phaseMocks();

describe('definePhase lock check', () => {
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
    // The lease renewal a lock-holding phase sends before it runs, at NOW.
    expect(sentBeforeRun).toEqual([leaseRenewal('deploy', NOW, 900)]);
    expect(dynamoMock).not.toHaveReceivedCommand(GetCommand);
  });

  it.each([
    ['another deployment holds it', 'web-20250304-103000-4c5d', 'deployment web-20250304-103000-4c5d holds it'],
    ['nobody holds it', undefined, 'nobody holds it'],
  ])('throws LockLostError without running the phase when its renewal fails because %s', async (_case, holder, held) => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed());
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
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed());
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
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).rejects(conditionFailed());
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
