/** The verdict on the new colour (lambdas/shared/analysis/judge.ts), from the two colours' traffic, with its numbers in words. */
import { describe, expect, it } from 'vitest';
import { AnalysisSchema } from '../../../../../lambdas/shared/analysis/config.ts';
import { judge } from '../../../../../lambdas/shared/analysis/judge.ts';

const CONFIG = AnalysisSchema.parse({ errorRate: { margin: 0.002 }, latency: { percentile: 'p99', marginPercent: 10 }, minRequests: 500 });
const minutes = (values: number[]) => values;

describe('judge', () => {
  it('finds a new colour at 1.5 % of 5xx worse than an old one at 0.5 %, with z and p in words', () => {
    // Act: 6,000 requests, 90 errors against 54,000 requests, 270 errors
    const judgement = judge(
      { requests: 6_000, errors: 90, latencyMs: minutes([250, 251, 249, 252, 248]) },
      { requests: 54_000, errors: 270, latencyMs: minutes([250, 250, 251, 249, 250]) },
      CONFIG,
    );

    // Assert: z = (0.015 − 0.005 − 0.002) / √(0.015·0.985/6000 + 0.005·0.995/54000) = 0.008 / 0.00159832… = 5.00525…
    expect(judgement.verdict).toBe('worse');
    expect(judgement.errorRate?.z).toBeCloseTo(5.005253, 5);
    expect(judgement.errorRate?.worse).toBe(true);
    expect(judgement.latency?.worse).toBe(false);
    expect(judgement.words).toMatch(
      /^the new colour is worse than the old \(its 5xx rate, at 95 % confidence\): 5xx rate 1\.50 % new \(90\/6000\) against 0\.50 % old \(270\/54000\), margin 0\.20 %: z 5\.01, p 2\.8e-7; p99 latency over 5 and 5 minutes, margin 10 %: U /,
    );
  });

  it('finds a new colour as good as the old one not worse', () => {
    // Act
    const judgement = judge(
      { requests: 6_000, errors: 30, latencyMs: [250, 251, 249] },
      { requests: 54_000, errors: 270, latencyMs: [250, 250, 251] },
      CONFIG,
    );

    // Assert
    expect(judgement.verdict).toBe('not-worse');
    expect(judgement.words.startsWith('the new colour is not worse than the old: 5xx rate 0.50 % new (30/6000)')).toBe(true);
  });

  it('finds a new colour 30 % slower at p99 worse by its latency alone', () => {
    // Act
    const judgement = judge(
      { requests: 6_000, errors: 30, latencyMs: [325, 330, 322, 328, 331, 326] },
      { requests: 54_000, errors: 270, latencyMs: [250, 252, 249, 251, 248, 250] },
      CONFIG,
    );

    // Assert: every scaled new minute (≈ 296) is above every old one: U = 36, the exact p 1/924
    expect(judgement.verdict).toBe('worse');
    expect(judgement.latency).toMatchObject({ u: 36, worse: true, newMinutes: 6, oldMinutes: 6, percentile: 'p99', marginPercent: 10 });
    expect(judgement.latency?.pValue).toBeCloseTo(1 / 924, 10);
    expect(judgement.words).toContain('(its latency, at 95 % confidence)');
  });

  it('decides nothing below minRequests on either side', () => {
    // Act
    const judgement = judge({ requests: 499, errors: 100, latencyMs: [900] }, { requests: 54_000, errors: 0, latencyMs: [250] }, CONFIG);

    // Assert
    expect(judgement).toEqual({
      verdict: 'too-few-requests',
      newRequests: 499,
      oldRequests: 54_000,
      words: 'too few requests to judge the new colour: 499 new and 54000 old, at least 500 each needed',
    });
  });

  it('judges the error rate alone without a latency config, or without latency minutes', () => {
    const noLatency = AnalysisSchema.parse({});
    const traffic = { requests: 1_000, errors: 5, latencyMs: [250] };
    expect(judge(traffic, traffic, noLatency).latency).toBeUndefined();
    expect(judge({ ...traffic, latencyMs: [] }, traffic, CONFIG).latency).toBeUndefined();
  });

  it("names a worker's own metrics in its words", () => {
    const nouns = { requests: 'JobsProcessed', errorRate: 'JobsFailed rate' };

    expect(judge({ requests: 10, errors: 0, latencyMs: [] }, { requests: 900, errors: 0, latencyMs: [] }, CONFIG, 1, nouns).words).toBe(
      'too few JobsProcessed to judge the new colour: 10 new and 900 old, at least 500 each needed',
    );
    expect(
      judge({ requests: 20_000, errors: 2_000, latencyMs: [] }, { requests: 20_000, errors: 100, latencyMs: [] }, CONFIG, 1, nouns).words,
    ).toMatch(
      /^the new colour is worse than the old \(its JobsFailed rate, at 95 % confidence\): JobsFailed rate 10\.00 % new \(2000\/20000\)/,
    );
  });
});
