/**
 * The statistics of the analysis gate: is the new colour worse than the old one
 * by more than a margin? Pure math, no dependencies, so it bundles into any
 * Lambda. Both tests are one-sided: only "worse" fails a deployment, "better"
 * is no reason to stop one.
 */
import { BatonError } from '../errors.ts';

/** An input the tests cannot judge: the message starts with the field it names. */
export class AnalysisInputError extends BatonError {}

const SQRT_2PI = Math.sqrt(2 * Math.PI);
/** Below this |x| the series of Φ is used, above it the continued fraction of the tail (both converge fast there). */
const SERIES_LIMIT = 3;
/** Terms of the tail's continued fraction: at |x| ≥ 3 it has converged to double precision by 80. */
const TAIL_TERMS = 100;

function density(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/**
 * Standard normal CDF Φ(x), to about 1e-15 absolute (and relative in the tails).
 *
 * |x| < 3: Φ(x) = ½ + φ(x)·Σₙ x^(2n+1) / (1·3·5···(2n+1)), Abramowitz & Stegun 26.2.11
 * (G. Marsaglia, "Evaluating the Normal Distribution", J. Stat. Software 11(4), 2004, shows it
 * reaches double precision).
 * |x| ≥ 3: the upper tail Q(t) = φ(t) / (t + 1/(t + 2/(t + 3/(t + …)))), t = |x|, Abramowitz & Stegun
 * 26.2.14 (Laplace's continued fraction), evaluated from the bottom; Φ(x) = Q(−x) for x < 0 and
 * 1 − Q(x) otherwise. The fraction keeps tiny tail probabilities relatively accurate, which the
 * series (a difference from ½) cannot.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (Math.abs(x) < SERIES_LIMIT) {
    const q = x * x;
    let term = x;
    let sum = x;
    for (let i = 3; ; i += 2) {
      term *= q / i;
      const next = sum + term;
      if (next === sum) break;
      sum = next;
    }
    return 0.5 + sum * density(x);
  }
  const t = Math.abs(x);
  let fraction = t;
  for (let k = TAIL_TERMS; k >= 1; k--) fraction = t + k / fraction;
  const tail = density(t) / fraction;
  return x < 0 ? tail : 1 - tail;
}

// P. J. Acklam, "An algorithm for computing the inverse normal cumulative distribution function" (2003,
// formerly at home.online.no/~pjacklam/notes/invnorm/, now only in web archives): rational approximations
// with relative error below 1.15e-9, in three regions split at p = 0.02425 and 1 − 0.02425.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** c₀xⁿ + c₁xⁿ⁻¹ + … + cₙ by Horner's rule. */
function horner(coefficients: readonly number[], x: number): number {
  return coefficients.reduce((acc, c) => acc * x + c, 0);
}

function acklam(p: number): number {
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return horner(C, q) / (horner(D, q) * q + 1);
  }
  if (p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -horner(C, q) / (horner(D, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (horner(A, r) * q) / (horner(B, r) * r + 1);
}

/**
 * Φ⁻¹(p) for 0 < p < 1, to about 1e-12 for p above 1e-308 (subnormal p: Acklam alone, 2e-9 relative).
 *
 * Acklam's rational approximation (above), then one Halley step against normalCdf, as Acklam
 * suggests: e = Φ(x) − p, u = e·√(2π)·e^(x²/2), x ← x − u / (1 + x·u/2). The step is cubically
 * convergent, so 1e-9 becomes the precision of Φ itself.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new AnalysisInputError(`p: must be strictly between 0 and 1 (got ${p})`);
  const x = acklam(p);
  // For p above ½ the upper tail is refined (1 − p is exact there, Φ(x) − p would lose digits near 1).
  const e = p > 0.5 ? 1 - p - normalCdf(-x) : normalCdf(x) - p;
  const u = e * SQRT_2PI * Math.exp(0.5 * x * x);
  const refined = x - u / (1 + (x * u) / 2);
  // Below p ≈ 1e-308 (subnormal) e^(x²/2) overflows: Acklam's value (2e-9 relative there) stands.
  return Number.isFinite(refined) ? refined : x;
}

/** P(Z ≥ z) for a standard normal Z. */
function upperTail(z: number): number {
  return normalCdf(-z);
}

function requireConfidence(confidence: number): void {
  if (!(confidence > 0.5 && confidence < 1)) {
    throw new AnalysisInputError(`confidence: must be strictly between 0.5 and 1 (got ${confidence})`);
  }
}

function requireCount(field: string, value: number, atLeast: 0 | 1): void {
  if (!Number.isSafeInteger(value) || value < atLeast) {
    throw new AnalysisInputError(`${field}: must be a whole number ${atLeast === 1 ? 'above 0' : 'of 0 or more'} (got ${value})`);
  }
}

export interface ProportionTest {
  /** Observed rates. */
  readonly newRate: number;
  readonly oldRate: number;
  /** Wald z of (newRate − oldRate − margin) with the unpooled standard error; 0 when the standard error is 0 and the difference is not above the margin. */
  readonly z: number;
  /** One-sided p-value P(Z ≥ z) of H0: p_new − p_old ≤ margin. */
  readonly pValue: number;
  /** True when H0 is rejected at `confidence` (pValue < 1 − confidence): the new colour's error rate is worse than the old one's by more than the margin. */
  readonly worse: boolean;
}

/**
 * Non-inferiority test of two error rates (counts): is the new colour's rate above the old one's plus
 * `margin` (absolute, e.g. 0.005 = half a percentage point)?
 *
 * Wald test of the difference of two proportions with the unpooled standard error (pooling assumes
 * p_new = p_old, which a margin excludes): z = (p̂ₙ − p̂ₒ − margin) / √(p̂ₙ(1 − p̂ₙ)/nₙ + p̂ₒ(1 − p̂ₒ)/nₒ),
 * p = P(Z ≥ z). NIST/SEMATECH e-Handbook of Statistical Methods, 7.3.3 ("How can we determine whether
 * two processes produce the same proportion of defectives?", which pools for H0 p₁ = p₂); S.-C. Chow, J. Shao, H. Wang, "Sample
 * Size Calculations in Clinical Research", ch. 4 (large-sample tests for proportions: non-inferiority).
 *
 * With a standard error of 0 (both rates 0 or 1) there is no variance to judge by: a difference at
 * or below the margin gives z 0 (p ½, not worse), one above it z +∞ (p 0, worse).
 */
export function errorRateTest(input: {
  newRequests: number;
  newErrors: number;
  oldRequests: number;
  oldErrors: number;
  margin: number;
  confidence: number;
}): ProportionTest {
  const { newRequests, newErrors, oldRequests, oldErrors, margin, confidence } = input;
  requireCount('newRequests', newRequests, 1);
  requireCount('newErrors', newErrors, 0);
  requireCount('oldRequests', oldRequests, 1);
  requireCount('oldErrors', oldErrors, 0);
  if (newErrors > newRequests) throw new AnalysisInputError(`newErrors: must not exceed newRequests (${newErrors} > ${newRequests})`);
  if (oldErrors > oldRequests) throw new AnalysisInputError(`oldErrors: must not exceed oldRequests (${oldErrors} > ${oldRequests})`);
  if (!(margin >= 0 && margin < 1)) throw new AnalysisInputError(`margin: must be at least 0 and below 1 (got ${margin})`);
  requireConfidence(confidence);

  const newRate = newErrors / newRequests;
  const oldRate = oldErrors / oldRequests;
  const difference = newRate - oldRate - margin;
  const standardError = Math.sqrt((newRate * (1 - newRate)) / newRequests + (oldRate * (1 - oldRate)) / oldRequests);
  const z = standardError > 0 ? difference / standardError : difference > 0 ? Number.POSITIVE_INFINITY : 0;
  const pValue = upperTail(z);
  return { newRate, oldRate, z, pValue, worse: pValue < 1 - confidence };
}

export interface RankTest {
  /** Mann–Whitney U of the new sample (scaled by 1/(1+marginPercent/100)) against the old one: the count of pairs where the scaled new value is above the old, ties counting ½. */
  readonly u: number;
  /**
   * One-sided p-value P(U ≥ u) of H0: the scaled new values are not stochastically larger than the old ones.
   * Both samples at most 20 values: exact, from the permutation distribution of the mid-rank sum (ties
   * included). Otherwise: normal approximation with tie and continuity correction.
   */
  readonly pValue: number;
  readonly worse: boolean;
}

/** Largest sample size (each side) for which the exact permutation distribution is computed. */
export const EXACT_LIMIT = 20;

function requireSample(field: string, sample: readonly number[]): void {
  if (sample.length === 0) throw new AnalysisInputError(`${field}: must hold at least one value`);
  const bad = sample.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) throw new AnalysisInputError(`${field}[${bad}]: must be a finite number (got ${sample[bad]})`);
}

interface Ranked {
  /** Twice the mid-rank of each value (an integer: a tie group over ranks i..j has mid-rank (i + j)/2), new values first. */
  readonly doubledRanks: number[];
  /** Sizes of the groups of tied values. */
  readonly tieSizes: number[];
}

/** Mid-ranks of the pooled sample, new values first: tied values share the mean of the ranks they span. */
function rank(newer: readonly number[], older: readonly number[]): Ranked {
  const pooled = [...newer, ...older];
  const order = pooled.map((_, index) => index).sort((a, b) => (pooled[a] ?? 0) - (pooled[b] ?? 0));
  const doubledRanks = new Array<number>(pooled.length).fill(0);
  const tieSizes: number[] = [];
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && pooled[order[end + 1] ?? 0] === pooled[order[start] ?? 0]) end++;
    // Positions start..end hold ranks start+1..end+1: twice their mean is start + end + 2.
    for (let k = start; k <= end; k++) doubledRanks[order[k] ?? 0] = start + end + 2;
    tieSizes.push(end - start + 1);
    start = end + 1;
  }
  return { doubledRanks, tieSizes };
}

/**
 * P(S ≥ observed) where S is the sum of `n` values drawn without replacement from `scores` (integers ≥ 0),
 * every one of the C(N, n) subsets equally likely: the permutation distribution of the rank sum under H0.
 * counts[k][s] = number of k-subsets of the scores seen so far summing to s, built one score at a time
 * (k descending so each score is used once). Counts stay below C(40, 20) ≈ 1.4e11 < 2⁵³: exact in doubles.
 */
function exactUpperTail(scores: readonly number[], n: number, observed: number): number {
  const maxSum = scores.reduce((a, b) => a + b, 0);
  const counts = Array.from({ length: n + 1 }, () => new Float64Array(maxSum + 1));
  (counts[0] as Float64Array)[0] = 1;
  let seen = 0;
  for (const score of scores) {
    seen += score;
    for (let k = n; k >= 1; k--) {
      const into = counts[k] as Float64Array;
      const from = counts[k - 1] as Float64Array;
      for (let s = seen; s >= score; s--) into[s] = (into[s] ?? 0) + (from[s - score] ?? 0);
    }
  }
  const last = counts[n] as Float64Array;
  let total = 0;
  let atLeast = 0;
  for (let s = 0; s <= maxSum; s++) {
    const count = last[s] ?? 0;
    total += count;
    if (s >= observed) atLeast += count;
  }
  return atLeast / total;
}

/**
 * P(U ≥ u) by the normal approximation: mean nm/2, variance (nm/12)·((N + 1) − Σ(t³ − t)/(N(N − 1))) over
 * the tie groups of size t, z = (u − nm/2 − ½)/σ (W. J. Conover, "Practical Nonparametric Statistics",
 * 3rd ed., 5.1; the same as scipy.stats.mannwhitneyu with method "asymptotic" and use_continuity). Every
 * arrangement gives the same U when σ is 0 (all values tied): p 1.
 */
function normalUpperTail(u: number, n: number, m: number, tieSizes: readonly number[]): number {
  const total = n + m;
  const tieSum = tieSizes.reduce((acc, t) => acc + (t * t * t - t), 0);
  const variance = ((n * m) / 12) * (total + 1 - tieSum / (total * (total - 1)));
  if (!(variance > 0)) return 1;
  return upperTail((u - (n * m) / 2 - 0.5) / Math.sqrt(variance));
}

/**
 * Is the new colour's latency distribution worse than the old one's by more than `marginPercent` %?
 * Samples are, e.g., per-minute p99 values (ms) of each colour over the same window.
 *
 * One-sided Mann–Whitney U test (H. B. Mann, D. R. Whitney, "On a test of whether one of two random
 * variables is stochastically larger than the other", Ann. Math. Statist. 18(1), 1947) of the new values
 * divided by 1 + marginPercent/100 against the old ones. U = R − n(n + 1)/2 with R the mid-rank sum of the
 * new sample, which equals the pair count (ties ½). The p-value is exact up to EXACT_LIMIT values a side,
 * the normal approximation beyond.
 */
export function latencyTest(input: {
  newer: readonly number[];
  older: readonly number[];
  marginPercent: number;
  confidence: number;
}): RankTest {
  const { newer, older, marginPercent, confidence } = input;
  requireSample('newer', newer);
  requireSample('older', older);
  if (!(marginPercent >= 0 && Number.isFinite(marginPercent))) {
    throw new AnalysisInputError(`marginPercent: must be a finite number of 0 or more (got ${marginPercent})`);
  }
  requireConfidence(confidence);

  const scale = 1 + marginPercent / 100;
  const scaled = newer.map((value) => value / scale);
  const n = scaled.length;
  const m = older.length;
  const { doubledRanks, tieSizes } = rank(scaled, older);
  const doubledRankSum = doubledRanks.slice(0, n).reduce((a, b) => a + b, 0);
  const u = doubledRankSum / 2 - (n * (n + 1)) / 2;
  const pValue =
    n <= EXACT_LIMIT && m <= EXACT_LIMIT ? exactUpperTail(doubledRanks, n, doubledRankSum) : normalUpperTail(u, n, m, tieSizes);
  return { u, pValue, worse: pValue < 1 - confidence };
}
