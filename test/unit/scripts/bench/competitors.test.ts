/** `npm run bench`'s competitor arithmetic (scripts/bench/competitors.ts): each figure from the documented defaults. */
import { describe, expect, it } from 'vitest';
import {
  CODEDEPLOY_CONFIGS,
  competitorCells,
  ecsLinearMinutesToFullShift,
  FLAGGER,
  flaggerPromotionMinutes,
  flaggerRestoreSeconds,
  minutesToFullShift,
} from '../../../../scripts/bench/competitors.ts';

describe('Flagger', () => {
  it('rolls back 0-60 s after a metric goes bad with the defaults (interval 60 s, threshold 1)', () => {
    expect(flaggerRestoreSeconds(FLAGGER.intervalSeconds, FLAGGER.threshold)).toEqual({ min: 0, max: 60 });
  });

  it("rolls back within interval * threshold = 600 s with the docs' example threshold of 10", () => {
    expect(flaggerRestoreSeconds(FLAGGER.intervalSeconds, FLAGGER.exampleThreshold)).toEqual({ min: 540, max: 600 });
  });

  it("promotes the docs' example (stepWeight 2 to maxWeight 50, every minute) in the 25 minutes the docs state", () => {
    expect(flaggerPromotionMinutes()).toBe(25);
  });
});

describe('CodeDeploy predefined ECS configurations', () => {
  it('reach 100 % after 0, 9, 27, 5 and 15 minutes', () => {
    expect(CODEDEPLOY_CONFIGS.map((config) => [config.name, minutesToFullShift(config)])).toEqual([
      ['CodeDeployDefault.ECSAllAtOnce', 0],
      ['CodeDeployDefault.ECSLinear10PercentEvery1Minutes', 9],
      ['CodeDeployDefault.ECSLinear10PercentEvery3Minutes', 27],
      ['CodeDeployDefault.ECSCanary10Percent5Minutes', 5],
      ['CodeDeployDefault.ECSCanary10Percent15Minutes', 15],
    ]);
  });
});

describe('ECS built-in LINEAR', () => {
  it('reaches 100 % after 9 steps of 6 minutes with the defaults (10 %, no bake after the last step)', () => {
    expect(ecsLinearMinutesToFullShift()).toBe(54);
  });

  it('counts the steps as CloudFormation does when the step does not divide 100 (11 % is 9 steps)', () => {
    expect(ecsLinearMinutesToFullShift(11, 1)).toBe(9);
  });
});

describe('the competitor cells', () => {
  it('give Flagger a computed alarm-to-restore and the AWS services "not documented"', () => {
    const cells = competitorCells('alarmToRestore');
    expect([cells.ecs.text, cells.codedeploy.text, cells.flagger.text]).toEqual(['not documented', 'not documented', '0-60 s']);
    expect(cells.flagger.note).toContain('interval * threshold gives 540-600 s');
  });

  it('say n/a, with the reason, where a figure does not apply', () => {
    for (const figure of ['longBake', 'release20', 'transitions', 'simulate', 'tests', 'synth', 'bundleImport']) {
      const cells = competitorCells(figure);
      expect([figure, cells.ecs.text, cells.codedeploy.text, cells.flagger.text]).toEqual([figure, 'n/a', 'n/a', 'n/a']);
      expect(cells.ecs.note.length).toBeGreaterThan(0);
    }
  });
});
