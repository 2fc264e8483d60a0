/**
 * Recovery inputs and stopped executions (issue 14, items 5 and 7): a
 * recovery input only finishes a deployment whose execution ended; one
 * stopped before any change is closed REJECTED naming the state it was in;
 * one stopped while it recorded its rejection keeps the rejection's reason.
 */
import { describe, expect, it } from 'vitest';
import type { SimulationContext } from '../../sim/context.ts';
import { REJECTED, record, run, runWith, weights } from '../support/simulation.ts';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:baton-production';
const REFUSED = [
  'Receive request',
  'Is it a recovery?',
  'Load deployment for recovery',
  'Load deployment for recovery failed',
  ...REJECTED,
];

describe('a recovery input started by hand', () => {
  it('leaves a healthy running deployment untouched, with its lock, and ends with its own REJECTED record', async () => {
    // Arrange: {"recover": "deploy-1"} is started from the console while deploy-1 deploys.
    let lockDuringDeploy: Record<string, unknown> | undefined;
    const setup = (ctx: SimulationContext) => {
      ctx.triggers.push({ afterState: 'Deploy new colour', suffix: 'console', input: { recover: 'deploy-1' } });
      ctx.onStateEntered.push((state) => {
        if (state === 'Verify new colour') lockDuringDeploy = { ...ctx.model.table.get('LOCK#web|LOCK') };
      });
    };

    // Act
    const result = await runWith({}, setup);

    // Assert
    const console = result.others.find((execution) => execution.name === 'deploy-1-console');
    expect(console?.status).toBe('FAILED');
    expect(console?.executionPath).toEqual(REFUSED);
    expect(record(result, 'deploy-1-console')).toMatchObject({
      status: 'REJECTED',
      failedPhase: 'Load deployment for recovery',
      outcomeReason:
        'RecoveryRefusedError: invalid recovery input: recover: deployment deploy-1 is still running (its execution is RUNNING); only a deployment whose execution ended is recovered, and nothing changed. Stop it with "baton abort web"',
    });
    expect(lockDuringDeploy).toMatchObject({ deploymentId: 'deploy-1', executionArn: `${ARN}:deploy-1` });
    expect(result.backstop).toEqual([
      { execution: 'deploy-1-console', result: { action: 'none', reason: 'deployment deploy-1 is still running (RUNNING)' } },
      // The deployment's own end: its record is closed and nothing waits in the queue.
      { execution: 'deploy-1', result: { action: 'none', reason: 'status SUCCEEDED needs no backstop' } },
    ]);
    expect(result.main.status).toBe('SUCCEEDED');
    expect(record(result)).toMatchObject({ status: 'SUCCEEDED' });
    expect(record(result)?.warnings).toEqual([]);
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
  });

  it('rejects {"recover": ""} naming the field, and changes nothing', async () => {
    // Act
    const result = await run({ input: { recover: '' } });

    // Assert
    expect(result.main.executionPath).toEqual(REFUSED);
    expect(record(result)).toMatchObject({
      status: 'REJECTED',
      outcomeReason: 'InvalidInputError: invalid recovery input: recover: Too small: expected string to have >=1 characters',
      evidence: [
        'failed in: Load deployment for recovery',
        'signal: InvalidInputError: invalid recovery input: recover: Too small: expected string to have >=1 characters',
      ],
    });
    expect(result.backstop).toEqual([
      { execution: 'deploy-1', result: { action: 'none', reason: 'deployment deploy-1 already ended REJECTED' } },
    ]);
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('rejects an unknown deployment id naming the field, and changes nothing', async () => {
    // Act
    const result = await run({ input: { recover: 'web-v9-nowhere' } });

    // Assert
    expect(result.main.executionPath).toEqual(REFUSED);
    expect(record(result)).toMatchObject({
      status: 'REJECTED',
      outcomeReason: 'RecoveryRefusedError: invalid recovery input: recover: no deployment record "web-v9-nowhere"; nothing changed',
    });
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});

describe('an execution stopped before any change', () => {
  it('stopped in Validate is closed REJECTED naming the state, nothing rolled back, lock free', async () => {
    // Act
    const result = await run({ abortAt: 'Validate' });

    // Assert
    expect(result.others[0]?.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Load deployment for recovery',
      'Anything to roll back?',
      'Nothing to recover',
    ]);
    const signal = 'ExecutionAborted: execution deploy-1 ended ABORTED (States.Aborted: Execution aborted)';
    expect(record(result)).toMatchObject({
      status: 'REJECTED',
      failedPhase: 'Validate',
      outcomeReason: `${signal}; stopped in: Validate, before any change, so nothing was rolled back`,
      evidence: ['stopped in: Validate', `signal: ${signal}`, 'rollback: not needed, nothing was changed'],
    });
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('stopped while recording its rejection keeps the rejection as the reason', async () => {
    // Act: validate finds the image missing; the execution is stopped as it enters Record rejection.
    const result = await run({ faults: ['image-missing'], abortAt: 'Record rejection' });

    // Assert
    const current = record(result);
    expect(current?.status).toBe('REJECTED');
    expect(String(current?.outcomeReason)).toMatch(/^ImageNotFoundError: /);
    expect(current?.evidence).toEqual([
      'stopped in: Record rejection',
      'failed in: Validate',
      `signal: ${String(current?.outcomeReason)}`,
      'rollback: not needed, nothing was changed',
    ]);
    expect(current?.failedPhase).toBe('Validate');
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
  });

  it('stopped while recording the rejection of its input (no record yet) keeps the rejection as the reason', async () => {
    // Act
    const result = await run({ input: { service: 'billing', imageTag: 'v1.4.2' }, abortAt: 'Record rejection' });

    // Assert
    const reason = 'UnknownServiceError: invalid execution input: service: "billing" is not configured (known: web)';
    expect(record(result)).toMatchObject({
      status: 'REJECTED',
      outcomeReason: reason,
      evidence: ['stopped in: Record rejection', 'failed in: Initialize', `signal: ${reason}`],
    });
    expect(result.backstop).toEqual([{ execution: 'deploy-1', result: { action: 'recorded', status: 'REJECTED' } }]);
  });

  it('stopped after a change is rolled back, naming the state it was stopped in', async () => {
    // Act
    const result = await run({ abortAt: 'Check bake' });

    // Assert
    expect(record(result)).toMatchObject({
      status: 'ROLLED_BACK',
      outcomeReason: 'ExecutionAborted: execution deploy-1 ended ABORTED (States.Aborted: Execution aborted)',
    });
    expect((record(result)?.evidence as string[] | undefined)?.slice(0, 2)).toEqual([
      'failed in: Check bake',
      'signal: ExecutionAborted: execution deploy-1 ended ABORTED (States.Aborted: Execution aborted)',
    ]);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});

describe('a failed rollback (ROLLBACK_FAILED)', () => {
  it('keeps its service locked: the next trigger is refused, takes no lock and deletes none, and changes nothing', async () => {
    // Arrange: deploy-1's rollback cannot move traffic back; the execution times out with ROLLBACK_FAILED.
    const failed = await run({ faults: ['rollback-denied'] });
    expect(record(failed)?.status).toBe('ROLLBACK_FAILED');

    // Act
    const next = await run({ account: failed.model.toSpec() as never, executionName: 'deploy-2' });

    // Assert
    expect(next.main.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Is it a release?',
      'Initialize',
      'Initialize failed',
      ...REJECTED,
    ]);
    expect(record(next)).toMatchObject({
      status: 'REJECTED',
      failedPhase: 'Initialize',
      outcomeReason: `DeploymentLockedError: web is locked by deployment deploy-1 (image tag v1.4.2, since 2026-11-23T09:00:00.000Z, execution ${ARN}:deploy-1): its execution no longer exists and its rollback failed (ROLLBACK_FAILED); production needs a human: check the listener weights, then release the lock with "baton unlock web --reason <what was done>"`,
    });
    expect(next.model.table.get('LOCK#web|LOCK')).toMatchObject({ deploymentId: 'deploy-1', executionArn: `${ARN}:deploy-1` });
    expect(next.model.table.get('DEPLOYMENT#deploy-1|RECORD')?.status).toBe('ROLLBACK_FAILED');
    expect(weights(next)).toEqual({ blue: 0, green: 100 });
  });
});
