/**
 * A failed rollback and redrive: ROLLBACK_FAILED keeps the lock and the
 * execution keeps retrying; after the cause is fixed, redriving the timed-out
 * execution resumes where it stopped and rolls back. Redriving an execution
 * whose deployment the backstop already closed changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { SimulationContext } from '../../sim/context.ts';
import { record, run, weights } from '../support/simulation.ts';

const LISTENER_WRITES = new Set(['ModifyListener', 'ModifyRule']);

describe('a rollback that cannot move traffic back (fault rollback-denied)', () => {
  it('records ROLLBACK_FAILED once, keeps the lock, retries every 300 s and times out at the execution timeout', async () => {
    // Act
    const result = await run({ faults: ['rollback-denied'] });

    // Assert
    expect(result.main.status).toBe('TIMED_OUT');
    expect(record(result)?.status).toBe('ROLLBACK_FAILED');
    expect(String(record(result)?.outcomeReason)).toContain(
      'failed: AccessDeniedException: User is not authorized to perform: elasticloadbalancing:ModifyListener',
    );
    expect(result.model.table.get('LOCK#web|LOCK')?.deploymentId).toBe('deploy-1');
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    // The execution timeout (21600 s) ends the retries.
    expect(result.simulatedSeconds).toBeGreaterThanOrEqual(21_600);
    const retries = result.main.executionPath.filter((state) => state === 'Wait before retrying rollback').length;
    expect(retries).toBeGreaterThan(20);
    // Announced once, not at every retry.
    expect(result.model.notifications.map((n) => n.subject)).toEqual([
      'Baton: web v1.4.2 deploying (all-at-once)',
      'Baton: web v1.4.2 ROLLBACK_FAILED',
    ]);
    expect(result.backstop).toEqual([
      { execution: 'deploy-1', result: { action: 'none', reason: 'deployment deploy-1 already ended ROLLBACK_FAILED' } },
    ]);
  });

  it('rolls back when redriven after the fix: traffic back on blue, record ROLLED_BACK, lock free', async () => {
    // Act
    const result = await run({ faults: ['rollback-denied'], redriveAfterFix: true });

    // Assert
    expect(result.main.redriveCount).toBe(1);
    expect(['Roll back', 'Wait before retrying rollback']).toContain(result.main.redriveFrom);
    expect(result.main.status).toBe('FAILED');
    expect(result.main.error).toBe('GateFailedError');
    expect(result.main.executionPath.slice(-2)).toEqual(['Is rollback done?', 'Deployment rolled back']);
    expect(record(result)).toMatchObject({
      status: 'ROLLED_BACK',
      outcomeReason:
        'GateFailedError: gate failed during the bake of green at 100 %: alarm web-5xx-rate is ALARM (Threshold Crossed: 3 datapoints were greater than the threshold (5.0).)',
    });
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(result.model.notifications.map((n) => n.subject)).toEqual([
      'Baton: web v1.4.2 deploying (all-at-once)',
      'Baton: web v1.4.2 ROLLBACK_FAILED',
      'Baton: web v1.4.2 ROLLED_BACK',
    ]);
  });
});

describe('redriving an execution whose deployment the backstop already closed', () => {
  it('ends at "Deployment rolled back" as DeploymentAlreadyEnded and writes nothing to the listener or the services', async () => {
    // Arrange: stopped during the bake; the backstop's recovery rolls the deployment back and frees the lock.
    // Act: the operator redrives the stopped execution anyway.
    const result = await run({ abortAt: 'Check bake', redriveAfterFix: true });

    // Assert
    expect(result.main.redriveCount).toBe(1);
    expect(result.main.redriveFrom).toBe('Check bake');
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(result.main.status).toBe('FAILED');
    expect(result.main.error).toBe('DeploymentAlreadyEnded');
    expect(result.main.cause).toContain('deployment deploy-1 already ended ROLLED_BACK');
    expect(result.main.cause).toContain('nobody holds the lock of web, so this execution changed nothing');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    // Exactly the writes of the same run without the redrive: the redriven execution added none.
    const withoutRedrive = await run({ abortAt: 'Check bake' });
    const writes = (calls: typeof result.apis.calls) =>
      calls
        .filter((call) => LISTENER_WRITES.has(call.operation) || call.operation === 'UpdateService')
        .map((call) => [call.operation, call.input]);
    expect(writes(result.apis.calls)).toEqual(writes(withoutRedrive.apis.calls));
    expect(writes(result.apis.calls).length).toBeGreaterThan(0);
  });
});

describe('redriving an execution while the recovery execution holds its lock', () => {
  it("stops at its first phase with LockLostError (the lock is the recovery execution's) and writes nothing", async () => {
    // Arrange: stopped during the bake; the backstop's recovery took the lock over (transferLock). When the operator
    // redrives the stopped execution, the lock still names the recovery execution, which is at work; it ends, and frees
    // the lock, as the redriven execution's rollback starts.
    const recoveryArn = 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:deploy-1-recovery-1';
    let transferred = false;
    const setup = (ctx: SimulationContext) => {
      ctx.onStateEntered.push((state) => {
        const key = `LOCK#${ctx.service.name}|LOCK`;
        // The redriven execution resumes at Check bake (the abort stopped the first entry before any hook).
        if (state === 'Check bake' && !ctx.model.table.has(key)) {
          transferred = true;
          ctx.model.table.set(key, {
            pk: `LOCK#${ctx.service.name}`,
            sk: 'LOCK',
            service: ctx.service.name,
            deploymentId: 'deploy-1',
            executionArn: recoveryArn,
            imageRef: 'tag:v1.4.2',
            acquiredAt: new Date(ctx.model.now).toISOString(),
            leaseExpiresAt: Math.floor(ctx.model.now / 1000) + 3600,
          });
        } else if (state === 'Roll back' && transferred) {
          ctx.model.table.delete(key);
        }
      });
    };

    // Act
    const result = await run({ abortAt: 'Check bake', redriveAfterFix: true, setup });

    // Assert
    expect(transferred).toBe(true);
    expect(result.main.redriveFrom).toBe('Check bake');
    expect(result.main.executionPath.slice(-5)).toEqual([
      'Check bake',
      'Check bake failed',
      'Roll back',
      'Is rollback done?',
      'Deployment rolled back',
    ]);
    const phases = (record(result)?.phases ?? {}) as Record<string, { error?: string }>;
    expect(phases.checkBake?.error).toBe(
      'LockLostError: deployment deploy-1 no longer holds the lock of web (deployment deploy-1 holds it); checkBake changes nothing',
    );
    expect(result.main.error).toBe('DeploymentAlreadyEnded');
    const withoutRedrive = await run({ abortAt: 'Check bake' });
    const writes = (calls: typeof result.apis.calls) =>
      calls
        .filter((call) => LISTENER_WRITES.has(call.operation) || call.operation === 'UpdateService')
        .map((call) => [call.operation, call.input]);
    expect(writes(result.apis.calls)).toEqual(writes(withoutRedrive.apis.calls));
  });
});
