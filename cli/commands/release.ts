/**
 * `baton release`: start a multi-service release from a JSON file and, with
 * --watch, follow it to its verdict. The file is checked against the config
 * (fields, known services, an order that exists) before anything starts, so
 * a mistake costs no execution.
 */
import { readFileSync } from 'node:fs';
import { MAX_DEPLOYMENT_ID_LENGTH } from '../../lambdas/shared/contract.ts';
import { BatonError } from '../../lambdas/shared/errors.ts';
import { executionConsoleUrl } from '../../lambdas/shared/names.ts';
import { formatOrder, parseReleaseRequest, planWaves, type ReleaseRequest, togetherStrategy } from '../../lambdas/shared/release.ts';
import { type Command, intervalOf, type OptionValues } from '../command.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { operator } from '../identity.ts';
import { print, say } from '../output.ts';
import { followRelease, followReleaseDryRun } from '../release-progress.ts';
import { startExecution, utcStamp } from '../requests.ts';
import { releaseHistoryCommand, releaseStatus } from './release-records.ts';

/** Step Functions' limit on execution names. */
const MAX_EXECUTION_NAME = 80;
const NAME = /^[A-Za-z0-9_-]+$/;

/** A release checked against the config: the request as the state machine gets it, and its waves. */
interface ReleasePlan {
  readonly request: ReleaseRequest;
  readonly waves: string[][];
}

/** The longest name an execution of these services may have: 80, and room for "-<service>" in the deployment ids. */
function maxNameLength(services: readonly string[]): number {
  const longest = Math.max(0, ...services.map((service) => service.length));
  return Math.min(MAX_EXECUTION_NAME, MAX_DEPLOYMENT_ID_LENGTH - 1 - longest);
}

/**
 * `release-<release>-<UTC time>`, characters outside [A-Za-z0-9_-] as "_". A
 * long release name is shortened; the time, which makes the name unique, is kept.
 */
export function releaseExecutionName(release: string, services: readonly string[], now = new Date(), dryRun = false): string {
  // A dry run ends with -dry-run, so it never takes the name of the real release (as for deploy).
  const tail = `-${utcStamp(now)}${dryRun ? '-dry-run' : ''}`;
  return `release-${release.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, maxNameLength(services) - tail.length) + tail;
}

function checkName(name: string, services: readonly string[]): string {
  const max = maxNameLength(services);
  if (!NAME.test(name) || name.length > max) {
    throw new UsageError(`--name: use letters, digits, "-" and "_" only, at most ${max} characters (got "${name}")`);
  }
  return name;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read release file ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`release file ${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/**
 * Reads and checks the release file as plan release will: the fields, then
 * the services against the config (unknown ones, dependency cycles, a common
 * strategy for shift "together"). The CLI is the trigger unless the file
 * says otherwise. The requester is who runs baton (identity.ts), not what a
 * file says: a file that sets requestedBy is refused.
 */
function planRelease(ctx: CliContext, path: string, dryRun = false): ReleasePlan {
  const raw = readJson(path);
  if (typeof raw === 'object' && raw !== null && 'requestedBy' in raw)
    throw new UsageError(
      `release file ${path}: requestedBy: baton records your AWS identity as the requester; remove the field from the file`,
    );
  try {
    const fields =
      typeof raw === 'object' && raw !== null && !Array.isArray(raw)
        ? { trigger: 'cli', ...raw, ...(dryRun ? { dryRun: true } : {}) }
        : raw;
    const request = parseReleaseRequest(fields);
    const waves = planWaves(ctx.config, Object.keys(request.services));
    if (request.shift === 'together') {
      const configured = new Map(ctx.config.services.map((service) => [service.name, service]));
      togetherStrategy(
        request,
        waves.flat().flatMap((name) => configured.get(name) ?? []),
      );
    }
    return { request, waves };
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(`release file ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

async function run(ctx: CliContext, target: string | undefined, values: OptionValues): Promise<number> {
  const intervalSeconds = intervalOf(values);
  if (target !== undefined) throw new UsageError(`release: unexpected argument "${target}" (give the release with --file <release.json>)`);
  if (!values.file) throw new UsageError('release: give the release with --file <release.json>');
  if (values['dry-run'] && values.watch) throw new UsageError('release: --dry-run waits for its result already; drop --watch');
  const checked = planRelease(ctx, values.file, values['dry-run']);
  // Asked of STS once the file passed: a mistake in it needs no credentials.
  const plan = { ...checked, request: { ...checked.request, requestedBy: (await operator(ctx)).arn } };
  const services = plan.waves.flat();
  const name = values.name
    ? checkName(values.name, services)
    : releaseExecutionName(plan.request.release, services, new Date(), plan.request.dryRun);
  const started = await startExecution(
    ctx,
    name,
    plan.request,
    `a release of that id was already started. See it with "baton release status ${name}"; pass another --name to start it again on purpose.`,
  );
  const summary = {
    release: plan.request.release,
    releaseId: started.name,
    executionArn: started.executionArn,
    waves: plan.waves,
    order: formatOrder(plan.waves),
    shift: plan.request.shift,
    consoleUrl: executionConsoleUrl(started.executionArn, ctx.region),
  };
  const human = [
    `Started ${plan.request.dryRun ? 'a dry run of release' : 'release'} ${summary.release}`,
    `  execution  ${summary.releaseId}`,
    `  order      ${summary.order}`,
    `  shift      ${summary.shift}`,
    `  ${summary.consoleUrl}`,
  ];
  if (plan.request.dryRun) {
    say(ctx, human);
    return followReleaseDryRun(ctx, summary, intervalSeconds);
  }
  if (!values.watch) {
    print(ctx, [...human, `See it with: baton status ${summary.executionArn}`], summary);
    return 0;
  }
  say(ctx, human);
  return followRelease(ctx, summary, intervalSeconds);
}

export const release: Command = {
  name: 'release',
  usage: 'baton release --file <release.json> [--watch | --dry-run] [--name <execution-name>] [--interval <seconds>]',
  summary: 'start a multi-service release: services deploy in dependency order and roll back together',
  details: `The file names the release and the image of each service:
  {"release": "2026-11-22.1", "services": {"api": {"imageTag": "v1.1.0"}, "web": {"imageDigest": "sha256:..."}}}
Optional fields: "shift" ("each": every service by its own strategy, the default; "together": all at the
same steps), "strategy", "reason" and "trigger" (default: "cli"). The requester is your AWS identity
(STS GetCallerIdentity); a file that sets "requestedBy" exits 2.
The file is checked against the config before anything starts: a bad field, an unknown service or a
dependency cycle exits 2 naming it. Services deploy in waves (dependencies first); traffic moves once
every service is verified; if one fails, every service that changed is rolled back, last wave first.

Options:
  --file <file>          the release, as JSON
  --name <name>          execution name, which is the release id (default: release-<release>-<UTC time>)
  --watch                follow the release until it ends: each service's status changes, then the verdict
                         (cause, services rolled back, services untouched); exit 1 unless it succeeded;
                         with --json, NDJSON (a line per change, the end last)
  --dry-run              plan and validate every service, take no lock, change and record nothing;
                         waits for the result and prints the order and each service's plan
  --interval <seconds>   refresh period with --watch or --dry-run (default 2, at least 1)

Examples:
  baton release --file release.json --dry-run
  baton release --file release.json --watch
  baton release --file release.json --name release-2026-11-22_1-retry --json

See a release with "baton release status <release>" (its name or id), the latest with "baton release history".`,
  options: ['file', 'name', 'watch', 'dry-run', 'interval'],
  subcommands: [releaseStatus, releaseHistoryCommand],
  run,
};
