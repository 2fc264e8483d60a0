/**
 * Multi-service releases: the release input, the order its services deploy in
 * (waves, from the config's dependsOn) and the payload the release branch of
 * the state machine carries. A release deploys every service with the same
 * phases as a single deployment, each under its own deployment id and lock;
 * the release ties them together and owns the verdict.
 */
import * as z from 'zod';
import type { BatonConfig, ServiceConfig } from './config-schema.ts';
import { CaughtErrorSchema, plainText } from './contract.ts';
import { InvalidInputError, UnknownServiceError } from './errors.ts';
import { jsonShapeProblems } from './json-shape.ts';
import { DeploymentStateSchema } from './stages.ts';
import { describeStrategy, planSteps, StrategySchema } from './strategy.ts';
import { formatIssues } from './zod-format.ts';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** A release's own name, e.g. "2026-11-22.1": what people call it; the execution name is its id. */
const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const ReleaseServiceSchema = z
  .strictObject({
    imageTag: z.string().regex(TAG, { message: 'not a valid image tag (letters, digits, ".", "_", "-"; at most 128)' }).optional(),
    imageDigest: z.string().regex(DIGEST, { message: 'expected "sha256:" followed by 64 lowercase hex digits' }).optional(),
  })
  .superRefine((service, ctx) => {
    if (service.imageTag && service.imageDigest)
      ctx.addIssue({ code: 'custom', path: ['imageDigest'], message: 'give imageTag or imageDigest, not both' });
    if (!service.imageTag && !service.imageDigest)
      ctx.addIssue({ code: 'custom', path: ['imageTag'], message: 'give imageTag or imageDigest' });
  });

/** How production weight moves: each service by its own strategy, or all services at the same steps. */
const ShiftModeSchema = z.enum(['each', 'together']);
export type ShiftMode = z.infer<typeof ShiftModeSchema>;

/** Keeps the release's payload and its deployment ids well inside Step Functions' limits. */
const MAX_RELEASE_SERVICES = 20;

export const ReleaseRequestSchema = z
  .strictObject({
    release: z
      .string()
      .regex(RELEASE_NAME, { message: 'name the release: letters, digits, ".", "_", "-"; at most 64, e.g. "2026-11-22.1"' }),
    services: z
      .record(z.string().min(1), ReleaseServiceSchema)
      .refine((services) => Object.keys(services).length > 0, { message: 'name at least one service and its image' }),
    shift: ShiftModeSchema.default('each'),
    /** Overrides every service's strategy; with shift "together" it is the one plan all services follow. */
    strategy: StrategySchema.optional(),
    /** Plan and validate every service, take no lock, write nothing: the execution's output is the plans. */
    dryRun: z.boolean().default(false),
    reason: plainText(512).optional(),
    trigger: z.enum(['console', 'cli']).default('console'),
    requestedBy: plainText(256).optional(),
  })
  .superRefine((request, ctx) => {
    const names = Object.keys(request.services);
    if (names.length > MAX_RELEASE_SERVICES)
      ctx.addIssue({
        code: 'custom',
        path: ['services'],
        message: `at most ${MAX_RELEASE_SERVICES} services per release (got ${names.length})`,
      });
  });
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>;

export function parseReleaseRequest(raw: unknown): ReleaseRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError(
      'release input must be a JSON object such as {"release": "2026-11-22.1", "services": {"api": {"imageTag": "v2"}}}',
    );
  }
  const shape = jsonShapeProblems(raw);
  if (shape.length > 0) throw new InvalidInputError(`invalid release input: ${shape.join('; ')}`);
  const parsed = ReleaseRequestSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`invalid release input: ${formatIssues(parsed.error, ReleaseRequestSchema)}`);
  return parsed.data;
}

/**
 * The release's services in waves: a service goes in the wave after the last
 * of the release's services it depends on, directly or through services the
 * release leaves alone. Services with no order between them share a wave.
 * Unknown services and dependency cycles are refused, naming the services.
 */
export function planWaves(config: Pick<BatonConfig, 'services'>, names: readonly string[]): string[][] {
  const byName = new Map(config.services.map((service) => [service.name, service]));
  const unknown = names.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new UnknownServiceError(
      `invalid release input: services: ${unknown.map((name) => `"${name}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not configured (known: ${config.services.map((s) => s.name).join(', ')})`,
    );
  }
  const included = new Set(names);
  const wave = new Map<string, number>();
  const visit = (name: string, path: readonly string[]): number => {
    const seen = path.indexOf(name);
    if (seen >= 0) {
      const cycle = [...path.slice(seen), name];
      throw new InvalidInputError(
        `invalid release input: services: dependency cycle ${cycle.join(' -> ')}; no order can deploy these services`,
      );
    }
    const known = wave.get(name);
    if (known !== undefined) return known;
    let level = 0;
    for (const dependency of byName.get(name)?.dependsOn ?? []) {
      const below = visit(dependency, [...path, name]);
      // A service outside the release passes its dependencies' order through without taking a wave itself.
      level = Math.max(level, included.has(dependency) ? below + 1 : below);
    }
    wave.set(name, level);
    return level;
  };
  for (const name of names) visit(name, []);
  const waves: string[][] = [];
  for (const name of [...names].sort()) {
    const level = wave.get(name) ?? 0;
    while (waves.length <= level) waves.push([]);
    waves[level]?.push(name);
  }
  return waves.filter((services) => services.length > 0);
}

/** A release's deploy order: waves in order, the services of a wave joined by "+" ("api -> web + worker"). */
export function formatOrder(waves: readonly (readonly string[])[]): string {
  return waves.map((wave) => wave.join(' + ')).join(' -> ');
}

/** The deployment id of one service in a release: the release's id (its execution name) and the service. */
export function serviceDeploymentId(releaseId: string, service: string): string {
  return `${releaseId}-${service}`;
}

/** With shift "together" every service follows one plan: the release's strategy, or the one all services share. */
export function togetherStrategy(request: ReleaseRequest, services: readonly ServiceConfig[]): ReleaseRequest['strategy'] {
  const strategy = request.strategy ?? sharedStrategy(services);
  // One plan, one clock: `baton promote` names one service, and would leave the others holding.
  if (strategy && planSteps(strategy).some((step) => step.promotion)) {
    throw new InvalidInputError(
      `invalid release input: strategy: shift "together" holds every service for the same time; a step that waits for "baton promote" ("pause": "approval") works with shift "each", where each service is promoted by name`,
    );
  }
  return strategy;
}

/** The strategy every service of a "together" release shares, from their configs. */
function sharedStrategy(services: readonly ServiceConfig[]): ReleaseRequest['strategy'] {
  const [first, ...rest] = services;
  if (!first) return undefined;
  const differing = rest.filter((service) => JSON.stringify(service.strategy) !== JSON.stringify(first.strategy));
  if (differing.length > 0) {
    const described = [first, ...differing].map((service) => `${service.name} (${describeStrategy(service.strategy)})`).join(', ');
    throw new InvalidInputError(
      `invalid release input: strategy: shift "together" moves every service at the same steps, but ${described} have different strategies; give "strategy" in the release input`,
    );
  }
  return first.strategy;
}

/** The payload of the release branch. */
export const ReleaseStateSchema = z.object({
  releaseId: z.string(),
  executionArn: z.string(),
  startedAt: z.string(),
  request: ReleaseRequestSchema,
  /** Service names wave by wave: the deploy order. */
  order: z.array(z.array(z.string())).default([]),
  /** The services' deployment states, wave by wave (filled by plan release, advanced by the waves; dropped once gathered). */
  waves: z.array(z.array(DeploymentStateSchema)).default([]),
  /** All services' states once every wave passed verify (gathered from the waves). */
  services: z.array(DeploymentStateSchema).optional(),
  /** Shift "together": whether the common plan is done. */
  traffic: z.object({ complete: z.boolean() }).optional(),
  /** Set by a Catch: what stopped the release. */
  error: CaughtErrorSchema.optional(),
  warnings: z.array(z.string()).default([]),
});
export type ReleaseState = z.infer<typeof ReleaseStateSchema>;

/** The payload fields of the release branch the state machine references. */
export const RELEASE_PATHS = {
  waves: '$.waves',
  services: '$.services',
  /** Every service state of every wave, as one list (a JSONPath with wildcards). */
  allServices: '$.waves[*][*]',
  shift: '$.request.shift',
  dryRun: '$.request.dryRun',
  order: '$.order',
  plans: '$.waves[*][*].plan',
  trafficComplete: '$.traffic.complete',
  rollbacks: '$.rollbacks',
  releaseInput: '$.request.release',
  recoverRelease: '$.request.recoverRelease',
} as const;
