/** The analysis as a gate of a step (lambdas/shared/analysis/gate.ts): when it judges, over which minutes, and how many looks a step sees. */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AnalysisSchema } from '../../../../../lambdas/shared/analysis/config.ts';
import { analysisFailures, judgeStep, looksAt } from '../../../../../lambdas/shared/analysis/gate.ts';
import { type VerifiedState, VerifiedStateSchema } from '../../../../../lambdas/shared/stages.ts';
import { rejectByDefault } from '../../../../support/aws.ts';
import { isoAfter, NOW, stateAfter } from '../../../../support/state.ts';

/** Green at `weight` % since NOW in a 10 % canary of 1200 s, judged with `analysis` (null: none). */
function holding(weight: number, analysis: Record<string, unknown> | null = {}): VerifiedState {
  const verified = stateAfter('verify');
  return VerifiedStateSchema.parse({
    ...verified,
    service: { ...verified.service, ...(analysis ? { analysis: AnalysisSchema.parse(analysis) } : {}) },
    strategy: { type: 'canary', percent: 10, bakeSeconds: 1200 },
    traffic: { nextStep: 1, weight, complete: false, holdUntil: isoAfter(NOW, 1200), heldSince: NOW },
  });
}

describe('looksAt', () => {
  it('counts the checks of the step (its pause and the hold for requests, over the gate interval) and the first', () => {
    // 1200 s + 1800 s of hold under "hold", at most 3600 s of window, every 30 s: 100 looks, and the one at the start.
    expect(looksAt(holding(10))).toBe(101);
    expect(looksAt(holding(10, { lowTraffic: 'pass' }))).toBe(41);
    expect(looksAt(holding(10, { windowSeconds: 600 }))).toBe(21);
  });
});

describe('judgeStep', () => {
  const cloudwatchMock = mockClient(CloudWatchClient);

  beforeEach(() => {
    rejectByDefault(cloudwatchMock);
    vi.useFakeTimers({ toFake: ['Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['without an analysis', holding(10, null)],
    ['before the first step (the new colour at 0 %)', holding(0)],
    ['at 100 % (the old colour serves nothing)', holding(100)],
  ])('judges nothing and reads nothing %s', async (_name, state) => {
    vi.setSystemTime(new Date(isoAfter(NOW, 600)));
    expect(await judgeStep(state)).toBeUndefined();
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('reads the whole minutes since the step began, the one its weight was written in left out', async () => {
    // Arrange: NOW is 10:00:00.000 (support/state.ts); 10 min 30 s into the step
    vi.setSystemTime(new Date(isoAfter(NOW, 630)));
    cloudwatchMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const judgement = await judgeStep(holding(10, { minRequests: 1 }));

    // Assert
    const input = cloudwatchMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect([input?.StartTime, input?.EndTime]).toEqual([new Date(NOW), new Date(isoAfter(NOW, 600))]);
    expect(judgement?.verdict).toBe('too-few-requests');
  });

  it('calls nothing when no whole minute has passed yet', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 45)));

    // Act
    const judgement = await judgeStep(holding(10));

    // Assert
    expect(judgement?.verdict).toBe('too-few-requests');
    expect(judgement?.words).toBe('too few requests to judge the new colour: 0 new and 0 old, at least 500 each needed');
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });
});

describe('analysisFailures', () => {
  it('fails the gate only on a worse verdict: too few requests decide nothing before the step is due to end', () => {
    const base = { newRequests: 1, oldRequests: 1, words: 'w' };
    expect(analysisFailures({ ...base, verdict: 'worse' })).toEqual(['w']);
    expect(analysisFailures({ ...base, verdict: 'too-few-requests' })).toEqual([]);
    expect(analysisFailures({ ...base, verdict: 'not-worse' })).toEqual([]);
    expect(analysisFailures(undefined)).toEqual([]);
  });
});
