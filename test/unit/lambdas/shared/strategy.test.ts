import { describe, expect, it } from 'vitest';
import { planSteps, StrategySchema } from '../../../../lambdas/shared/strategy.ts';

describe('planSteps', () => {
  it('moves everything in one step for all-at-once', () => {
    expect(planSteps({ type: 'all-at-once' })).toEqual([{ weight: 100, pauseSeconds: 0 }]);
  });

  it('runs the canary for its bake time before the rest', () => {
    expect(planSteps({ type: 'canary', percent: 10, bakeSeconds: 300 })).toEqual([
      { weight: 10, pauseSeconds: 300 },
      { weight: 100, pauseSeconds: 0 },
    ]);
  });

  it('walks linear steps up to 100 without overshooting', () => {
    expect(planSteps({ type: 'linear', stepPercent: 30, intervalSeconds: 60 })).toEqual([
      { weight: 30, pauseSeconds: 60 },
      { weight: 60, pauseSeconds: 60 },
      { weight: 90, pauseSeconds: 60 },
      { weight: 100, pauseSeconds: 0 },
    ]);
  });

  it('appends a final 100 % step to an explicit list that stops short', () => {
    expect(
      planSteps({
        type: 'steps',
        steps: [
          { weight: 5, pauseSeconds: 30 },
          { weight: 50, pauseSeconds: 60 },
        ],
      }),
    ).toEqual([
      { weight: 5, pauseSeconds: 30 },
      { weight: 50, pauseSeconds: 60 },
      { weight: 100, pauseSeconds: 0 },
    ]);
  });

  it('rejects a canary percent of 150 naming the field', () => {
    const result = StrategySchema.safeParse({ type: 'canary', percent: 150, bakeSeconds: 60 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['percent']);
  });
});
