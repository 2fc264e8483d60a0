/**
 * Issue 19, item 3: the new colour judged against the old one while both take
 * production traffic (services[].analysis), on the real state machine and
 * bundles, against the simulation's per-minute load balancer metrics (seeded:
 * the same numbers every run). examples/analysis: a 10 % canary held 600 s,
 * 100 requests a second, a margin of 0.2 percentage points at 95 %.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema, type AccountSpec } from '../../sim/account/schema.ts';
import { ROOT } from '../support/config.ts';
import { ROLLED_BACK, record, run, SMOKE_TEST, START, weights } from '../support/simulation.ts';

const CONFIG_PATH = join(ROOT, 'examples', 'analysis', 'baton.config.json');
const INPUT = { service: 'web', imageTag: 'v1.4.2' };

function config(analysis: Record<string, unknown> = {}): BatonConfig {
  const loaded = loadConfig(CONFIG_PATH);
  const [web] = loaded.services;
  if (!web?.analysis) throw new Error('examples/analysis has no analysis');
  return { ...loaded, services: [{ ...web, analysis: { ...web.analysis, ...analysis } }] };
}

/** The example's account at `requestsPerSecond` on the production listener, its metric noise seeded `seed`. */
function account(requestsPerSecond = 100, seed = 1): AccountSpec {
  const raw = JSON.parse(readFileSync(join(ROOT, 'examples', 'analysis', 'sim-account.json'), 'utf8')) as {
    elb: { listeners: Record<string, { traffic?: Record<string, unknown> }> };
  };
  const listener = raw.elb.listeners[config().services[0]?.productionListenerArn ?? ''];
  if (listener?.traffic) listener.traffic.requestsPerSecond = requestsPerSecond;
  return AccountSchema.parse({ ...raw, seed });
}

const VERIFIED = [
  ...START,
  'Check new colour stability',
  'Is new colour stable?',
  'Verify new colour',
  ...SMOKE_TEST,
  'Is approval required?',
];
const SHIFT = ['Shift traffic', 'Is traffic fully shifted?'];
const greens = (result: Awaited<ReturnType<typeof run>>) =>
  ((record(result)?.weightChanges ?? []) as Array<{ at: string; green: number }>).map(({ at, green }) => [at, green]);

describe('the new colour judged against the old', () => {
  it('promotes a new colour as good as the old one, and records the verdict with its numbers', async () => {
    // Act
    const result = await run({ config: config(), account: account(), input: INPUT });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(record(result)?.analyses).toEqual([
      {
        step: 1,
        weight: 10,
        at: '2026-11-23T09:10:45.225Z',
        verdict: 'not-worse',
        newRequests: 5321,
        oldRequests: 48745,
        errorRate: {
          newRate: 0.006013907160308213,
          oldRate: 0.00545696994563545,
          margin: 0.002,
          z: -1.2986541046329145,
          pValue: 0.9029686693973629,
        },
        latency: { percentile: 'p99', marginPercent: 5, u: 39, pValue: 0.5683463595228301, newMinutes: 9, oldMinutes: 9 },
        words:
          'the new colour is not worse than the old: 5xx rate 0.60 % new (32/5321) against 0.55 % old (266/48745), margin 0.20 %: z -1.30, p 0.9030; p99 latency over 9 and 9 minutes, margin 5 %: U 39, p 0.5683',
      },
    ]);
  });

  it('rolls back a new colour at 1.5 % of 5xx against 0.5 %, naming the rates, the counts, z and p', async () => {
    // Act
    const result = await run({ config: config(), account: account(), input: INPUT, faults: ['green-error-rate-1.5pct'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.executionPath).toEqual([...VERIFIED, ...SHIFT, 'Shift traffic', 'Shift traffic failed', ...ROLLED_BACK]);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(record(result)?.outcomeReason).toBe(
      'GateFailedError: gate failed while holding green at 10 %: the new colour is worse than the old (its 5xx rate, at 95 % confidence over 81 looks): 5xx rate 1.52 % new (55/3607) against 0.54 % old (178/32724), margin 0.20 %: z 3.75, p 8.7e-5; p99 latency over 6 and 6 minutes, margin 5 %: U 16, p 0.6504',
    );
    expect(greens(result)).toEqual([
      ['2026-11-23T09:00:45.225Z', 10],
      ['2026-11-23T09:07:15.275Z', 0],
    ]);
  });

  it('rolls back a new colour 20 % slower at p99 (5 % allowed), by the rank test of its minutes', async () => {
    // Act
    const result = await run({ config: config(), account: account(), input: INPUT, faults: ['new-colour-latency-20pct'] });

    // Assert
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(record(result)?.outcomeReason).toBe(
      'GateFailedError: gate failed while holding green at 10 %: the new colour is worse than the old (its latency, at 95 % confidence over 81 looks): 5xx rate 0.59 % new (28/4785) against 0.56 % old (242/43396), margin 0.20 %: z -1.49, p 0.9316; p99 latency over 8 and 8 minutes, margin 5 %: U 61, p 0.0005',
    );
  });
});

describe('too few requests to judge (5 requests a second: 0.5 to the canary)', () => {
  it('holds the step until there are enough ("hold"), then judges and goes on', async () => {
    // Act
    const result = await run({ config: config(), account: account(5), input: INPUT });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    // 600 s of the step brought 264 requests to green; it held 510 s longer, a gate interval at a time, to 509.
    expect(greens(result)).toEqual([
      ['2026-11-23T09:00:45.225Z', 10],
      ['2026-11-23T09:19:15.225Z', 100],
    ]);
    expect(record(result)?.analyses).toEqual([
      {
        step: 1,
        weight: 10,
        at: '2026-11-23T09:19:15.225Z',
        verdict: 'not-worse',
        newRequests: 509,
        oldRequests: 4891,
        errorRate: {
          newRate: 0.007858546168958742,
          oldRate: 0.0057248006542629315,
          margin: 0.002,
          z: 0.03294421050304696,
          pValue: 0.48685953851535196,
        },
        latency: { percentile: 'p99', marginPercent: 5, u: 142, pValue: 0.7393983558570195, newMinutes: 18, oldMinutes: 18 },
        words:
          'the new colour is not worse than the old: 5xx rate 0.79 % new (4/509) against 0.57 % old (28/4891), margin 0.20 %: z 0.03, p 0.4869; p99 latency over 18 and 18 minutes, margin 5 %: U 142, p 0.7394',
      },
    ]);
  });

  it('fails the gate when holding longer (maxExtraHoldSeconds) still brings too few', async () => {
    // Act
    const result = await run({ config: config({ maxExtraHoldSeconds: 120 }), account: account(5), input: INPUT });

    // Assert
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(record(result)?.outcomeReason).toBe(
      "GateFailedError: gate failed while holding green at 10 %: too few requests to judge the new colour: 320 new and 3006 old, at least 500 each needed, after 120 s more than the step's pause (maxExtraHoldSeconds)",
    );
  });

  it('fails the gate at the step\'s end with "fail", goes on with "pass" (the verdict recorded)', async () => {
    // Act
    const failed = await run({ config: config({ lowTraffic: 'fail' }), account: account(5), input: INPUT });
    const passed = await run({ config: config({ lowTraffic: 'pass' }), account: account(5), input: INPUT });

    // Assert
    expect(record(failed)?.outcomeReason).toBe(
      'GateFailedError: gate failed while holding green at 10 %: too few requests to judge the new colour: 264 new and 2461 old, at least 500 each needed (lowTraffic "fail")',
    );
    expect(record(passed)?.status).toBe('SUCCEEDED');
    expect(((record(passed)?.analyses ?? []) as Array<{ verdict: string }>).map((entry) => entry.verdict)).toEqual(['too-few-requests']);
  });
});

describe('over seeded runs (npm run analysis-power runs 100 of each)', () => {
  it('rolls back 1.5 % against 0.5 % in every one of 5 seeds, and promotes equal colours in every one', { timeout: 120_000 }, async () => {
    // Act
    const outcomes = { regression: [] as unknown[], equal: [] as unknown[] };
    for (const seed of [2, 3, 4, 5, 6]) {
      outcomes.regression.push(
        record(await run({ config: config(), account: account(100, seed), input: INPUT, faults: ['green-error-rate-1.5pct'] }))?.status,
      );
      outcomes.equal.push(record(await run({ config: config(), account: account(100, seed), input: INPUT }))?.status);
    }

    // Assert
    expect(outcomes).toEqual({ regression: Array(5).fill('ROLLED_BACK'), equal: Array(5).fill('SUCCEEDED') });
  });
});
