/**
 * The verdict on the new colour against the old one over the same window:
 * worse (a test says so at the configured confidence), too few requests to
 * judge, or not worse. The error rate by a non-inferiority test of two
 * proportions, the latency by a rank test of the minute-by-minute
 * percentiles (statistics.ts); each test's numbers go with the verdict, into
 * the gate's failure and the record.
 */
import type { AnalysisConfig } from './config.ts';
import type { ColourTraffic } from './metrics.ts';
import { errorRateTest, latencyTest, type ProportionTest, type RankTest } from './statistics.ts';

export type Verdict = 'not-worse' | 'worse' | 'too-few-requests';

export interface Judgement {
  readonly verdict: Verdict;
  readonly newRequests: number;
  readonly oldRequests: number;
  readonly errorRate?: ProportionTest & { readonly margin: number };
  readonly latency?: RankTest & {
    readonly percentile: string;
    readonly marginPercent: number;
    readonly newMinutes: number;
    readonly oldMinutes: number;
  };
  /** The verdict and its numbers in a sentence, as the gate's failure and the record's evidence say it. */
  readonly words: string;
}

const percent = (rate: number) => `${(rate * 100).toFixed(2)} %`;
const p = (value: number) => (value < 0.0001 ? value.toExponential(1) : value.toFixed(4));

/**
 * Every gate check of a step tests the step's data again, so a new colour as
 * good as the old one would, look after look, eventually fail one by chance.
 * Each look is tested at the confidence left after Bonferroni's correction
 * for the `looks` a window sees (its seconds over the gate interval): the
 * chance of a false alarm in a window stays below 1 − confidence.
 */
export function perLookConfidence(confidence: number, looks: number): number {
  return 1 - (1 - confidence) / Math.max(1, looks);
}

/** What the words call the units counted and their error rate. */
export interface Nouns {
  readonly requests: string;
  readonly errorRate: string;
}

/** A web service's: its target groups' requests and 5xx responses. */
export const WEB_NOUNS: Nouns = { requests: 'requests', errorRate: '5xx rate' };

export function judge(newer: ColourTraffic, older: ColourTraffic, config: AnalysisConfig, looks = 1, nouns: Nouns = WEB_NOUNS): Judgement {
  const confidence = perLookConfidence(config.confidence, looks);
  const counts = { newRequests: newer.requests, oldRequests: older.requests };
  if (newer.requests < config.minRequests || older.requests < config.minRequests) {
    return {
      verdict: 'too-few-requests',
      ...counts,
      words: `too few ${nouns.requests} to judge the new colour: ${newer.requests} new and ${older.requests} old, at least ${config.minRequests} each needed`,
    };
  }
  const errorTest = errorRateTest({
    newRequests: newer.requests,
    newErrors: newer.errors,
    oldRequests: older.requests,
    oldErrors: older.errors,
    margin: config.errorRate.margin,
    confidence,
  });
  const errorRate = { ...errorTest, margin: config.errorRate.margin };
  const errorWords = `${nouns.errorRate} ${percent(errorTest.newRate)} new (${newer.errors}/${newer.requests}) against ${percent(errorTest.oldRate)} old (${older.errors}/${older.requests}), margin ${percent(config.errorRate.margin)}: z ${errorTest.z.toFixed(2)}, p ${p(errorTest.pValue)}`;
  const latencyConfig = config.latency;
  const canRank = latencyConfig !== undefined && newer.latencyMs.length > 0 && older.latencyMs.length > 0;
  const latencyTested =
    canRank && latencyConfig
      ? {
          ...latencyTest({
            newer: newer.latencyMs,
            older: older.latencyMs,
            marginPercent: latencyConfig.marginPercent,
            confidence,
          }),
          percentile: latencyConfig.percentile,
          marginPercent: latencyConfig.marginPercent,
          newMinutes: newer.latencyMs.length,
          oldMinutes: older.latencyMs.length,
        }
      : undefined;
  const latencyWords = latencyTested
    ? `; ${latencyTested.percentile} latency over ${latencyTested.newMinutes} and ${latencyTested.oldMinutes} minutes, margin ${latencyTested.marginPercent} %: U ${latencyTested.u}, p ${p(latencyTested.pValue)}`
    : '';
  const worse = errorTest.worse || latencyTested?.worse === true;
  const which = [errorTest.worse ? `its ${nouns.errorRate}` : '', latencyTested?.worse ? 'its latency' : ''].filter(Boolean).join(' and ');
  return {
    verdict: worse ? 'worse' : 'not-worse',
    ...counts,
    errorRate,
    ...(latencyTested ? { latency: latencyTested } : {}),
    words: `${worse ? `the new colour is worse than the old (${which}, at ${config.confidence * 100} % confidence${looks > 1 ? ` over ${looks} looks` : ''})` : 'the new colour is not worse than the old'}: ${errorWords}${latencyWords}`,
  };
}
