/**
 * Every fault of the catalogue, alone and in combination: each ends in the
 * outcome the catalogue documents, with production traffic on a healthy
 * colour, a terminal record naming the cause, the lock free and no secret
 * value anywhere (the invariants, checked by run() after every execution).
 */
import { describe, expect, it } from 'vitest';
import { FAULTS } from '../../sim/faults/index.ts';
import { secretValues } from '../../sim/invariants.ts';
import {
  BAKE_LOOP,
  exampleAccount,
  REJECTED,
  ROLLED_BACK,
  record,
  run,
  SMOKE_TEST,
  STABILITY_LOOP,
  START,
  simulateCli,
  weights,
} from '../support/simulation.ts';

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

  it.each(Object.keys(FAULTS))('%s: npm run simulate prints no secret value of the account file, in text or JSON', async (fault) => {
    // Act
    const text = await simulateCli(['--fault', fault]);
    const json = await simulateCli(['--fault', fault, '--json']);

    // Assert: exit 0 means the run ended as the fault documents and every invariant held.
    expect([text.code, json.code]).toEqual([0, 0]);
    const printed = `${text.out}${text.err}${json.out}${json.err}`;
    for (const value of secretValues(exampleAccount())) expect(printed).not.toContain(value);
    expect(printed).not.toContain('SIMSECRET');
  });

  it('rolls back a new colour that never starts once the stability deadline passes', async () => {
    // Arrange / Act
    const result = await run({ faults: ['green-never-stable'] });

    // Assert: the first invocation looks every 15 s until its 840 s are up; the second finds the 900 s deadline passed.
    expect(result.main.executionPath).toEqual([
      ...START,
      ...STABILITY_LOOP,
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

describe('faults after traffic moved, before the old colour is retired', () => {
  /** Whether the old colour (blue) was ever asked to scale to 0. */
  const blueScaledToZero = (result: Awaited<ReturnType<typeof run>>) =>
    result.apis.calls.some(
      (call) =>
        call.operation === 'UpdateService' &&
        (call.input as { service?: string; desiredCount?: number }).service === 'web-blue' &&
        (call.input as { desiredCount?: number }).desiredCount === 0,
    );

  it.each([
    // The targets fail their checks from 45 s and are unhealthy at the unhealthy threshold: the next gate check sees it.
    ['target-unhealthy-before-retire', 'has 0/3 healthy targets'],
    // The alarm's metric breaches at 45 s and the alarm enters ALARM after its evaluation periods: its event rolls back.
    ['alarm-before-retire', 'alarm web-5xx-rate entered ALARM at 2026-11-23T09:07:30.250Z (CloudWatch event): '],
  ])('%s rolls back from "Check before retiring old colour" to blue, which was never scaled to 0', async (fault, signal) => {
    // Arrange / Act
    const result = await run({ faults: [fault] });

    // Assert: the bake in one invocation, then the scale-down watch, in one invocation, sees the signal.
    expect(result.main.executionPath).toEqual([
      ...START,
      ...STABILITY_LOOP,
      'Verify new colour',
      ...SMOKE_TEST,
      'Is approval required?',
      'Shift traffic',
      'Is traffic fully shifted?',
      ...BAKE_LOOP,
      'Check before retiring old colour',
      'Check before retiring old colour failed',
      ...ROLLED_BACK,
    ]);
    expect(result.main.error).toBe('GateFailedError');
    expect(result.main.cause).toContain('gate failed before retiring blue (green at 100 %): ');
    expect(result.main.cause).toContain(signal);
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(blueScaledToZero(result)).toBe(false);
    expect(result.model.service('prod', 'web-blue')?.desiredCount).toBe(3);
  });

  it('complete-timeout-after-record: the record stays SUCCEEDED, traffic stays on green, the rollback only releases the lock and announces SUCCEEDED', async () => {
    // Arrange / Act
    const result = await run({ faults: ['complete-timeout-after-record'] });

    // Assert
    expect(result.main.executionPath.slice(-6)).toEqual([
      'Is it time to retire old colour?',
      'Complete deployment',
      'Complete deployment failed',
      ...ROLLED_BACK,
    ]);
    expect(result.main.error).toBe('DeploymentAlreadyEnded');
    expect(record(result)).toMatchObject({ status: 'SUCCEEDED', failedPhase: undefined });
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(blueScaledToZero(result)).toBe(true);
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    const finished = result.model.events.filter((event) => event.detailType === 'Baton Deployment Finished');
    expect(finished.map((event) => event.detail.status)).toEqual(['SUCCEEDED']);
    // Complete's Task failed when Lambda ended the invocation at its 120 s timeout.
    const completeFailed = result.main.events.find((event) => event.type === 'StateFailed' && event.state?.name === 'Complete deployment');
    expect(completeFailed?.Error).toBe('Lambda.Unknown');
  });

  it('a denied lock delete after the SUCCEEDED write: the record stays SUCCEEDED, the rollback releases the lock, SUCCEEDED is announced', async () => {
    // Arrange / Act
    const result = await run({ faults: ['deny:dynamodb:DeleteItem@complete'] });

    // Assert
    expect(result.main.executionPath.slice(-5)).toEqual(['Complete deployment', 'Complete deployment failed', ...ROLLED_BACK]);
    expect(result.main.error).toBe('DeploymentAlreadyEnded');
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    // Complete announced it; the rollback, which cannot tell whether it did, announces it again (at least once).
    const finished = result.model.events.filter((event) => event.detailType === 'Baton Deployment Finished');
    expect(finished.map((event) => event.detail.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('shift-timeout-after-listener: Lambda ends Shift traffic at its 900 s timeout, before its Task gives up at 915 s; the rollback moves traffic back', async () => {
    // Arrange / Act
    const result = await run({ faults: ['shift-timeout-after-listener'] });

    // Assert
    expect(result.main.executionPath.slice(-5)).toEqual(['Shift traffic', 'Shift traffic failed', ...ROLLED_BACK]);
    expect(result.main.error).toBe('Lambda.Unknown');
    expect(result.main.cause).toContain('Task timed out after 900.00 seconds');
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('lambda-throttling-burst: five throttled invocations of Initialize are retried (2 + 4 + 8 + 16 + 32 s) and the deployment succeeds', async () => {
    // Arrange / Act
    const result = await run({ faults: ['lambda-throttling-burst'] });

    // Assert
    const retried = result.main.events.filter((event) => event.type === 'StateRetried').map((event) => event.state?.name);
    expect(retried).toEqual(Array(5).fill('Initialize'));
    expect(record(result)?.status).toBe('SUCCEEDED');
    // 62 s of retries, then the Task's transition (5 ms) and the invoke (20 ms), twice (Initialize's own, then the first state's) before the function starts (latency.ts).
    expect(record(result)?.phases).toMatchObject({ initialize: { startedAt: '2026-11-23T09:01:02.050Z' } });
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
  });
});
