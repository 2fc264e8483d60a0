/**
 * Issue 19, item 3: the new colour judged against the old one while both take
 * production traffic (services[].analysis), on the real state machine and
 * bundles, against the simulation's per-minute load balancer metrics (seeded:
 * the same numbers every run). examples/analysis: a 10 % canary held 1200 s,
 * 100 requests a second, a margin of 0.2 percentage points at 95 %, p99 within 5 %.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema, type AccountSpec } from '../../sim/account/schema.ts';
import { ROOT, THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { ROLLED_BACK, record, run, VERIFIED, weights } from '../support/simulation.ts';

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
    expect(greens(result)).toEqual([
      ['2026-11-23T09:00:45.225Z', 10],
      ['2026-11-23T09:20:45.225Z', 100],
    ]);
    expect(record(result)?.analyses).toEqual([
      {
        step: 1,
        weight: 10,
        at: '2026-11-23T09:20:45.225Z',
        verdict: 'not-worse',
        newRequests: 11215,
        oldRequests: 102630,
        errorRate: {
          newRate: 0.005706642888987963,
          oldRate: 0.0050764883562311215,
          margin: 0.002,
          z: -1.838512868073641,
          pValue: 0.967006566274055,
        },
        latency: { percentile: 'p99', marginPercent: 5, u: 157, pValue: 0.7560347347867298, newMinutes: 19, oldMinutes: 19 },
        words:
          'the new colour is not worse than the old: 5xx rate 0.57 % new (64/11215) against 0.51 % old (521/102630), margin 0.20 %: z -1.84, p 0.9670; p99 latency over 19 and 19 minutes, margin 5 %: U 157, p 0.7560',
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
      'GateFailedError: gate failed while holding green at 10 %: the new colour is worse than the old (its 5xx rate, at 95 % confidence over 101 looks): 5xx rate 1.52 % new (55/3607) against 0.54 % old (178/32724), margin 0.20 %: z 3.75, p 8.7e-5; p99 latency over 6 and 6 minutes, margin 5 %: U 16, p 0.6504',
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
      'GateFailedError: gate failed while holding green at 10 %: the new colour is worse than the old (its latency, at 95 % confidence over 101 looks): 5xx rate 0.60 % new (32/5321) against 0.55 % old (266/48745), margin 0.20 %: z -1.30, p 0.9030; p99 latency over 9 and 9 minutes, margin 5 %: U 78, p 0.0001',
    );
    expect(greens(result)).toEqual([
      ['2026-11-23T09:00:45.225Z', 10],
      ['2026-11-23T09:10:15.275Z', 0],
    ]);
  });
});

describe('too few requests to judge (2 requests a second: 0.2 to the canary)', () => {
  it('holds the step until there are enough ("hold"), then judges and goes on', async () => {
    // Act
    const result = await run({ config: config(), account: account(2), input: INPUT });

    // Assert: the step held 2730 s instead of 1200, a gate interval at a time, until each colour had 500 requests
    expect(result.main.status).toBe('SUCCEEDED');
    expect(greens(result)).toEqual([
      ['2026-11-23T09:00:45.225Z', 10],
      ['2026-11-23T09:46:15.225Z', 100],
    ]);
    expect(record(result)?.analyses).toEqual([
      {
        step: 1,
        weight: 10,
        at: '2026-11-23T09:46:15.225Z',
        verdict: 'not-worse',
        newRequests: 513,
        oldRequests: 4844,
        errorRate: {
          newRate: 0.001949317738791423,
          oldRate: 0.0053674649050371595,
          margin: 0.002,
          z: -2.4490318197799645,
          pValue: 0.9928379603366991,
        },
        latency: { percentile: 'p99', marginPercent: 5, u: 708, pValue: 0.993077473973712, newMinutes: 45, oldMinutes: 45 },
        words:
          'the new colour is not worse than the old: 5xx rate 0.19 % new (1/513) against 0.54 % old (26/4844), margin 0.20 %: z -2.45, p 0.9928; p99 latency over 45 and 45 minutes, margin 5 %: U 708, p 0.9931',
      },
    ]);
  });

  it('fails the gate when holding longer (maxExtraHoldSeconds) still brings too few', async () => {
    // Act
    const result = await run({ config: config({ maxExtraHoldSeconds: 120 }), account: account(2), input: INPUT });

    // Assert
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(record(result)?.outcomeReason).toBe(
      "GateFailedError: gate failed while holding green at 10 %: too few requests to judge the new colour: 237 new and 2267 old, at least 500 each needed, after 120 s more than the step's pause (maxExtraHoldSeconds)",
    );
    expect(greens(result)).toEqual([
      ['2026-11-23T09:00:45.225Z', 10],
      ['2026-11-23T09:22:45.250Z', 0],
    ]);
  });

  it('fails the gate at the step\'s end with "fail", goes on with "pass" (the verdict recorded)', async () => {
    // Act
    const failed = await run({ config: config({ lowTraffic: 'fail' }), account: account(2), input: INPUT });
    const passed = await run({ config: config({ lowTraffic: 'pass' }), account: account(2), input: INPUT });

    // Assert
    expect(record(failed)?.outcomeReason).toBe(
      'GateFailedError: gate failed while holding green at 10 %: too few requests to judge the new colour: 211 new and 2049 old, at least 500 each needed (lowTraffic "fail")',
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
      const faults = ['green-error-rate-1.5pct'];
      outcomes.regression.push(record(await run({ config: config(), account: account(100, seed), input: INPUT, faults }))?.status);
      outcomes.equal.push(record(await run({ config: config(), account: account(100, seed), input: INPUT }))?.status);
    }

    // Assert
    expect(outcomes).toEqual({ regression: Array(5).fill('ROLLED_BACK'), equal: Array(5).fill('SUCCEEDED') });
  });
});

describe('a release shifted together, each service judged', () => {
  const release = () => ({
    ...(JSON.parse(readFileSync(join(ROOT, 'examples', 'three-services', 'release.json'), 'utf8')) as Record<string, unknown>),
    shift: 'together',
    strategy: { type: 'canary', percent: 10, bakeSeconds: 1200 },
  });
  /** The three services, each with an analysis; 20 requests a second each (the account's default traffic). */
  function judged(): BatonConfig {
    const loaded = loadConfig(THREE_SERVICES_CONFIG_PATH);
    const analysis = { ...config().services[0]?.analysis, minRequests: 100, latency: undefined } as NonNullable<
      BatonConfig['services'][0]['analysis']
    >;
    return { ...loaded, services: loaded.services.map((service) => ({ ...service, analysis })) };
  }
  const threeServices = () => AccountSchema.parse(JSON.parse(readFileSync(THREE_SERVICES_ACCOUNT_PATH, 'utf8')));
  const verdicts = (result: Awaited<ReturnType<typeof run>>) =>
    ['api', 'web', 'worker'].map((service) => {
      const stored = result.model.table.get(`DEPLOYMENT#${result.main.name}-${service}|RECORD`) ?? {};
      return [service, stored.status, ((stored.analyses ?? []) as Array<{ verdict: string }>).map((entry) => entry.verdict)];
    });

  it("records each service's verdict at the release's step", async () => {
    // Act
    const result = await run({ config: judged(), account: threeServices(), input: release() });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(verdicts(result)).toEqual([
      ['api', 'SUCCEEDED', ['not-worse']],
      ['web', 'SUCCEEDED', ['not-worse']],
      ['worker', 'SUCCEEDED', ['not-worse']],
    ]);
  });

  it('rolls every service back when one of them is worse, naming it', async () => {
    // Act
    const result = await run({ config: judged(), account: threeServices(), input: release(), faults: ['green-error-rate-1.5pct@web'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.cause).toBe(
      'release 2026-11-22.1 rolled back because GateFailedError: gate failed while holding the release at 10 %: web: the new colour is worse than the old (its 5xx rate, at 95 % confidence over 101 looks): 5xx rate 1.63 % new (36/2207) against 0.51 % old (104/20565), margin 0.20 %: z 3.38, p 0.0004; rolled back worker -> web -> api',
    );
    expect(verdicts(result).map(([service, status]) => [service, status])).toEqual([
      ['api', 'ROLLED_BACK'],
      ['web', 'ROLLED_BACK'],
      ['worker', 'ROLLED_BACK'],
    ]);
  });
});
