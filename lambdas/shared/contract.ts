/**
 * The parts of the payload that flows between the phases of the state
 * machine (the deployment state stage by stage is in stages.ts), and the
 * execution input. The CDK construct imports the field paths it references
 * (JSONPath) from here too.
 *
 * docs/architecture.md I5: the payload carries ARNs, ids and key names, never a secret value.
 */
import * as z from 'zod';
import { StrategySchema } from './strategy.ts';

const ColourSchema = z.enum(['blue', 'green']);
export type Colour = z.infer<typeof ColourSchema>;

export function otherColour(colour: Colour): Colour {
  return colour === 'blue' ? 'green' : 'blue';
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** An image tag as ECR takes it: at most 128 characters. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const TAG = IMAGE_TAG;
/** The longest deployment id. Deployment ids are execution names (at most 80), or for a service of a release, the release's execution name and the service. */
export const MAX_DEPLOYMENT_ID_LENGTH = 160;
const DEPLOYMENT_ID = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_DEPLOYMENT_ID_LENGTH}}$`);

/**
 * Control characters (C0, DEL, C1: line breaks, ANSI escapes), line and
 * paragraph separators and bidirectional overrides: in free text they forge
 * lines ("ok\nSTATUS: SUCCEEDED") or recolour terminals when the text is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Free text a person writes (reason, requestedBy): one printable line of at most `max` characters. */
export function plainText(max: number) {
  return z
    .string()
    .max(max, { message: `at most ${max} characters` })
    .superRefine((text, ctx) => {
      const match = UNPRINTABLE.exec(text);
      if (!match) return;
      const code = match[0].codePointAt(0) ?? 0;
      ctx.addIssue({
        code: 'custom',
        message: `control character U+${code.toString(16).toUpperCase().padStart(4, '0')} at character ${match.index + 1}; write one line of printable text (no line breaks or terminal escapes)`,
      });
    });
}

/** The fields of a request, each with its own check (record-failure keeps a rejected request's fields only when they pass). */
export const DeploymentRequestFields = z.strictObject({
  service: z.string().min(1, { message: 'name the service to deploy' }).max(40, { message: 'not a service name (at most 40 characters)' }),
  imageTag: z.string().regex(TAG, { message: 'not a valid image tag (letters, digits, ".", "_", "-"; at most 128)' }).optional(),
  imageDigest: z.string().regex(DIGEST, { message: 'expected "sha256:" followed by 64 lowercase hex digits' }).optional(),
  /** The tag an ECR push carried, when the deployment is by digest (informational). */
  pushedTag: z.string().regex(TAG, { message: 'not a valid image tag' }).optional(),
  /** Redeploy the exact release (task definition, image, secret versions) of an earlier successful deployment. */
  rollbackTo: z
    .string()
    .regex(DEPLOYMENT_ID, { message: 'not a deployment id (letters, digits, "_", "-"; see "baton history")' })
    .optional(),
  strategy: StrategySchema.optional(),
  hotfix: z.boolean().default(false),
  approval: z.boolean().optional(),
  dryRun: z.boolean().default(false),
  reason: plainText(512).optional(),
  /** Who or what started the deployment; the CLI and the ECR rule set it. */
  trigger: z.enum(['console', 'cli', 'ecr']).default('console'),
  requestedBy: plainText(256).optional(),
  /** Set by the backstop when it starts an image that waited in the service's queue: the execution that queued it. */
  queuedFrom: z.string().regex(DEPLOYMENT_ID, { message: 'not a deployment id' }).optional(),
});

/** What a person (console, CLI) asks for. Strict: an unknown field is an error. */
export const DeploymentRequestSchema = DeploymentRequestFields.superRefine((request, ctx) => {
  if (request.imageTag && request.imageDigest) {
    ctx.addIssue({ code: 'custom', path: ['imageDigest'], message: 'give imageTag or imageDigest, not both' });
  }
  if (request.rollbackTo && (request.imageTag || request.imageDigest)) {
    ctx.addIssue({
      code: 'custom',
      path: ['rollbackTo'],
      message: 'a rollback redeploys the image of that release; do not also give imageTag or imageDigest',
    });
  }
  if (request.pushedTag && request.imageTag && request.pushedTag !== request.imageTag) {
    ctx.addIssue({
      code: 'custom',
      path: ['pushedTag'],
      message: `"${request.pushedTag}" is not the imageTag "${request.imageTag}"; pushedTag names the tag of the image deployed by imageDigest`,
    });
  }
  if (request.pushedTag && request.rollbackTo) {
    ctx.addIssue({ code: 'custom', path: ['pushedTag'], message: 'a rollback redeploys the image of that release; do not give pushedTag' });
  }
  if (!request.imageTag && !request.imageDigest && !request.rollbackTo) {
    ctx.addIssue({ code: 'custom', path: ['imageTag'], message: 'give imageTag, imageDigest or rollbackTo' });
  }
});
export type DeploymentRequest = z.infer<typeof DeploymentRequestSchema>;

/** What the first (Pass) state builds from the raw input and the context object. */
export const ExecutionEnvelopeSchema = z.object({
  request: z.unknown(),
  deploymentId: z.string().min(1),
  executionArn: z.string().min(1),
  startedAt: z.string().min(1),
});
export type ExecutionEnvelope = z.infer<typeof ExecutionEnvelopeSchema>;

/** One colour's resources and what it ran when the deployment started. */
export const ColourStateSchema = z.object({
  colour: ColourSchema,
  serviceName: z.string(),
  /** A web service's colour's target group; a worker's colours have none. */
  targetGroupArn: z.string().optional(),
});
export type ColourState = z.infer<typeof ColourStateSchema>;

export const ImageSchema = z.object({
  repositoryName: z.string(),
  tag: z.string().optional(),
  digest: z.string().regex(DIGEST),
  /** repository URI + "@" + digest: what the task definition runs. */
  uri: z.string(),
});

export const SecretPinSchema = z.object({
  arn: z.string(),
  versionId: z.string(),
  keys: z.array(z.string()),
});
export type SecretPin = z.infer<typeof SecretPinSchema>;

/** A Secrets Manager secret a container references: which keys, at which version (none: whatever is AWSCURRENT at task start). */
export const SecretRefSchema = z.object({
  arn: z.string(),
  versionId: z.string().optional(),
  keys: z.array(z.string()),
});
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** Which keys of the app-config secret differ between the live release's version and the new one. Names only. */
export const ConfigDiffSchema = z.object({
  secretArn: z.string(),
  /** The version the live release pinned; null when it pinned none (or several). */
  fromVersionId: z.string().nullable(),
  toVersionId: z.string(),
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.string()),
  /** Why the lists are empty although nothing could be compared. */
  note: z.string().optional(),
});
export type ConfigDiff = z.infer<typeof ConfigDiffSchema>;

/** One step of planSteps(strategy), as a plan or a record shows it: the weight, the pause after it, and whether it waits for `baton promote`. */
export const PlanStepSchema = z.object({
  weight: z.number(),
  pauseSeconds: z.number(),
  promotion: z.object({ onTimeout: z.enum(['rollback', 'proceed']) }).optional(),
});

/** What a dry run would do; ids and ARNs only. */
export const PlanSchema = z.object({
  service: z.string(),
  liveColour: ColourSchema,
  targetColour: ColourSchema,
  image: z.object({ current: z.string(), next: z.string() }),
  taskDefinition: z.object({ base: z.string(), family: z.string(), changes: z.array(z.string()) }),
  secretVersions: z.object({ current: z.array(z.string()), next: z.string().optional() }),
  configDiff: ConfigDiffSchema.optional(),
  /** For a rollback: the revision redeployed exactly. */
  restores: z.object({ deploymentId: z.string(), taskDefinitionArn: z.string() }).optional(),
  traffic: z.array(PlanStepSchema),
  /** A worker's tasks the steps share (its old colour's count): each step's weight is a number of them. */
  tasks: z.number().int().min(1).optional(),
  bakeSeconds: z.number(),
  /** For a service with autoscaling: what happens to each colour's scalable target (lambdas/shared/scaling/). */
  scaling: z.array(z.string()).optional(),
});
export type Plan = z.infer<typeof PlanSchema>;

/** Step Functions' Catch output: `{ Error, Cause }`. */
export const CaughtErrorSchema = z.object({
  Error: z.string(),
  Cause: z.string().optional(),
});
export type CaughtError = z.infer<typeof CaughtErrorSchema>;

/** One HTTP check of the smoke test: the URL, and a summary line (status, latency; the problems and a body excerpt when it failed). */
const SmokeCheckSchema = z.object({
  url: z.string(),
  ok: z.boolean(),
  summary: z.string(),
});
export type SmokeCheck = z.infer<typeof SmokeCheckSchema>;

/** What one attempt of the smoke test found (the smoke-test function's result, at $.smoke). */
export const SmokeRunSchema = z.object({
  /** 1 for the first attempt; each retry counts one more. */
  attempt: z.number().int().min(1),
  passed: z.boolean(),
  startedAt: z.string(),
  endedAt: z.string(),
  checks: z.array(SmokeCheckSchema),
});
export type SmokeRun = z.infer<typeof SmokeRunSchema>;

/** QUEUED: a newer image waits in the service's queue for the deployment holding the lock (lambdas/shared/queue.ts). */
export const TerminalStatusSchema = z.enum([
  'SUCCEEDED',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'REJECTED',
  'DUPLICATE',
  'SUPERSEDED',
  'QUEUED',
]);
export type TerminalStatus = z.infer<typeof TerminalStatusSchema>;

/** The payload fields the state machine itself references (Wait and Choice states). */
export const PAYLOAD_PATHS = {
  waitSeconds: '$.wait.seconds',
  rolloutStable: '$.rollout.stable',
  trafficComplete: '$.traffic.complete',
  bakeComplete: '$.bake.complete',
  retireDue: '$.retire.due',
  smoke: '$.smoke',
  smokePassed: '$.smoke.passed',
  rollbackStage: '$.rollback.stage',
  outcomeError: '$.outcome.error',
  outcomeCause: '$.outcome.cause',
  outcomeStatus: '$.outcome.status',
  dryRun: '$.request.dryRun',
  approvalRequired: '$.approval.required',
  approvalResult: '$.approvalResult',
  recover: '$.request.recover',
  error: '$.error',
  /** The caught error's name and cause (CaughtErrorSchema), for a Fail state's errorPath and causePath. */
  errorName: '$.error.Error',
  errorCause: '$.error.Cause',
  failedPhase: '$.failedPhase',
  outcome: '$.outcome',
  /** Where Record rollback failure finds what the last rollback attempt failed with (record-failure's input). */
  rollbackError: '$.rollbackError',
  /** Set by Load deployment for recovery when the deployment already ended or never changed anything. */
  nothingToRecover: '$.nothingToRecover',
} as const;
