import { describe, expect, it } from 'vitest';
import {
  describeStrategy,
  PROMOTION_TIMEOUT_DEFAULT_SECONDS,
  PROMOTION_TIMEOUT_MAX_SECONDS,
  planSteps,
  StrategySchema,
} from '../../../../lambdas/shared/strategy.ts';

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

/** The issues (path and message) of a "steps" strategy with `steps`; empty when it parses. */
function stepIssues(steps: unknown[]) {
  const result = StrategySchema.safeParse({ type: 'steps', steps });
  return (result.error?.issues ?? []).map((issue) => ({ path: issue.path, message: issue.message }));
}

describe('StrategySchema steps that wait for baton promote', () => {
  it('accepts an approval step with a timeout and what to do after it', () => {
    // Arrange
    const steps = [
      { weight: 10, pause: 'approval', timeoutSeconds: 3_600, onTimeout: 'proceed' },
      { weight: 100, pauseSeconds: 0 },
    ];

    // Act
    const issues = stepIssues(steps);

    // Assert
    expect(issues).toEqual([]);
  });

  it('refuses a step with both pauseSeconds and pause', () => {
    // Arrange
    const steps = [{ weight: 10, pause: 'approval', pauseSeconds: 60 }];

    // Act
    const issues = stepIssues(steps);

    // Assert
    expect(issues).toEqual([
      { path: ['steps', 0, 'pauseSeconds'], message: 'a step waits for approval ("pause") or holds for pauseSeconds, not both' },
    ]);
  });

  it('refuses a step with neither pauseSeconds nor pause', () => {
    // Arrange
    const steps = [{ weight: 10 }];

    // Act
    const issues = stepIssues(steps);

    // Assert
    expect(issues).toEqual([
      { path: ['steps', 0, 'pauseSeconds'], message: 'required: seconds to hold, or "pause": "approval" to wait for baton promote' },
    ]);
  });

  it('refuses timeoutSeconds on a timed step', () => {
    // Arrange
    const steps = [{ weight: 10, pauseSeconds: 60, timeoutSeconds: 600 }];

    // Act
    const issues = stepIssues(steps);

    // Assert
    expect(issues).toEqual([{ path: ['steps', 0, 'timeoutSeconds'], message: 'only for a step with "pause": "approval"' }]);
  });

  it('refuses onTimeout on a timed step', () => {
    // Arrange
    const steps = [{ weight: 10, pauseSeconds: 60, onTimeout: 'proceed' }];

    // Act
    const issues = stepIssues(steps);

    // Assert
    expect(issues).toEqual([{ path: ['steps', 0, 'onTimeout'], message: 'only for a step with "pause": "approval"' }]);
  });

  it('refuses a pause other than "approval"', () => {
    // Arrange
    const steps = [{ weight: 10, pause: 'manual' }];

    // Act
    const issues = stepIssues(steps);

    // Assert
    expect(issues).toEqual([
      { path: ['steps', 0, 'pause'], message: 'the only pause is "approval" (wait for baton promote); a timed hold is pauseSeconds' },
    ]);
  });

  it('refuses a wait for promotion at the last step, 100 %', () => {
    // Arrange
    const steps = [
      { weight: 10, pauseSeconds: 60 },
      { weight: 100, pause: 'approval' },
    ];

    // Act
    const issues = stepIssues(steps);

    // Assert
    expect(issues).toEqual([
      { path: ['steps'], message: 'the step at 100 % cannot wait for "baton promote": the bake follows it (pause at a lower weight)' },
    ]);
  });

  it('refuses a timeout under a minute', () => {
    // Arrange
    const steps = [{ weight: 10, pause: 'approval', timeoutSeconds: 59 }];

    // Act
    const issues = stepIssues(steps);

    // Assert
    expect(issues).toEqual([{ path: ['steps', 0, 'timeoutSeconds'], message: 'Too small: expected number to be >=60' }]);
  });

  it('accepts a timeout of exactly 60 seconds and of exactly 14 days', () => {
    // Arrange
    const shortest = [{ weight: 10, pause: 'approval', timeoutSeconds: 60 }];
    const longest = [{ weight: 10, pause: 'approval', timeoutSeconds: 14 * 86_400 }];

    // Act
    const issues = [...stepIssues(shortest), ...stepIssues(longest)];

    // Assert
    expect(issues).toEqual([]);
    expect(PROMOTION_TIMEOUT_MAX_SECONDS).toBe(1_209_600);
  });

  it('refuses a timeout over 14 days', () => {
    // Arrange
    const steps = [{ weight: 10, pause: 'approval', timeoutSeconds: 14 * 86_400 + 1 }];

    // Act
    const issues = stepIssues(steps);

    // Assert
    expect(issues).toEqual([{ path: ['steps', 0, 'timeoutSeconds'], message: 'Too big: expected number to be <=1209600' }]);
  });
});

describe('planSteps with steps that wait for baton promote', () => {
  it('waits a day for a promotion and rolls back without one by default', () => {
    // Arrange
    const strategy = StrategySchema.parse({ type: 'steps', steps: [{ weight: 10, pause: 'approval' }] });

    // Act
    const steps = planSteps(strategy);

    // Assert
    expect(PROMOTION_TIMEOUT_DEFAULT_SECONDS).toBe(86_400);
    expect(steps).toEqual([
      { weight: 10, pauseSeconds: 86_400, promotion: { onTimeout: 'rollback' } },
      { weight: 100, pauseSeconds: 0 },
    ]);
  });

  it('waits the given timeout and does what onTimeout says, between timed steps', () => {
    // Arrange
    const strategy = StrategySchema.parse({
      type: 'steps',
      steps: [
        { weight: 5, pauseSeconds: 30 },
        { weight: 25, pause: 'approval', timeoutSeconds: 7_200, onTimeout: 'proceed' },
        { weight: 100, pauseSeconds: 0 },
      ],
    });

    // Act
    const steps = planSteps(strategy);

    // Assert
    expect(steps).toEqual([
      { weight: 5, pauseSeconds: 30 },
      { weight: 25, pauseSeconds: 7_200, promotion: { onTimeout: 'proceed' } },
      { weight: 100, pauseSeconds: 0 },
    ]);
  });
});

describe('describeStrategy', () => {
  it('names the weights a steps strategy waits for promotion at', () => {
    // Arrange
    const strategy = StrategySchema.parse({
      type: 'steps',
      steps: [
        { weight: 10, pause: 'approval' },
        { weight: 50, pauseSeconds: 300 },
        { weight: 75, pause: 'approval' },
      ],
    });

    // Act
    const description = describeStrategy(strategy);

    // Assert
    expect(description).toBe('steps 10/50/75, promoted by hand at 10 %, 75 %');
  });

  it('says only the weights of a steps strategy without a wait for promotion', () => {
    // Arrange
    const strategy = StrategySchema.parse({
      type: 'steps',
      steps: [
        { weight: 10, pauseSeconds: 60 },
        { weight: 50, pauseSeconds: 300 },
      ],
    });

    // Act
    const description = describeStrategy(strategy);

    // Assert
    expect(description).toBe('steps 10/50');
  });
});
