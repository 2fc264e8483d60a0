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
  steps: '{"type": "steps", "steps": [{"weight": 10, "pause": "approval"}, {"weight": 50, "pauseSeconds": 300}]}',
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

/** How long a step that waits for `baton promote` waits by default, and at most: a manual canary may run for days. */
export const PROMOTION_TIMEOUT_DEFAULT_SECONDS = 86_400;
export const PROMOTION_TIMEOUT_MAX_SECONDS = 14 * 86_400;

/**
 * One step of a "steps" strategy: the new colour's weight, then a hold of
 * `pauseSeconds`, or (`"pause": "approval"`) a hold until an operator runs
 * `baton promote`, for at most `timeoutSeconds`, after which the deployment
 * rolls back or proceeds (`onTimeout`). The gates are watched all the while.
 */
const StepSchema = z
  .strictObject({
    weight: z.number().int().min(1).max(100),
    pauseSeconds: z.number().int().min(0).max(86_400).optional(),
    pause: z
      .literal('approval', { error: 'the only pause is "approval" (wait for baton promote); a timed hold is pauseSeconds' })
      .optional(),
    timeoutSeconds: z.number().int().min(60).max(PROMOTION_TIMEOUT_MAX_SECONDS).optional(),
    onTimeout: z.enum(['rollback', 'proceed']).optional(),
  })
  .superRefine((step, ctx) => {
    if (step.pause === undefined && step.pauseSeconds === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['pauseSeconds'],
        message: 'required: seconds to hold, or "pause": "approval" to wait for baton promote',
      });
    }
    if (step.pause !== undefined && step.pauseSeconds !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['pauseSeconds'],
        message: 'a step waits for approval ("pause") or holds for pauseSeconds, not both',
      });
    }
    for (const key of ['timeoutSeconds', 'onTimeout'] as const) {
      if (step.pause === undefined && step[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'only for a step with "pause": "approval"' });
      }
    }
  });

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
        .array(StepSchema)
        .min(1)
        .refine((steps) => steps.every((step, i) => i === 0 || step.weight > (steps[i - 1]?.weight ?? 0)), {
          message: 'step weights must increase strictly',
        })
        .refine((steps) => steps.at(-1)?.weight !== 100 || steps.at(-1)?.pause === undefined, {
          message: 'the step at 100 % cannot wait for "baton promote": the bake follows it (pause at a lower weight)',
        }),
    }),
  ],
  { error: strategyMessage },
);
export type Strategy = z.infer<typeof StrategySchema>;

/** A step that waits for `baton promote`: what happens when nobody promotes it within its pause. */
export interface Promotion {
  readonly onTimeout: 'rollback' | 'proceed';
}

export interface TrafficStep {
  /** Percentage of production traffic on the new colour after this step. */
  readonly weight: number;
  /** Pause after this step before the next one (0 after the last); for a step that waits for promotion, the most it waits. */
  readonly pauseSeconds: number;
  /** Set when the step waits for `baton promote` (the pause ends early when promoted). */
  readonly promotion?: Promotion;
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
      const steps = strategy.steps.map(
        (step): TrafficStep =>
          step.pause === 'approval'
            ? {
                weight: step.weight,
                pauseSeconds: step.timeoutSeconds ?? PROMOTION_TIMEOUT_DEFAULT_SECONDS,
                promotion: { onTimeout: step.onTimeout ?? 'rollback' },
              }
            : { weight: step.weight, pauseSeconds: step.pauseSeconds ?? 0 },
      );
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
    case 'steps': {
      const waits = strategy.steps.filter((step) => step.pause === 'approval').map((step) => `${step.weight} %`);
      const weights = `steps ${strategy.steps.map((step) => step.weight).join('/')}`;
      return waits.length ? `${weights}, promoted by hand at ${waits.join(', ')}` : weights;
    }
  }
}
