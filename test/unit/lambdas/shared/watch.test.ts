/**
 * A watch inside one invocation (lambdas/shared/watch.ts): the gates checked
 * at once and every interval until `until`, the signal read every second in
 * between, a failure thrown in the phase's words; 'out-of-time' when the
 * invocation's time (less 30 s, at most 840 s) runs out first, 'promoted' when
 * an operator's promotion is read. The sleeps move the fake
 * clock (test/support/sleep.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { invocationDeadline, type Watch, watchUntil } from '../../../../lambdas/shared/watch.ts';
import { failure } from '../../../support/aws.ts';
import { isoAfter, NOW } from '../../../support/state.ts';

vi.mock('../../../../lambdas/shared/time.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../../lambdas/shared/time.ts')>()),
  sleep: (await import('../../../support/sleep.ts')).sleepOnFakeClock,
}));

class WatchFailedError extends Error {
  override readonly name = 'WatchFailedError';
}

/** Seconds since NOW on the fake clock. */
const elapsed = () => (Date.now() - Date.parse(NOW)) / 1000;

/** A watch whose gates and signal are what the test says at each moment; it records when it looked at each. */
function watchOf(fields: {
  until: number;
  intervalSeconds: number;
  remainingSeconds: number;
  check?: () => string[];
  signals?: () => string[];
  promoted?: () => boolean;
}) {
  const checks: number[] = [];
  const reads: number[] = [];
  const watch: Watch = {
    until: isoAfter(NOW, fields.until),
    intervalSeconds: fields.intervalSeconds,
    check: async () => {
      checks.push(elapsed());
      return fields.check?.() ?? [];
    },
    signals: async () => {
      reads.push(elapsed());
      return { failures: fields.signals?.() ?? [], promoted: fields.promoted?.() ?? false };
    },
    fail: (failures) => new WatchFailedError(`gate failed while watching: ${failures.join('; ')}`),
    remainingMillis: () => fields.remainingSeconds * 1000,
  };
  return { watch, checks, reads };
}

describe('watchUntil', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("checks at the start and every interval, once more at `until`, reading the signal every second, and ends 'over'", async () => {
    // Arrange
    const { watch, checks, reads } = watchOf({ until: 100, intervalSeconds: 30, remainingSeconds: 900 });

    // Act
    const over = await watchUntil(watch);

    // Assert
    expect(over).toBe('over');
    expect(checks).toEqual([0, 30, 60, 90, 100]);
    expect(reads).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));
    expect(elapsed()).toBe(100);
  });

  it('ends within a second of a signal, with the error of the phase, checking no more', async () => {
    // Arrange: the event is recorded at 42.3 s
    const { watch, checks } = watchOf({
      until: 600,
      intervalSeconds: 30,
      remainingSeconds: 900,
      signals: () => (elapsed() >= 42.3 ? ['alarm web-5xx-rate entered ALARM (CloudWatch event)'] : []),
    });

    // Act
    const error = await failure(watchUntil(watch));

    // Assert
    expect(error).toBeInstanceOf(WatchFailedError);
    expect(error.message).toBe('gate failed while watching: alarm web-5xx-rate entered ALARM (CloudWatch event)');
    expect(elapsed()).toBe(43);
    expect(checks).toEqual([0, 30]);
  });

  it('fails with the error of the phase at the first check that fails, listing every failure', async () => {
    // Arrange: the gates fail from 60 s on
    const { watch, checks } = watchOf({
      until: 600,
      intervalSeconds: 30,
      remainingSeconds: 900,
      check: () => (elapsed() >= 60 ? ['alarm web-5xx-rate is ALARM', 'target group has 2/3 healthy targets'] : []),
    });

    // Act
    const error = await failure(watchUntil(watch));

    // Assert
    expect(error).toBeInstanceOf(WatchFailedError);
    expect(error.message).toBe('gate failed while watching: alarm web-5xx-rate is ALARM; target group has 2/3 healthy targets');
    expect(checks).toEqual([0, 30, 60]);
    expect(elapsed()).toBe(60);
  });

  it("returns false when the invocation's time, less 30 s, runs out before `until`", async () => {
    // Arrange: 100 s left: the watch stops at 70 s
    const { watch, checks, reads } = watchOf({ until: 600, intervalSeconds: 30, remainingSeconds: 100 });

    // Act
    const over = await watchUntil(watch);

    // Assert
    expect(over).toBe('out-of-time');
    expect(checks).toEqual([0, 30, 60]);
    expect(reads).toHaveLength(70);
    expect(elapsed()).toBe(70);
  });

  it('watches at most 840 s in one invocation, however long it may run', async () => {
    // Arrange: 900 s left, less 30 s, is 870 s: capped at 840 s
    const { watch, checks } = watchOf({ until: 2000, intervalSeconds: 300, remainingSeconds: 900 });

    // Act
    const over = await watchUntil(watch);

    // Assert
    expect(over).toBe('out-of-time');
    expect(checks).toEqual([0, 300, 600]);
    expect(elapsed()).toBe(840);
  });

  it('checks once and returns false without waiting when called without a Lambda context (no time left)', async () => {
    // Arrange
    const { watch, checks, reads } = watchOf({ until: 600, intervalSeconds: 30, remainingSeconds: 0 });

    // Act
    const over = await watchUntil(watch);

    // Assert
    expect(over).toBe('out-of-time');
    expect(checks).toEqual([0]);
    expect(reads).toEqual([]);
    expect(elapsed()).toBe(0);
  });

  it('checks once and returns true when `until` has already passed', async () => {
    // Arrange
    const { watch, checks } = watchOf({ until: -5, intervalSeconds: 30, remainingSeconds: 0 });

    // Act
    const over = await watchUntil(watch);

    // Assert
    expect(over).toBe('over');
    expect(checks).toEqual([0]);
  });

  it("ends 'promoted' within a second of an operator's promotion, checking no more", async () => {
    // Arrange: `baton promote` is written at 42.3 s
    const { watch, checks, reads } = watchOf({
      until: 600,
      intervalSeconds: 30,
      remainingSeconds: 900,
      promoted: () => elapsed() >= 42.3,
    });

    // Act
    const end = await watchUntil(watch);

    // Assert: read at 43 s, the first read after it; the gates were checked at 0 and 30 s only
    expect(end).toBe('promoted');
    expect(elapsed()).toBe(43);
    expect(checks).toEqual([0, 30]);
    expect(reads.at(-1)).toBe(43);
  });

  it('fails on a failure read in the same second as a promotion: a failing gate is never promoted past', async () => {
    // Arrange
    const { watch } = watchOf({
      until: 600,
      intervalSeconds: 30,
      remainingSeconds: 900,
      promoted: () => elapsed() >= 10,
      signals: () => (elapsed() >= 10 ? ['alarm web-5xx entered ALARM'] : []),
    });

    // Act
    const error = await failure(watchUntil(watch));

    // Assert
    expect(error.message).toBe('gate failed while watching: alarm web-5xx entered ALARM');
  });
});

describe('invocationDeadline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    [900, 840],
    [300, 270],
    [60, 30],
    [0, -30],
  ])('with %i s left, stops waiting %i s from now', (remainingSeconds, seconds) => {
    expect(invocationDeadline(() => remainingSeconds * 1000)).toBe(Date.parse(NOW) + seconds * 1000);
  });
});
