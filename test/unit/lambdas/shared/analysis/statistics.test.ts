/**
 * Reference values come from outside the module: mpmath 1.3 at 40 significant digits (ncdf, erfinv),
 * scipy 1.17 stats.mannwhitneyu, sums worked by hand in the comments, and full enumerations of the
 * arrangements done here, independently of the module's dynamic programme.
 */
import { describe, expect, it } from 'vitest';
import {
  AnalysisInputError,
  errorRateTest,
  latencyTest,
  normalCdf,
  normalQuantile,
} from '../../../../../lambdas/shared/analysis/statistics.ts';

/** Mulberry32: a small seeded generator, so the property checks are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A latency-like sample: 100 ms plus an exponential tail with a 20 ms mean, rounded to whole ms (so ties occur). */
function latencies(random: () => number, size: number, factor = 1): number[] {
  return Array.from({ length: size }, () => Math.round(factor * (100 - 20 * Math.log(1 - random()))));
}

/** Pair count of the definition: pairs with the new value above the old, ties ½. */
function pairCount(newer: readonly number[], older: readonly number[]): number {
  let u = 0;
  for (const x of newer) for (const y of older) u += x > y ? 1 : x === y ? 0.5 : 0;
  return u;
}

/** Every way of choosing `size` of `items` positions. */
function* subsets(items: number, size: number, from = 0): Generator<number[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let first = from; first <= items - size; first++) for (const rest of subsets(items, size - 1, first + 1)) yield [first, ...rest];
}

/** P(U ≥ observed U) over every relabelling of the pooled values into samples of the original sizes. */
function enumeratedPValue(newer: readonly number[], older: readonly number[]): number {
  const pooled = [...newer, ...older];
  const observed = pairCount(newer, older);
  let total = 0;
  let atLeast = 0;
  for (const chosen of subsets(pooled.length, newer.length)) {
    const inNew = new Set(chosen);
    const u = pairCount(
      chosen.map((i) => pooled[i] ?? Number.NaN),
      pooled.filter((_, i) => !inNew.has(i)),
    );
    total++;
    if (u >= observed) atLeast++;
  }
  return atLeast / total;
}

function inputError(run: () => unknown): AnalysisInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof AnalysisInputError) return error;
    throw error;
  }
  throw new Error('expected an AnalysisInputError');
}

describe('normalCdf', () => {
  it('matches mpmath to 1e-15 absolute over the body of the distribution', () => {
    const references: [number, number][] = [
      [-3, 0.0013498980316300946],
      [-1, 0.15865525393145705],
      [0, 0.5],
      [1, 0.8413447460685429],
      [1.96, 0.9750021048517795],
      [3, 0.9986501019683699],
      [4.9999999, 0.9999997133482794],
      [5, 0.9999997133484281],
      [8, 0.9999999999999993],
    ];
    for (const [x, phi] of references) expect(Math.abs(normalCdf(x) - phi), `Φ(${x})`).toBeLessThan(1e-15);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 15);
  });

  it('keeps far lower tails relatively accurate (the continued fraction side, |x| ≥ 3)', () => {
    const references: [number, number][] = [
      [-3, 0.0013498980316300946],
      [-5.0000001, 2.866514232072792e-7],
      [-8, 6.220960574271784e-16],
      [-30, 4.906713927148187e-198],
    ];
    for (const [x, phi] of references) expect(Math.abs(normalCdf(x) / phi - 1), `Φ(${x})`).toBeLessThan(1e-13);
    // Just inside the series side, a difference from ½: 1e-16 absolute, so 1e-13 relative.
    expect(Math.abs(normalCdf(-2.9999999) / 0.0013498984748150015 - 1)).toBeLessThan(1e-13);
  });

  it('is symmetric, increasing and bounded, with the limits at ±∞', () => {
    let previous = 0;
    for (let x = -10; x <= 10; x += 0.01) {
      const phi = normalCdf(x);
      expect(phi + normalCdf(-x)).toBeCloseTo(1, 15);
      expect(phi).toBeGreaterThanOrEqual(previous);
      expect(phi).toBeLessThanOrEqual(1);
      previous = phi;
    }
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });
});

describe('normalQuantile', () => {
  it('matches mpmath (√2·erfinv(2p − 1)) to 1e-12', () => {
    const references: [number, number][] = [
      [1e-300, -37.0470962993612],
      [1e-10, -6.361340902404057],
      [0.001, -3.0902323061678136],
      [0.02425, -1.972961051311885],
      [0.3, -0.5244005127080408],
      [0.5, 0],
      [0.95, 1.6448536269514722],
      [0.975, 1.9599639845400538],
    ];
    for (const [p, x] of references) expect(Math.abs(normalQuantile(p) - x), `Φ⁻¹(${p})`).toBeLessThan(1e-12);
    expect(Math.abs(normalQuantile(0.95) - 1.6448536269514722)).toBeLessThan(1e-9);
  });

  it('inverts normalCdf across all three regions of the approximation', () => {
    for (const p of [1e-12, 1e-6, 0.01, 0.0242, 0.0243, 0.1, 0.5, 0.9, 0.9757, 0.99, 1 - 1e-6]) {
      expect(Math.abs(normalCdf(normalQuantile(p)) / p - 1), `p ${p}`).toBeLessThan(1e-12);
    }
    for (let p = 0.001; p < 1; p += 0.001) expect(normalQuantile(p) + normalQuantile(1 - p)).toBeCloseTo(0, 9);
  });

  it('stays finite and ordered down to the smallest double (where the refinement step would overflow)', () => {
    const quantiles = [Number.MIN_VALUE, 1e-320, 1e-310, 1e-300].map(normalQuantile);
    for (const x of quantiles) expect(Number.isFinite(x)).toBe(true);
    expect(quantiles).toEqual([...quantiles].sort((a, b) => a - b));
    // mpmath: √2·erfinv(2p − 1) at p = 5e-324 (2⁻¹⁰⁷⁴) is −38.467405617144346; Acklam alone is within 1e-7 (2e-9 relative).
    expect(Math.abs(normalQuantile(Number.MIN_VALUE) + 38.467405617144344)).toBeLessThan(1e-7);
  });

  it('refuses p outside (0, 1)', () => {
    for (const p of [0, 1, -0.1, 1.5, Number.NaN])
      expect(inputError(() => normalQuantile(p)).message).toMatch(/^p: must be strictly between 0 and 1/);
  });
});

describe('errorRateTest', () => {
  const base = { newRequests: 1000, newErrors: 30, oldRequests: 2000, oldErrors: 20, margin: 0.005, confidence: 0.95 };

  it('works the two-proportion example by hand', () => {
    // p̂ₙ = 30/1000 = 0.03, p̂ₒ = 20/2000 = 0.01; p̂ₙ − p̂ₒ − margin = 0.015.
    // SE² = 0.03·0.97/1000 + 0.01·0.99/2000 = 2.91e-5 + 4.95e-6 = 3.405e-5; z = 0.015/√3.405e-5.
    const result = errorRateTest(base);
    expect(result.newRate).toBe(0.03);
    expect(result.oldRate).toBe(0.01);
    expect(Math.abs(result.z - 0.015 / Math.sqrt(3.405e-5))).toBeLessThan(1e-9);
    expect(Math.abs(result.z - 2.5705893323163274)).toBeLessThan(1e-9);
    expect(Math.abs(result.pValue - 0.005076281930489951)).toBeLessThan(1e-12);
    expect(result.worse).toBe(true);
    expect(errorRateTest({ ...base, confidence: 0.99 }).worse).toBe(true);
    expect(errorRateTest({ ...base, confidence: 0.999 }).worse).toBe(false);
  });

  it('judges against the margin: a difference exactly at the margin gives z 0 and p ½', () => {
    const atMargin = errorRateTest({ ...base, margin: 0.02 });
    expect(atMargin.z).toBeCloseTo(0, 12);
    expect(atMargin.pValue).toBeCloseTo(0.5, 12);
    expect(atMargin.worse).toBe(false);
  });

  it('does not call a better new colour worse', () => {
    const better = errorRateTest({ ...base, newErrors: 2 });
    expect(better.z).toBeLessThan(0);
    expect(better.pValue).toBeGreaterThan(0.5);
    expect(better.worse).toBe(false);
  });

  it('gives z 0, p ½ and not worse when both rates are 0 (or both 1), whatever the margin', () => {
    for (const margin of [0, 0.005]) {
      expect(errorRateTest({ ...base, newErrors: 0, oldErrors: 0, margin })).toEqual({
        newRate: 0,
        oldRate: 0,
        z: 0,
        pValue: 0.5,
        worse: false,
      });
    }
    expect(errorRateTest({ ...base, newErrors: 1000, oldErrors: 2000, margin: 0 })).toMatchObject({ z: 0, pValue: 0.5, worse: false });
  });

  it('calls every request failing against none failing worse, though the standard error is 0', () => {
    expect(errorRateTest({ ...base, newErrors: 1000, oldErrors: 0 })).toMatchObject({
      z: Number.POSITIVE_INFINITY,
      pValue: 0,
      worse: true,
    });
  });

  it('refuses counts that are not whole numbers in range, naming the field', () => {
    const cases: [Partial<typeof base>, RegExp][] = [
      [{ newRequests: 0 }, /^newRequests: must be a whole number above 0/],
      [{ oldRequests: 0 }, /^oldRequests: must be a whole number above 0/],
      [{ newRequests: 10.5 }, /^newRequests: must be a whole number above 0/],
      [{ newErrors: -1 }, /^newErrors: must be a whole number of 0 or more/],
      [{ oldErrors: Number.NaN }, /^oldErrors: must be a whole number of 0 or more/],
      [{ newErrors: 1001 }, /^newErrors: must not exceed newRequests/],
      [{ oldErrors: 2001 }, /^oldErrors: must not exceed oldRequests/],
      [{ margin: -0.001 }, /^margin: /],
      [{ margin: 1 }, /^margin: /],
      [{ margin: Number.NaN }, /^margin: /],
    ];
    for (const [change, message] of cases) expect(inputError(() => errorRateTest({ ...base, ...change })).message).toMatch(message);
  });

  it('refuses a confidence outside (0.5, 1)', () => {
    for (const confidence of [0.5, 1, 0.4, 95, Number.NaN]) {
      expect(inputError(() => errorRateTest({ ...base, confidence })).message).toMatch(/^confidence: must be strictly between 0.5 and 1/);
    }
    expect(errorRateTest({ ...base, confidence: 0.5000001 }).worse).toBe(true);
  });
});

describe('AnalysisInputError', () => {
  it('is a named Error that carries a cause', () => {
    const cause = new Error('underlying');
    const error = new AnalysisInputError('newer: must hold at least one value', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AnalysisInputError');
    expect(error.cause).toBe(cause);
  });
});

describe('latencyTest', () => {
  const settings = { marginPercent: 0, confidence: 0.95 };

  it('gives U and the exact p of the worked example, checked against all C(10, 5) = 252 arrangements', () => {
    const newer = [5, 6, 7, 8, 9];
    const older = [1, 2, 3, 4, 10];
    // Each new value is above 1, 2, 3, 4 and below 10: U = 5·4 = 20. Under H0, U is the number of
    // (new, old) inversions, and #{U = k} is the number of partitions of k into at most 5 parts of at
    // most 5; by symmetry #{U ≥ 20} = #{U ≤ 5} = 1 + 1 + 2 + 3 + 5 + 7 = 19, so p = 19/252.
    const result = latencyTest({ newer, older, ...settings });
    expect(result.u).toBe(20);
    expect(result.pValue).toBeCloseTo(19 / 252, 14);
    expect(enumeratedPValue(newer, older)).toBeCloseTo(19 / 252, 14);
    expect(result.worse).toBe(false);
    expect(latencyTest({ newer, older, marginPercent: 0, confidence: 0.9 }).worse).toBe(true);
  });

  it('matches the full enumeration when values are tied, for equal and unequal sizes', () => {
    const cases: [number[], number[]][] = [
      [
        [3, 3, 5, 7, 7, 9],
        [1, 3, 5, 5, 7, 8],
      ],
      [
        [4, 4, 6, 9],
        [1, 2, 4, 4, 5, 6, 6],
      ],
      [[7], [1, 7, 7, 2, 9]],
      [
        [2, 2, 2, 2, 3, 3, 3],
        [2, 3, 3, 4, 4],
      ],
    ];
    for (const [newer, older] of cases) {
      const result = latencyTest({ newer, older, ...settings });
      expect(result.u, `${newer} vs ${older}`).toBe(pairCount(newer, older));
      expect(result.pValue, `${newer} vs ${older}`).toBeCloseTo(enumeratedPValue(newer, older), 13);
    }
  });

  it('matches scipy’s exact p at the largest exact size (20 a side, no ties)', () => {
    const newer = [12.5, 14.1, 9.8, 11.0, 15.2, 13.3, 10.7, 16.4, 12.9, 14.8, 11.6, 13.9, 17.1, 10.2, 15.7, 12.2, 14.4, 16.9, 13.6, 11.9];
    const older = [10.1, 11.3, 9.4, 12.0, 10.9, 8.7, 13.1, 11.8, 9.9, 12.6, 10.4, 11.1, 9.1, 12.3, 10.6, 13.4, 8.9, 11.5, 10.0, 12.8];
    // scipy.stats.mannwhitneyu(newer, older, alternative='greater', method='exact')
    const result = latencyTest({ newer, older, ...settings });
    expect(result.u).toBe(325);
    expect(Math.abs(result.pValue / 0.00023601598298121 - 1)).toBeLessThan(1e-12);
  });

  it('uses the normal approximation with tie and continuity correction beyond 20 values (scipy’s asymptotic p)', () => {
    const newer = Array.from({ length: 25 }, (_, i) => 100 + ((i * 7) % 13));
    const older = Array.from({ length: 30 }, (_, i) => 98 + ((i * 5) % 11));
    // scipy.stats.mannwhitneyu(newer, older, alternative='greater', method='asymptotic', use_continuity=True)
    const result = latencyTest({ newer, older, ...settings });
    expect(result.u).toBe(534.5);
    expect(Math.abs(result.pValue - 0.0035159288713729744)).toBeLessThan(1e-14);
    expect(result.worse).toBe(true);
  });

  it('divides the new values by 1 + marginPercent/100 before comparing', () => {
    const older = [100, 200, 300, 400];
    const newer = older.map((value) => value * 1.25);
    const unscaled = latencyTest({ newer, older, ...settings });
    expect(unscaled.u).toBe(pairCount(newer, older));
    const withinMargin = latencyTest({ newer, older, marginPercent: 25, confidence: 0.95 });
    expect(withinMargin.u).toBe(8);
    expect(withinMargin.pValue).toBeGreaterThan(0.5);
    expect(withinMargin.pValue).toBeGreaterThan(unscaled.pValue);
  });

  it('gives U nm/2, p 1 and not worse when every value is tied, exact or approximate', () => {
    expect(latencyTest({ newer: [5, 5, 5], older: [5, 5, 5, 5], ...settings })).toEqual({ u: 6, pValue: 1, worse: false });
    expect(latencyTest({ newer: Array(25).fill(5), older: Array(30).fill(5), ...settings })).toEqual({ u: 375, pValue: 1, worse: false });
  });

  it('refuses empty samples and values that are not finite, naming the field', () => {
    expect(inputError(() => latencyTest({ newer: [], older: [1], ...settings })).message).toMatch(/^newer: must hold at least one value/);
    expect(inputError(() => latencyTest({ newer: [1], older: [], ...settings })).message).toMatch(/^older: must hold at least one value/);
    expect(inputError(() => latencyTest({ newer: [1, Number.NaN], older: [1], ...settings })).message).toMatch(
      /^newer\[1\]: must be a finite number/,
    );
    expect(inputError(() => latencyTest({ newer: [1], older: [Number.POSITIVE_INFINITY], ...settings })).message).toMatch(/^older\[0\]: /);
    expect(inputError(() => latencyTest({ newer: [1], older: [1], marginPercent: -5, confidence: 0.95 })).message).toMatch(
      /^marginPercent: /,
    );
    for (const confidence of [0.5, 1, 0.2]) {
      expect(inputError(() => latencyTest({ newer: [1], older: [1], marginPercent: 0, confidence })).message).toMatch(/^confidence: /);
    }
  });

  describe('properties (seeded)', () => {
    const sizes = [1, 3, 8, 20, 21, 60];

    it('gives p ≥ ½ when both colours have the same values', () => {
      const random = seeded(19);
      for (const size of sizes) {
        const sample = latencies(random, size);
        const result = latencyTest({ newer: sample, older: [...sample].reverse(), ...settings });
        expect(result.u).toBe((size * size) / 2);
        expect(result.pValue, `size ${size}`).toBeGreaterThanOrEqual(0.5);
        expect(result.worse).toBe(false);
      }
    });

    it('finds clearly slower new values worse (p < 0.01), and not the other way round', () => {
      const random = seeded(7);
      for (const size of [10, 20, 60]) {
        const older = latencies(random, size);
        const newer = latencies(random, size, 2);
        const result = latencyTest({ newer, older, marginPercent: 10, confidence: 0.99 });
        expect(result.pValue, `size ${size}`).toBeLessThan(0.01);
        expect(result.worse).toBe(true);
        expect(latencyTest({ newer: older, older: newer, marginPercent: 10, confidence: 0.99 }).worse).toBe(false);
      }
    });

    it('U of one order and of the other add up to nm', () => {
      const random = seeded(3);
      for (const [n, m] of [
        [4, 9],
        [20, 20],
        [23, 31],
      ] as const) {
        const a = latencies(random, n);
        const b = latencies(random, m);
        expect(latencyTest({ newer: a, older: b, ...settings }).u + latencyTest({ newer: b, older: a, ...settings }).u).toBe(n * m);
      }
    });

    it('rarely calls a colour worse when both draw from the same distribution (false alarms near 1 − confidence)', () => {
      const random = seeded(2026);
      for (const size of [12, 40]) {
        let alarms = 0;
        const trials = 300;
        for (let trial = 0; trial < trials; trial++) {
          if (latencyTest({ newer: latencies(random, size), older: latencies(random, size), ...settings }).worse) alarms++;
        }
        expect(alarms / trials, `size ${size}`).toBeLessThan(0.08);
      }
    });
  });
});
