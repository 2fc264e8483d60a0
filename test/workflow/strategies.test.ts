/**
 * Progressive traffic and its gates in the simulation: the weight sequence
 * each strategy writes, the time it implies, and how fast a bad signal puts
 * traffic back on the old colour.
 */
import { describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../lambdas/shared/config-schema.ts';
import { afterShift } from '../../sim/faults/fault.ts';
import { FAULTS } from '../../sim/faults/index.ts';
import type { SimulationResult } from '../../sim/harness.ts';
import { rawExampleConfig } from '../support/config.ts';
import { record, run, weights } from '../support/simulation.ts';

const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/8e4b6b8b3c5d2a10';

/** Weights written to the new colour by Shift traffic, in order. */
function greenWeights(result: SimulationResult): number[] {
  return result.apis.calls
    .filter((call) => call.operation === 'ModifyListener' && call.state === 'Shift traffic' && !call.error)
    .map((call) => {
      const actions = (
        call.input as { DefaultActions: Array<{ ForwardConfig: { TargetGroups: Array<{ TargetGroupArn: string; Weight: number }> } }> }
      ).DefaultActions;
      return actions[0]?.ForwardConfig.TargetGroups.find((group) => group.TargetGroupArn === GREEN_TG)?.Weight ?? -1;
    });
}

function input(strategy: unknown) {
  return { service: 'web', imageTag: 'v1.4.2', strategy };
}

describe('each strategy', () => {
  it.each([
    // stable at 45 s, steps, 300 s bake, 300 s scale-down delay, and the transitions' and invokes' own time (latency.ts):
    // the same for every strategy, each watch (the holds included) being one invocation of its Task
    ['all-at-once', { type: 'all-at-once' }, [100], 45 + 300 + 300 + 0.25],
    ['canary 10 % for 300 s', { type: 'canary', percent: 10, bakeSeconds: 300 }, [10, 100], 45 + 300 + 300 + 300 + 0.25],
    ['linear 25 % every 60 s', { type: 'linear', stepPercent: 25, intervalSeconds: 60 }, [25, 50, 75, 100], 45 + 180 + 300 + 300 + 0.25],
    [
      'explicit steps',
      {
        type: 'steps',
        steps: [
          { weight: 5, pauseSeconds: 120 },
          { weight: 50, pauseSeconds: 60 },
        ],
      },
      [5, 50, 100],
      45 + 180 + 300 + 300 + 0.25,
    ],
  ])('%s writes its weight sequence and takes the time it implies', async (_name, strategy, sequence, seconds) => {
    // Act
    const result = await run({ input: input(strategy) });

    // Assert
    expect(greenWeights(result)).toEqual(sequence);
    expect(result.simulatedSeconds).toBe(seconds);
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
  });

  it('runs a hotfix all at once with a 60 s bake, still validating and verifying', async () => {
    // Act
    const result = await run({
      input: { service: 'web', imageTag: 'v1.4.2', hotfix: true, strategy: { type: 'canary', percent: 10, bakeSeconds: 300 } },
    });

    // Assert
    expect(greenWeights(result)).toEqual([100]);
    expect(result.main.executionPath).toContain('Validate');
    expect(result.main.executionPath).toContain('Verify new colour');
    expect(result.simulatedSeconds).toBe(45 + 60 + 300 + 0.25);
  });
});

describe('a bad signal after the bake, before the old colour is retired', () => {
  it('a canary on a service with bakeSeconds 0 whose new targets fail 45 s after traffic moves rolls back during the scale-down delay', async () => {
    // Arrange: no bake; the canary holds 10 % for 30 s, then 100 %; the targets fail at 45 s, 15 s into the scale-down delay.
    const raw = rawExampleConfig() as { services: Array<Record<string, unknown>> };
    const config = BatonConfigSchema.parse({ ...raw, services: raw.services.map((s) => ({ ...s, bakeSeconds: 0 })) });

    // Act
    const result = await run({
      config,
      input: input({ type: 'canary', percent: 10, bakeSeconds: 30 }),
      faults: ['target-unhealthy-during-shift'],
    });

    // Assert
    expect(greenWeights(result)).toEqual([10, 100]);
    expect(record(result)).toMatchObject({ status: 'ROLLED_BACK', failedPhase: 'Check before retiring old colour' });
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(result.model.service('prod', 'web-blue')?.desiredCount).toBe(3);
    expect(result.signalToRestoreSeconds).toBeLessThanOrEqual(30);
  });
});

describe('a bad signal during the shift', () => {
  const linear = input({ type: 'linear', stepPercent: 25, intervalSeconds: 60 });

  it.each(['alarm-during-shift', 'target-unhealthy-during-shift'])(
    '%s stops the shift at the step it holds and restores traffic within one gate interval',
    async (fault) => {
      // Act
      const result = await run({ input: linear, faults: [fault] });

      // Assert: the signal comes 45 s after the first step plus the alarm's evaluation period (60 s) or the targets'
      // unhealthy threshold (2 checks 10 s apart), while the second step holds.
      expect(greenWeights(result)).toEqual([25, 50]);
      expect(weights(result)).toEqual({ blue: 100, green: 0 });
      expect(record(result)?.failedPhase).toBe('Shift traffic');
      expect(result.signalToRestoreSeconds).toBeLessThanOrEqual(30);
    },
  );

  it.each([1, 2, 3])('an alarm while holding step %i rolls back from that step', async (step) => {
    // Arrange: a fault for this test only: the alarm enters ALARM 45 s after the given step's listener update (its metric
    // has breached for its evaluation periods by then).
    const name = `alarm-after-shift-${step}`;
    FAULTS[name] = {
      description: `alarm 45 s after shift ${step}`,
      expected: 'ROLLED_BACK',
      apply: (ctx) =>
        afterShift(ctx, step, 45_000, () => ctx.setAlarm(0, 'ALARM', 'Threshold Crossed', ctx.model.now - ctx.alarmEvaluationMs(0))),
    };

    try {
      // Act
      const result = await run({ input: linear, faults: [name] });

      // Assert
      expect(greenWeights(result)).toEqual([25, 50, 75].slice(0, step));
      expect(result.main.cause).toContain(`gate failed while holding green at ${25 * step} %`);
      expect(weights(result)).toEqual({ blue: 100, green: 0 });
      expect(result.signalToRestoreSeconds).toBeLessThanOrEqual(30);
    } finally {
      delete FAULTS[name];
    }
  });

  it('records the evidence an operator needs', async () => {
    // Act
    const result = await run({ input: linear, faults: ['target-unhealthy-during-shift'] });

    // Assert
    expect(record(result)?.evidence).toEqual([
      'failed in: Shift traffic',
      'signal: GateFailedError: gate failed while holding green at 50 %: target group targetgroup/web-green/8e4b6b8b3c5d2a10 has 0/3 healthy targets: 10.0.0.7:8080 unhealthy (Target.Timeout: Request timed out); 10.0.0.8:8080 unhealthy (Target.Timeout: Request timed out); 10.0.0.9:8080 unhealthy (Target.Timeout: Request timed out)',
      'rollback: traffic moved from blue 50 % / green 50 % back to 100 % blue',
      'rollback: web-green scaled to 0 on arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6',
    ]);
  });

  it('restores traffic within one gate interval of an alarm during the bake', async () => {
    // Act
    const result = await run({ faults: ['alarm-during-bake'] });

    // Assert
    expect(result.signalToRestoreSeconds).toBeLessThanOrEqual(30);
    expect(record(result)?.failedPhase).toBe('Check bake');
  });
});

describe('alarm and cache gates', () => {
  it('lets INSUFFICIENT_DATA pass under the default policy', async () => {
    // Act
    const result = await run({ faults: ['alarm-insufficient-data'] });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
  });

  it('rolls back on INSUFFICIENT_DATA when the policy is "fail"', async () => {
    // Arrange
    const raw = rawExampleConfig() as { services: Array<Record<string, unknown>> };
    const config = BatonConfigSchema.parse({ ...raw, services: raw.services.map((s) => ({ ...s, insufficientDataPolicy: 'fail' })) });

    // Act
    const result = await run({ config, faults: ['alarm-insufficient-data'] });

    // Assert
    expect(result.main.error).toBe('VerificationFailedError');
    expect(result.main.cause).toContain('alarm web-5xx-rate is INSUFFICIENT_DATA (Insufficient Data: 1 datapoint was unknown.)');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('waits cacheWaitSeconds for a modifying cache, then rejects before any change', async () => {
    // Act
    const result = await run({ faults: ['cache-modifying'] });

    // Assert
    expect(result.main.error).toBe('CacheNotReadyError');
    expect(result.simulatedSeconds).toBe(300.325);
    expect(result.main.events.filter((event) => event.type === 'StateRetried' && event.state?.name === 'Validate')).toHaveLength(10);
    expect(record(result)?.status).toBe('REJECTED');
  });

  it('counts a snapshotting cache as serving', async () => {
    // Act
    const result = await run({ faults: ['cache-snapshotting'] });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
  });
});
