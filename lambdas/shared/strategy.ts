/**
 * Traffic strategies and the step plan they expand to. The plan is what the
 * shift-traffic loop walks through; every step sets absolute weights.
 */
import { z } from 'zod';

export const StrategySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('all-at-once') }),
  z.strictObject({
    type: z.literal('canary'),
    /** Share of production traffic on the new colour during the canary. */
    percent: z.number().int().min(1).max(99),
    /** Time the canary runs before the rest of the traffic moves. */
    bakeSeconds: z.number().int().min(0).max(86_400),
  }),
  z.strictObject({
    type: z.literal('linear'),
    stepPercent: z.number().int().min(1).max(99),
    intervalSeconds: z.number().int().min(0).max(86_400),
  }),
  z.strictObject({
    type: z.literal('steps'),
    steps: z
      .array(
        z.strictObject({
          weight: z.number().int().min(1).max(100),
          pauseSeconds: z.number().int().min(0).max(86_400),
        }),
      )
      .min(1)
      .refine((steps) => steps.every((step, i) => i === 0 || step.weight > (steps[i - 1]?.weight ?? 0)), {
        message: 'step weights must increase strictly',
      }),
  }),
]);
export type Strategy = z.infer<typeof StrategySchema>;

export interface TrafficStep {
  /** Percentage of production traffic on the new colour after this step. */
  readonly weight: number;
  /** Pause after this step before the next one (0 after the last). */
  readonly pauseSeconds: number;
}

export function planSteps(strategy: Strategy): TrafficStep[] {
  switch (strategy.type) {
    case 'all-at-once':
      return [{ weight: 100, pauseSeconds: 0 }];
    case 'canary':
      return [
        { weight: strategy.percent, pauseSeconds: strategy.bakeSeconds },
        { weight: 100, pauseSeconds: 0 },
      ];
    case 'linear': {
      const steps: TrafficStep[] = [];
      for (let weight = strategy.stepPercent; weight < 100; weight += strategy.stepPercent) {
        steps.push({ weight, pauseSeconds: strategy.intervalSeconds });
      }
      steps.push({ weight: 100, pauseSeconds: 0 });
      return steps;
    }
    case 'steps': {
      const steps = strategy.steps.map((step) => ({ ...step }));
      const last = steps[steps.length - 1];
      if (last && last.weight === 100) return [...steps.slice(0, -1), { weight: 100, pauseSeconds: 0 }];
      return [...steps, { weight: 100, pauseSeconds: 0 }];
    }
  }
}
