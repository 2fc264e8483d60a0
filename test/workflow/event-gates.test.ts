/**
 * Issue 18: a hold or a bake of any length in one execution, and gates that
 * react to events. The watching Tasks wait inside their invocation (watch.ts),
 * so a bake costs 7 history events per invocation of up to 840 s; an alarm
 * entering ALARM, or a task of the new colour stopping, reaches the signal
 * function through the template's rules and the watch reads it within a
 * second; with the rules disabled, the polling gates still roll back.
 */
import { describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../lambdas/shared/config-schema.ts';
import { HISTORY_EVENT_LIMIT } from '../../lambdas/shared/history-budget.ts';
import { rawExampleConfig } from '../support/config.ts';
import { NEW_TAG, ROLLED_BACK, record, repeat, run, VERIFIED, weights } from '../support/simulation.ts';

const CANARY = { service: 'web', imageTag: NEW_TAG, strategy: { type: 'canary', percent: 10, bakeSeconds: 600 } };
const SHIFT = ['Shift traffic', 'Is traffic fully shifted?'];

/** Seconds from the listener write that put `weight` % on green to the next write, from the record's weight changes. */
function secondsFromWeight(result: Awaited<ReturnType<typeof run>>, weight: number): number {
  const changes = (record(result)?.weightChanges ?? []) as Array<{ at: string; green: number }>;
  const index = changes.findIndex((change) => change.green === weight);
  const [from, to] = [changes[index], changes[index + 1]];
  if (!from || !to) throw new Error(`no write after green ${weight} % in ${JSON.stringify(changes)}`);
  return (Date.parse(to.at) - Date.parse(from.at)) / 1000;
}

describe('a bake of 24 h at a 5 s gate interval', () => {
  it('succeeds in one execution, 103 invocations of Check bake, far under the history limit', { timeout: 900_000 }, async () => {
    const raw = rawExampleConfig() as { pipeline: Record<string, unknown>; services: Array<Record<string, unknown>> };
    raw.pipeline.executionTimeoutSeconds = 172_800;
    Object.assign(raw.services[0] ?? {}, { bakeSeconds: 86_400, gateIntervalSeconds: 5 });
    const config = BatonConfigSchema.parse(raw);

    const result = await run({ config });

    expect(result.main.status).toBe('SUCCEEDED');
    // 86,400 s of bake, 840 s per invocation: 103 invocations; the scale-down delay (300 s) one more.
    expect(result.main.executionPath).toEqual([
      ...VERIFIED,
      ...SHIFT,
      ...repeat(['Check bake', 'Is bake over?'], 103),
      'Check before retiring old colour',
      'Is it time to retire old colour?',
      'Complete deployment',
      'Deployment succeeded',
    ]);
    expect(result.main.historyEvents).toBeLessThan(18_750);
    expect(result.main.historyEvents).toBeLessThan(HISTORY_EVENT_LIMIT);
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
  });
});

describe('an alarm entering ALARM 10 s into a hold', () => {
  it('has production back on the old colour within 5 s: the event, then the watch reading the signal', async () => {
    const result = await run({ faults: ['alarm-during-hold'], input: CANARY });

    // The first invocation moves 10 % and returns; the second watches the hold and fails.
    expect(result.main.executionPath).toEqual([...VERIFIED, ...SHIFT, 'Shift traffic', 'Shift traffic failed', ...ROLLED_BACK]);
    expect(record(result)?.outcomeReason).toBe(
      'GateFailedError: gate failed while holding green at 10 %: alarm web-5xx-rate entered ALARM at 2026-11-23T09:00:55.250Z (CloudWatch event): Threshold Crossed: 1 datapoint [14.2] was greater than the threshold (5.0).',
    );
    // The alarm at +10 s, its event at +10.5 s, the watch's next read at +11 s: the rollback's write at +11.05 s
    // (Step Functions' and Lambda's simulated latencies: sim/stepfunctions/latency.ts).
    expect(secondsFromWeight(result, 10)).toBe(11.05);
    expect(result.signalToRestoreSeconds).toBe(1.025);
    expect(result.signalToRestoreSeconds).toBeLessThanOrEqual(5);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('still rolls back at the next gate check when the signal rules are disabled: polling is the safety net', async () => {
    const result = await run({ faults: ['alarm-during-hold', 'signal-rules-disabled'], input: CANARY });

    // The first invocation moves 10 % and returns; the second watches the hold and fails.
    expect(result.main.executionPath).toEqual([...VERIFIED, ...SHIFT, 'Shift traffic', 'Shift traffic failed', ...ROLLED_BACK]);
    expect(record(result)?.outcomeReason).toBe(
      'GateFailedError: gate failed while holding green at 10 %: alarm web-5xx-rate is ALARM (Threshold Crossed: 1 datapoint [14.2] was greater than the threshold (5.0).)',
    );
    // No event: the gate check 30 s into the hold (the gate interval) finds the alarm, 20 s after it fired.
    expect(secondsFromWeight(result, 10)).toBe(30.05);
    expect(result.signalToRestoreSeconds).toBe(20.025);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});

describe('a task of the new colour stopping during the bake', () => {
  it('rolls back on its ECS event within about a second, naming the stopped task', async () => {
    const result = await run({ faults: ['green-task-stops-during-bake'] });

    expect(result.main.executionPath).toEqual([...VERIFIED, ...SHIFT, 'Check bake', 'Check bake failed', ...ROLLED_BACK]);
    expect(String(record(result)?.outcomeReason)).toMatch(
      /^GateFailedError: gate failed during the bake of green at 100 %: task \S+ of web-green stopped at 2026-11-23T09:01:05\.250Z \(ECS event\): EssentialContainerExited: Essential container in task exited$/,
    );
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});
