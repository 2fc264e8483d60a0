/**
 * Traffic strategies and the step plan they expand to. The plan is what the
 * shift-traffic loop walks through; every step sets absolute weights.
 */
import * as z from 'zod';
import { closestName } from './did-you-mean.ts';

/** One example of each strategy, as the input writes it: what a message about a malformed strategy shows. */
const EXAMPLES = {
  'all-at-once': '{"type": "all-at-once"}',
  canary: '{"type": "canary", "percent": 10, "bakeSeconds": 300}',
  linear: '{"type": "linear", "stepPercent": 25, "intervalSeconds": 300}',
  steps: '{"type": "steps", "steps": [{"weight": 10, "pauseSeconds": 300}, {"weight": 50, "pauseSeconds": 300}]}',
} as const;
type StrategyType = keyof typeof EXAMPLES;
const TYPES = Object.keys(EXAMPLES) as StrategyType[];
const isType = (value: unknown): value is StrategyType => typeof value === 'string' && Object.hasOwn(EXAMPLES, value);

/**
 * zod's own words ("expected object, received string", "Invalid discriminator
 * value") do not say what a strategy looks like; these show one, of the type
 * the input names when it names one ("canary" given as a string).
 */
function strategyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const types = `(types: ${TYPES.join(', ')})`;
  if (issue.code === 'invalid_type' && issue.input !== undefined) {
    const named = typeof issue.input === 'string' ? closestName(issue.input, TYPES) : undefined;
    return `expected an object such as ${EXAMPLES[isType(named) ? named : 'canary']} ${types}`;
  }
  if (issue.code === 'invalid_union' && issue.note === 'No matching discriminator') {
    const given = (issue.input as { type?: unknown } | undefined)?.type;
    if (given === undefined) return `required ${types}, as in ${EXAMPLES.canary}`;
    // Echoed only when it is a plain word: the message is recorded, and a bad value is never copied into a record.
    const word = typeof given === 'string' && /^[A-Za-z0-9._-]{1,40}$/.test(given) ? given : undefined;
    const meant = word === undefined ? undefined : closestName(word, TYPES);
    return `${word === undefined ? 'not' : `"${word}" is not`} a strategy type${meant === undefined ? '' : `; did you mean "${meant}"?`} ${types}`;
  }
  return undefined;
}

export const StrategySchema = z.discriminatedUnion(
  'type',
  [
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
  ],
  { error: strategyMessage },
);
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

/**
 * A strategy in a few words: "canary 10 % for 300 s". `duration` words the
 * holds (a notification says "5 min", a refusal of a release keeps seconds).
 */
export function describeStrategy(strategy: Strategy, duration: (seconds: number) => string = (seconds) => `${seconds} s`): string {
  switch (strategy.type) {
    case 'all-at-once':
      return 'all-at-once';
    case 'canary':
      return `canary ${strategy.percent} % for ${duration(strategy.bakeSeconds)}`;
    case 'linear':
      return `linear ${strategy.stepPercent} % every ${duration(strategy.intervalSeconds)}`;
    case 'steps':
      return `steps ${strategy.steps.map((step) => step.weight).join('/')}`;
  }
}
