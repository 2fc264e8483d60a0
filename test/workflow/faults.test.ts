/**
 * Every fault of the catalogue, alone and in combination: each ends in the
 * outcome the catalogue documents, with production traffic on a healthy
 * colour, a terminal record naming the cause, the lock free and no secret
 * value anywhere (the invariants, checked by run() after every execution).
 */
import { describe, expect, it } from 'vitest';
import { FAULTS } from '../../sim/faults.ts';
import { REJECTED, ROLLED_BACK, record, repeat, run, STABILITY_LOOP, START, weights } from '../fixtures/simulation.ts';

describe('each fault alone', () => {
  it.each(Object.entries(FAULTS).map(([name, fault]) => [name, fault.expected] as const))(
    '%s ends %s with traffic on a healthy colour',
    async (name, expected) => {
      // Arrange / Act
      const result = await run({ faults: [name], ...(FAULTS[name]?.input ? { input: FAULTS[name].input } : {}) });

      // Assert
      expect(record(result)?.status).toBe(expected);
      expect(String(record(result)?.outcomeReason ?? '')).not.toBe('');
      const traffic = weights(result);
      // The newer image queued meanwhile deploys after this one, back onto blue.
      if (name === 'lock-held') expect(traffic).toEqual({ blue: 100, green: 0 });
      else if (expected === 'SUCCEEDED') expect(traffic).toEqual({ blue: 0, green: 100 });
      else if (name === 'listener-split') expect(traffic).toEqual({ blue: 80, green: 20 });
      // The lock went to another deployment before any shift: this one leaves traffic where it was, on blue.
      else if (name === 'lock-lost') expect(traffic).toEqual({ blue: 100, green: 0 });
      // The rollback may not touch the listener: traffic stays on green, which is healthy (the alarm is a metric alarm).
      else if (expected === 'ROLLBACK_FAILED') expect(traffic).toEqual({ blue: 0, green: 100 });
      else expect(traffic).toEqual({ blue: 100, green: 0 });
    },
  );

  it('rolls back a new colour that never starts once the stability deadline passes', async () => {
    // Arrange / Act
    const result = await run({ faults: ['green-never-stable'] });

    // Assert: 59 checks 15 s apart, and the 60th at 900 s finds the deadline passed.
    expect(result.main.executionPath).toEqual([
      ...START,
      ...repeat(STABILITY_LOOP, 59),
      'Wait for new colour to stabilize',
      'Check new colour stability',
      'Check new colour stability failed',
      ...ROLLED_BACK,
    ]);
    expect(result.main.error).toBe('StabilityTimeoutError');
    expect(result.main.cause).toContain('0/3 running, 0/3 healthy targets');
  });

  it('rolls back a new colour whose targets fail health checks, naming the health check reason', async () => {
    // Arrange / Act
    const result = await run({ faults: ['green-unhealthy'] });

    // Assert
    expect(result.main.error).toBe('DeploymentFailedError');
    expect(result.main.cause).toContain('Task failed ELB health checks');
    expect(result.main.executionPath.slice(-3)).toEqual(ROLLED_BACK);
  });
});

describe('faults in combination', () => {
  it('reports the first failure when the image is missing and the cache is down', async () => {
    // Arrange / Act
    const result = await run({ faults: ['image-missing', 'cache-unavailable'] });

    // Assert
    expect(result.main.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Is it a release?',
      'Initialize',
      'Validate',
      'Validate failed',
      ...REJECTED,
    ]);
    expect(result.main.error).toBe('ImageNotFoundError');
  });

  it('rolls back crashing tasks even while ECS calls are throttled', async () => {
    // Arrange / Act
    const result = await run({ faults: ['throttling', 'green-tasks-crash'] });

    // Assert
    expect(result.main.error).toBe('DeploymentFailedError');
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('recovers a scaled-down old colour even when the first rollback listener update fails', async () => {
    // Arrange / Act
    const result = await run({ faults: ['old-colour-scaled-down', 'rollback-listener-fails-once'] });

    // Assert
    expect(result.main.error).toBe('GateFailedError');
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(result.model.service('prod', 'web-blue')?.desiredCount).toBe(3);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('deploys once while a duplicate ends DUPLICATE and a concurrent newer image is queued, then deploys it', async () => {
    // Arrange / Act
    const result = await run({ faults: ['lock-held', 'duplicate-trigger'] });

    // Assert
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(record(result, 'deploy-1-duplicate')?.status).toBe('DUPLICATE');
    expect(record(result, 'deploy-1-concurrent')).toMatchObject({
      status: 'QUEUED',
      outcomeReason:
        'QueuedError: image tag v1.4.3 (pushed 2026-11-23T09:00:00.000Z) is queued behind deployment deploy-1 (image tag v1.4.2, since 2026-11-23T09:00:00.000Z, execution arn:aws:states:eu-west-1:123456789012:execution:baton-production:deploy-1); it deploys when that deployment ends, unless a newer image is queued meanwhile (execution deploy-1-concurrent-dequeued)',
    });
    expect(record(result, 'deploy-1-concurrent-dequeued')).toMatchObject({ status: 'SUCCEEDED', imageTag: 'v1.4.3' });
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    expect(result.model.table.get('QUEUE#web|QUEUE')).toBeUndefined();
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});
