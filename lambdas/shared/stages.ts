/**
 * The deployment state stage by stage: what Initialize produces, and what
 * each later state adds to it. Each stage's schema extends the one before, so
 * a handler that parses its input with its stage's schema has proved at the
 * boundary that the earlier states ran; a payload without what they write
 * fails there with ContractViolationError (definePhase).
 *
 * Initialize -> Validate -> Prepare -> Deploy (check stability, smoke test)
 * -> Verify (approval, shift traffic) -> the bake (check bake) -> the
 * scale-down wait and Complete. A state the flow enters from several stages
 * (Roll back, a release's waves) takes DeploymentStateSchema: the initialized
 * state with every later field optional.
 *
 * docs/architecture.md I5: the payload carries ARNs, ids and key names, never a secret value.
 */
import * as z from 'zod';
import { ServiceConfigSchema } from './config-schema.ts';
import {
  CaughtErrorSchema,
  ColourStateSchema,
  ConfigDiffSchema,
  DeploymentRequestSchema,
  ImageSchema,
  PlanSchema,
  SecretPinSchema,
  SecretRefSchema,
  SmokeRunSchema,
  TerminalStatusSchema,
} from './contract.ts';
import { ScalingRecordSchema } from './scaling/snapshot.ts';
import { StrategySchema } from './strategy.ts';

/** What Initialize (or, for a service of a release, Plan release) produces; the fields any later state may set are here too. */
export const InitializedStateSchema = z.object({
  deploymentId: z.string(),
  /** Set when this deployment is one service of a multi-service release: the release's id. */
  releaseId: z.string().optional(),
  executionArn: z.string(),
  /**
   * The execution that holds the service lock for this deployment, when it is not `executionArn`: a recovery
   * execution, which the lock was transferred to. Only the holder's execution renews or releases the lock.
   */
  heldBy: z.string().optional(),
  startedAt: z.string(),
  request: DeploymentRequestSchema,
  service: ServiceConfigSchema,
  /** The strategy in force: the request's, else the service's; hotfix forces all-at-once. */
  strategy: StrategySchema,
  bakeSeconds: z.number().int().min(0),
  /**
   * The old colour: the one serving production when the deployment started (from listener weights). It stays
   * `live` on the wire after the shift (in-flight payloads survive an upgrade; docs/glossary.md).
   */
  live: ColourStateSchema,
  /** The new colour: the one this deployment puts the new revision on (`idle` on the wire, as `live`). */
  idle: ColourStateSchema,
  /** The colours' scaling as Validate read it (services[].autoscaling): what Deploy copies and what a rollback restores. */
  scaling: ScalingRecordSchema.optional(),
  /** Whether this deployment waits for `baton approve` after verify. */
  approval: z.object({ required: z.boolean() }).default({ required: false }),
  /** Seconds the next Wait state pauses; set by the phase before it. */
  wait: z.object({ seconds: z.number().int().min(0) }).optional(),
  /** Set by Catch (ResultPath $.error). */
  error: CaughtErrorSchema.optional(),
  /** Set by the "<state> failed" Pass state the Catch goes through: the state that failed. */
  failedPhase: z.string().optional(),
  /** Set by Roll back: how far it got. */
  rollback: z
    .object({
      stage: z.enum(['scaling-up-old', 'done']),
      deadline: z.string(),
      checks: z.number().int().min(0),
    })
    .optional(),
  /** What the final Succeed/Fail state reports. */
  outcome: z
    .object({
      status: TerminalStatusSchema,
      error: z.string(),
      cause: z.string(),
    })
    .optional(),
  warnings: z.array(z.string()).default([]),
});
export type InitializedState = z.infer<typeof InitializedStateSchema>;

/** What Validate adds: what the live colour runs, and the image (and secret version) the deployment puts on the idle one. */
const VALIDATED = {
  previous: z.object({
    taskDefinitionArn: z.string(),
    desiredCount: z.number().int().min(0),
    image: z.string(),
    /** Task definition the idle service ran before deploy, to restore on rollback. */
    idleTaskDefinitionArn: z.string(),
    idleDesiredCount: z.number().int().min(0),
    /** The secrets the live container references, with their versions. */
    secrets: z.array(SecretRefSchema).default([]),
  }),
  image: ImageSchema,
  secret: SecretPinSchema.optional(),
  /** Set when the service has an app-config secret. */
  configDiff: ConfigDiffSchema.optional(),
  /** For a rollback: the earlier revision to redeploy exactly. */
  restore: z.object({ deploymentId: z.string(), taskDefinitionArn: z.string() }).optional(),
  /** For a dry run: what the deployment would do. */
  plan: PlanSchema.optional(),
};

/** What Prepare adds: the release's task definition. */
const PREPARED = {
  release: z.object({ taskDefinitionArn: z.string(), secrets: z.array(SecretRefSchema).default([]) }),
};

/** What Deploy adds: the idle colour's rollout, which Check stability follows. */
const DEPLOYED = {
  rollout: z.object({
    desiredCount: z.number().int().min(0),
    deployedAt: z.string(),
    deadline: z.string(),
    checks: z.number().int().min(0),
    stable: z.boolean(),
    /** When Check stability found it stable: an event (lambdas/shared/signals.ts) counts from then on. */
    stableAt: z.string().optional(),
  }),
};

/** What Verify adds: the traffic plan at its first step; the smoke test and the approval write theirs after it. */
const VERIFIED = {
  traffic: z.object({
    /** Index of the next step to apply in planSteps(strategy). */
    nextStep: z.number().int().min(0),
    /** Weight on the new colour after the last applied step. */
    weight: z.number().int().min(0).max(100),
    complete: z.boolean(),
    /** The current step holds until then; gates are checked every gate interval meanwhile. */
    holdUntil: z.string().optional(),
    /** When the current step's hold began: a `baton promote` counts for the hold it was made during. */
    heldSince: z.string().optional(),
    /**
     * A worker's next step whose raised tasks did not all run before its invocation ended
     * (lambdas/shared/aws/worker-shift.ts): when they were raised (the wait is counted from then), and whether the
     * step is the last one by `baton promote --full`. The next invocation writes the same counts and waits on.
     */
    raising: z.object({ since: z.string(), full: z.boolean() }).optional(),
  }),
  /** Filled by the smoke test: what its latest attempt found. */
  smoke: SmokeRunSchema.optional(),
  /** The SendTaskSuccess output of the approval (who approved). */
  approvalResult: z.record(z.string(), z.unknown()).optional(),
};

/** What the last traffic step adds: the bake. */
const BAKING = {
  bake: z.object({ until: z.string(), complete: z.boolean() }),
};

/** What the end of the bake adds: the old colour is retired at `at`; the gates are watched until then (`due` once it is time). */
const RETIRING = {
  retire: z.object({ at: z.string(), due: z.boolean() }),
};

export const ValidatedStateSchema = InitializedStateSchema.extend(VALIDATED);
export type ValidatedState = z.infer<typeof ValidatedStateSchema>;
export const PreparedStateSchema = ValidatedStateSchema.extend(PREPARED);
export type PreparedState = z.infer<typeof PreparedStateSchema>;
export const DeployedStateSchema = PreparedStateSchema.extend(DEPLOYED);
export type DeployedState = z.infer<typeof DeployedStateSchema>;
export const VerifiedStateSchema = DeployedStateSchema.extend(VERIFIED);
export type VerifiedState = z.infer<typeof VerifiedStateSchema>;
export const BakingStateSchema = VerifiedStateSchema.extend(BAKING);
export type BakingState = z.infer<typeof BakingStateSchema>;
export const RetiringStateSchema = BakingStateSchema.extend(RETIRING);
export type RetiringState = z.infer<typeof RetiringStateSchema>;

/** A deployment at any stage: what Initialize produces, with everything a later state adds optional (Roll back, a release's waves). */
export const DeploymentStateSchema = RetiringStateSchema.partial({
  previous: true,
  image: true,
  release: true,
  rollout: true,
  traffic: true,
  bake: true,
  retire: true,
});
export type DeploymentState = z.infer<typeof DeploymentStateSchema>;

/** The params that mark a zod issue as a precondition worded by its schema (see needing). */
const PRECONDITION = { precondition: true } as const;

/** Whether a zod issue is a precondition worded by its schema: definePhase reports it in those words alone. */
export function isPrecondition(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.precondition === true;
}

/**
 * `schema` with `key` required: a payload without it is refused in `words`,
 * where the handler names what is missing better than a field path does.
 */
export function needing<T extends object, K extends keyof T & string>(schema: z.ZodType<T>, key: K, words: (input: T) => string) {
  return schema.transform((value, ctx) => {
    if (value[key] === undefined) {
      ctx.issues.push({ code: 'custom', message: words(value), input: value, params: PRECONDITION });
      return z.NEVER;
    }
    // The check above is what the type says.
    return value as T & { [P in K]-?: Exclude<T[P], undefined> };
  });
}
