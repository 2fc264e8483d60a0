/**
 * The simulated load balancer metrics: a target group's requests follow its
 * share of the listener's weights over each minute (the weights' history),
 * the noise is a pure function of (seed, target group, metric, minute), and
 * a fault's degradation bends only the new colour's target group.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema } from '../../../../sim/account/schema.ts';
import { minuteMetrics, percentileOf } from '../../../../sim/account/traffic-metrics.ts';
import { runContext } from '../../../../sim/fault-context.ts';
import { FAULTS } from '../../../../sim/faults/index.ts';
import { exampleConfig, ROOT } from '../../../support/config.ts';
import { BLUE, GREEN, LB, LISTENER, MINUTE, T0 } from '../../../support/traffic.ts';

function model(seed?: number): AccountModel {
  const raw = JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')) as Record<string, unknown>;
  return new AccountModel(AccountSchema.parse(seed === undefined ? raw : { ...raw, seed }), T0);
}

/** The production listener at 90/10 from two minutes in (a canary's first step). */
function canary(m: AccountModel): AccountModel {
  const listener = m.listeners[LISTENER];
  if (listener) m.traffic.setForward(LISTENER, listener, { [BLUE]: 90, [GREEN]: 10 }, T0 + 2 * MINUTE);
  return m;
}

/** Requests and 5xx of a target group over minutes [from, to) from T0. */
function totals(m: AccountModel, targetGroup: string, from: number, to: number): { requests: number; errors: number } {
  let requests = 0;
  let errors = 0;
  for (let minute = from; minute < to; minute++) {
    const metrics = minuteMetrics(m, targetGroup, LB, T0 + minute * MINUTE);
    requests += metrics.requests;
    errors += metrics.errors;
  }
  return { requests, errors };
}

function applyFault(m: AccountModel, name: string): void {
  const controls = { interceptors: [], denyAction() {}, hangInvocation() {}, stopAt() {}, loseMainStatusEvent() {} };
  FAULTS[name]?.apply(runContext(m, exampleConfig(), { service: 'web', imageTag: 'v1.4.2' }, controls));
}

describe('the weights timeline', () => {
  it('knows a target group’s share at any past moment, averaged over the period', () => {
    // Arrange
    const m = model();
    const listener = m.listeners[LISTENER];
    if (!listener) throw new Error('no production listener');

    // Act
    m.traffic.setForward(LISTENER, listener, { [BLUE]: 90, [GREEN]: 10 }, T0 + 2 * MINUTE + 30_000);
    m.traffic.setForward(LISTENER, listener, { [BLUE]: 0, [GREEN]: 100 }, T0 + 5 * MINUTE);
    const share = (from: number, to: number) => m.traffic.shareOver(LISTENER, listener.forward, GREEN, T0 + from, T0 + to);

    // Assert
    expect(share(-60 * MINUTE, 0)).toBe(0);
    expect(share(2 * MINUTE, 3 * MINUTE)).toBeCloseTo(0.05, 12);
    expect(share(3 * MINUTE, 4 * MINUTE)).toBeCloseTo(0.1, 12);
    expect(share(4 * MINUTE + 30_000, 5 * MINUTE + 30_000)).toBeCloseTo(0.55, 12);
    expect(share(9 * MINUTE, 10 * MINUTE)).toBe(1);
    expect(listener.forward).toEqual({ [BLUE]: 0, [GREEN]: 100 });
  });

  it('takes weights set before the first change (a fault bending the account) as the initial ones', () => {
    // Arrange
    const m = model();
    const listener = m.listeners[LISTENER];
    if (!listener) throw new Error('no production listener');
    listener.forward = { [BLUE]: 80, [GREEN]: 20 };

    // Act
    m.traffic.setForward(LISTENER, listener, { [BLUE]: 100, [GREEN]: 0 }, T0 + MINUTE);

    // Assert
    expect(m.traffic.shareOver(LISTENER, listener.forward, GREEN, T0, T0 + MINUTE)).toBeCloseTo(0.2, 12);
    expect(m.traffic.shareOver(LISTENER, listener.forward, GREEN, T0 + MINUTE, T0 + 2 * MINUTE)).toBe(0);
  });
});

describe('per-minute metrics', () => {
  it('follow the weights: at 10 % the new colour gets about 10 % of the requests, none before', () => {
    // Arrange
    const m = canary(model());

    // Act
    const before = minuteMetrics(m, GREEN, LB, T0 + MINUTE);
    const blue = totals(m, BLUE, 2, 62);
    const green = totals(m, GREEN, 2, 62);

    // Assert: 20 requests/s (the default) on the production listener; the test listener carries none.
    expect(before).toMatchObject({ requests: 0, errors: 0 });
    expect(before.latencySeconds('p99')).toBeUndefined();
    expect(blue).toEqual({ requests: 64_710, errors: 321 });
    expect(green).toEqual({ requests: 7163, errors: 33 });
  });

  it('are the same whatever was asked before, in any order, and change with the seed', () => {
    // Arrange
    const minutes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const row = (m: AccountModel, minute: number) => {
      const metrics = minuteMetrics(m, GREEN, LB, T0 + minute * MINUTE);
      return [metrics.requests, metrics.errors, metrics.latencySeconds('p99')];
    };

    // Act
    const ascending = minutes.map((minute) => row(canary(model()), minute));
    const other = canary(model());
    const descending = [...minutes]
      .reverse()
      .map((minute) => row(other, minute))
      .reverse();
    const reseeded = minutes.map((minute) => row(canary(model(2)), minute));

    // Assert
    expect(descending).toEqual(ascending);
    expect(ascending[3]).toEqual([131, 0, 0.25690690401445054]);
    expect(reseeded).not.toEqual(ascending);
  });

  it('give response times in seconds around the configured percentiles (80 ms median, 250 ms p99)', () => {
    // Arrange
    const m = canary(model());

    // Act
    const minute = minuteMetrics(m, GREEN, LB, T0 + 3 * MINUTE);

    // Assert: one noise per minute, shared by its statistics.
    expect(minute.latencySeconds('p50')).toBeCloseTo(0.08221020928462416, 12);
    expect(minute.latencySeconds('p99')).toBeCloseTo(0.25690690401445054, 12);
    expect((minute.latencySeconds('p99') ?? 0) / (minute.latencySeconds('p50') ?? 1)).toBeCloseTo(250 / 80, 6);
    expect(minute.latencySeconds('Average')).toBeCloseTo(0.09268709207134898, 12);
    expect(minute.latencySeconds('Maximum')).toBeUndefined();
    expect([percentileOf('p99.9'), percentileOf('p0'), percentileOf('p100'), percentileOf('tm99')]).toEqual([
      0.999,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('the account file', () => {
  it('sets a listener’s traffic and the seed, and keeps both when the account is saved', () => {
    // Arrange
    const raw = JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')) as {
      elb: { listeners: Record<string, Record<string, unknown>> };
    };
    const production = raw.elb.listeners[LISTENER] ?? {};
    production.traffic = { requestsPerSecond: 100, errorRate: 0.02, latencyMs: { p50: 100, p99: 400 } };
    const m = new AccountModel(AccountSchema.parse({ ...raw, seed: 7 }), T0);

    // Act
    const blue = totals(m, BLUE, 0, 60);
    const minute = minuteMetrics(m, BLUE, LB, T0);

    // Assert
    expect(blue.requests / 360_000).toBeCloseTo(1, 2);
    expect(blue.errors / blue.requests).toBeCloseTo(0.02, 2);
    expect((minute.latencySeconds('p99') ?? 0) / (minute.latencySeconds('p50') ?? 1)).toBeCloseTo(4, 6);
    expect(AccountSchema.parse(m.toSpec())).toMatchObject({ seed: 7, elb: { listeners: { [LISTENER]: { traffic: production.traffic } } } });
  });

  it('refuses a p99 below the median', () => {
    const listener = { forward: {}, traffic: { latencyMs: { p50: 300, p99: 250 } } };
    const parsed = AccountSchema.shape.elb.shape.listeners.safeParse({ [LISTENER]: listener });
    expect(parsed.error?.issues.map((issue) => issue.message)).toEqual(['latencyMs.p99 cannot be less than latencyMs.p50']);
  });
});

describe('faults that degrade the new colour', () => {
  it('green-error-rate-1.5pct: the new colour errs at 1.5 %, the old one stays at 0.5 %', () => {
    // Arrange
    const m = canary(model());

    // Act
    applyFault(m, 'green-error-rate-1.5pct');

    // Assert: the same requests as without the fault (its noise is its own), three times the errors.
    expect(totals(m, GREEN, 2, 62)).toEqual({ requests: 7163, errors: 97 });
    expect(totals(m, BLUE, 2, 62)).toEqual({ requests: 64_710, errors: 321 });
  });

  it('new-colour-latency-20pct: the new colour’s response times are 20 % higher, the old one’s unchanged', () => {
    // Arrange
    const plain = canary(model());
    const degraded = canary(model());

    // Act
    applyFault(degraded, 'new-colour-latency-20pct');

    // Assert
    for (const stat of ['p50', 'p99', 'Average']) {
      const at = T0 + 3 * MINUTE;
      expect(minuteMetrics(degraded, GREEN, LB, at).latencySeconds(stat)).toBeCloseTo(
        1.2 * (minuteMetrics(plain, GREEN, LB, at).latencySeconds(stat) ?? 0),
        12,
      );
      expect(minuteMetrics(degraded, BLUE, LB, at).latencySeconds(stat)).toBe(minuteMetrics(plain, BLUE, LB, at).latencySeconds(stat));
    }
  });

  it('bends nothing before the fault’s moment', () => {
    // Arrange
    const m = canary(model());

    // Act
    m.traffic.degrade(GREEN, { errorRate: 1, since: T0 + 4 * MINUTE });

    // Assert
    expect(totals(m, GREEN, 2, 4).errors).toBe(2);
    expect(minuteMetrics(m, GREEN, LB, T0 + 4 * MINUTE).errors).toBe(115);
  });
});
