/**
 * Issue 19, item 4: a worker's new colour judged against the old one by the
 * metrics its tasks publish per colour (services[].analysis.metrics), on the
 * real state machine and bundles, against the simulated account's workload
 * (ecs.workloads: units shared by the colours' RUNNING tasks, seeded noise).
 * examples/worker-analysis: a 25 % canary (1 task of 4) held 1200 s, 100 units
 * a second, a margin of 0.2 percentage points at 95 %, p99 duration within 5 %.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema, type AccountSpec } from '../../sim/account/schema.ts';
import { modelWeights } from '../../sim/production.ts';
import { ROOT } from '../support/config.ts';
import { ROLLED_BACK, record, repeat, run, VERIFIED } from '../support/simulation.ts';

const EXAMPLE = join(ROOT, 'examples', 'worker-analysis');
const INPUT = { service: 'jobs', imageTag: 'v1.4.2' };

function config(analysis = true): BatonConfig {
  const loaded = loadConfig(join(EXAMPLE, 'baton.config.json'));
  const [jobs] = loaded.services;
  if (!jobs?.analysis) throw new Error('examples/worker-analysis has no analysis');
  if (analysis) return loaded;
  const { analysis: _judged, ...unjudged } = jobs;
  return { ...loaded, services: [unjudged] };
}

/** The example's account, its metric noise seeded `seed`. */
function account(seed = 1): AccountSpec {
  return AccountSchema.parse({ ...JSON.parse(readFileSync(join(EXAMPLE, 'sim-account.json'), 'utf8')), seed });
}

type Result = Awaited<ReturnType<typeof run>>;
const greens = (result: Result) =>
  ((record(result)?.weightChanges ?? []) as Array<{ at: string; green: number }>).map(({ at, green }) => [at, green]);
const weights = (result: Result) => modelWeights(result.model, config().services[0] as BatonConfig['services'][0]);
/** Shift traffic on a worker: the canary's write and its wait for the raised task, then the rest. */
const CANARY = ['Shift traffic', 'Is traffic fully shifted?'];
const WORKER_ROLLED_BACK = [...repeat(['Roll back', 'Is rollback done?', 'Wait for old colour'], 2), ...ROLLED_BACK];

describe("a worker's new colour judged against the old by its own metrics", () => {
  it('promotes a new colour as good as the old one, and records the verdict with its numbers', async () => {
    // Act
    const result = await run({ config: config(), account: account(), input: INPUT });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(greens(result)).toEqual([
      ['2026-11-23T09:00:40.225Z', 25],
      ['2026-11-23T09:21:05.225Z', 100],
    ]);
    expect(record(result)?.analyses).toEqual([
      {
        step: 1,
        weight: 25,
        at: '2026-11-23T09:20:40.225Z',
        verdict: 'not-worse',
        newRequests: 28466,
        oldRequests: 85295,
        errorRate: {
          newRate: 0.004637110939366262,
          oldRate: 0.005182015358461809,
          margin: 0.002,
          z: -5.394170817866207,
          pValue: 0.9999999655796473,
        },
        latency: { percentile: 'p99', marginPercent: 5, u: 104, pValue: 0.9883350980959434, newMinutes: 19, oldMinutes: 19 },
        words:
          'the new colour is not worse than the old: JobsFailed rate 0.46 % new (132/28466) against 0.52 % old (442/85295), margin 0.20 %: z -5.39, p 1.0000; p99 latency over 19 and 19 minutes, margin 5 %: U 104, p 0.9883',
      },
    ]);
  });

  it('rolls back a new colour failing 1.5 % of its units against 0.5 % at the canary, naming the rates, the counts, z and p', async () => {
    // Act
    const result = await run({ config: config(), account: account(), input: INPUT, faults: ['green-error-rate-1.5pct'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.executionPath).toEqual([...VERIFIED, ...CANARY, 'Shift traffic', 'Shift traffic failed', ...WORKER_ROLLED_BACK]);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(record(result)?.outcomeReason).toMatch(/^GateFailedError: gate failed .* JobsFailed rate/);
    expect(record(result)?.outcomeReason).toBe(
      'GateFailedError: gate failed while holding green at 25 %: the new colour is worse than the old (its JobsFailed rate, at 95 % confidence over 101 looks): JobsFailed rate 1.51 % new (67/4430) against 0.55 % old (74/13507), margin 0.20 %: z 3.94, p 4.1e-5; p99 latency over 3 and 3 minutes, margin 5 %: U 5, p 0.5000',
    );
    expect(greens(result)).toEqual([
      ['2026-11-23T09:00:40.225Z', 25],
      ['2026-11-23T09:04:40.335Z', 0],
    ]);
  });

  it('rolls back a new colour 20 % slower at p99 (5 % allowed), by the rank test of its minutes', async () => {
    // Act
    const result = await run({ config: config(), account: account(), input: INPUT, faults: ['new-colour-latency-20pct'] });

    // Assert
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(record(result)?.outcomeReason).toBe(
      'GateFailedError: gate failed while holding green at 25 %: the new colour is worse than the old (its latency, at 95 % confidence over 101 looks): JobsFailed rate 0.49 % new (51/10425) against 0.56 % old (176/31497), margin 0.20 %: z -3.36, p 0.9996; p99 latency over 7 and 7 minutes, margin 5 %: U 49, p 0.0003',
    );
    expect(greens(result)).toEqual([
      ['2026-11-23T09:00:40.225Z', 25],
      ['2026-11-23T09:08:40.335Z', 0],
    ]);
  });

  it('promotes the same regression when the worker has no analysis: nothing else sees it', async () => {
    // Act
    const result = await run({ config: config(false), account: account(), input: INPUT, faults: ['green-error-rate-1.5pct'] });

    // Assert
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(record(result)?.analyses).toBeUndefined();
  });
});

describe('over seeded runs', () => {
  it('rolls back 1.5 % against 0.5 % in every one of 5 seeds, and promotes equal colours in every one', { timeout: 120_000 }, async () => {
    // Act
    const outcomes = { regression: [] as unknown[], equal: [] as unknown[] };
    for (const seed of [2, 3, 4, 5, 6]) {
      const faults = ['green-error-rate-1.5pct'];
      outcomes.regression.push(record(await run({ config: config(), account: account(seed), input: INPUT, faults }))?.status);
      outcomes.equal.push(record(await run({ config: config(), account: account(seed), input: INPUT }))?.status);
    }

    // Assert
    expect(outcomes).toEqual({ regression: Array(5).fill('ROLLED_BACK'), equal: Array(5).fill('SUCCEEDED') });
  });
});
