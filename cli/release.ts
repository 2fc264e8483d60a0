/**
 * `baton release`: start a multi-service release from a JSON file and, with
 * --watch, follow it to its verdict. The file is checked against the config
 * (fields, known services, an order that exists) before anything starts, so
 * a mistake costs no execution.
 */

import { readFileSync } from 'node:fs';
import type { Plan } from '../lambdas/shared/contract.ts';
import { BatonError } from '../lambdas/shared/errors.ts';
import { executionConsoleUrl } from '../lambdas/shared/names.ts';
import type { DeploymentRecord } from '../lambdas/shared/records/deployment.ts';
import type { ReleaseRecord } from '../lambdas/shared/records/release.ts';
import {
  formatOrder,
  parseReleaseRequest,
  planWaves,
  type ReleaseRequest,
  serviceDeploymentId,
  togetherStrategy,
} from '../lambdas/shared/release.ts';
import { operator, print, startExecution, utcStamp } from './commands.ts';
import type { CliContext } from './context.ts';
import { readRecord, readReleaseRecord } from './deployments.ts';
import { EXIT_DEPLOYMENT_FAILED, UsageError } from './errors.ts';
import { describeExecution, formatDuration, renderReleaseVerdict } from './view.ts';

/** Step Functions' limit on execution names. */
const MAX_EXECUTION_NAME = 80;
/** Deployment ids (`<release id>-<service>`) are at most this long (contract.ts DEPLOYMENT_ID). */
const MAX_DEPLOYMENT_ID = 160;
const NAME = /^[A-Za-z0-9_-]+$/;

export interface ReleaseOptions {
  readonly file?: string;
  readonly name?: string;
  readonly watch: boolean;
  /** Plan and validate only; wait for the result and print the plans. */
  readonly dryRun?: boolean;
  readonly intervalSeconds: number;
}

/** A release checked against the config: the request as the state machine gets it, and its waves. */
export interface ReleasePlan {
  readonly request: ReleaseRequest;
  readonly waves: string[][];
}

/** The longest name an execution of these services may have: 80, and room for "-<service>" in the deployment ids. */
function maxNameLength(services: readonly string[]): number {
  const longest = Math.max(0, ...services.map((service) => service.length));
  return Math.min(MAX_EXECUTION_NAME, MAX_DEPLOYMENT_ID - 1 - longest);
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
 * strategy for shift "together"). The CLI is the trigger, and the operator
 * the requester, unless the file says otherwise.
 */
export function planRelease(ctx: CliContext, path: string, dryRun = false): ReleasePlan {
  const raw = readJson(path);
  try {
    const fields =
      typeof raw === 'object' && raw !== null && !Array.isArray(raw)
        ? { trigger: 'cli', requestedBy: operator(), ...raw, ...(dryRun ? { dryRun: true } : {}) }
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

export async function release(ctx: CliContext, options: ReleaseOptions): Promise<number> {
  if (!options.file) throw new UsageError('release: give the release with --file <release.json>');
  if (options.dryRun && options.watch) throw new UsageError('release: --dry-run waits for its result already; drop --watch');
  const plan = planRelease(ctx, options.file, options.dryRun);
  const services = plan.waves.flat();
  const name = options.name
    ? checkName(options.name, services)
    : releaseExecutionName(plan.request.release, services, new Date(), plan.request.dryRun);
  const started = await startExecution(
    ctx,
    name,
    plan.request,
    `a release of that id was already started. See it with "baton status <execution-arn>"; pass another --name to start it again on purpose.`,
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
    if (!ctx.json) ctx.io.out(`${human.join('\n')}\n`);
    return followDryRun(ctx, summary, options.intervalSeconds);
  }
  if (!options.watch) {
    print(ctx, [...human, `See it with: baton status ${summary.executionArn}`], summary);
    return 0;
  }
  if (!ctx.json) ctx.io.out(`${human.join('\n')}\n`);
  return followRelease(ctx, summary, options.intervalSeconds);
}

/**
 * Polls the execution, the release record and the services' records until
 * the execution ends: a line for each change of a service's status (and when
 * the joint rollback starts), then the verdict. Exit 0 only if the release succeeded.
 */
async function followRelease(
  ctx: CliContext,
  summary: { release: string; releaseId: string; executionArn: string; waves: string[][] },
  intervalSeconds: number,
): Promise<number> {
  const planned = summary.waves.flat();
  const width = Math.max(...planned.map((service) => service.length));
  const seen = new Map<string, string>();
  let rollingBack = false;
  for (;;) {
    // The execution first: once it has ended, the records read after it are final.
    const described = await describeExecution(ctx, summary.executionArn);
    const status = described.status ?? 'UNKNOWN';
    const record = await readReleaseRecord(ctx, summary.releaseId);
    if (!ctx.json && !rollingBack && record?.rollingBack) {
      rollingBack = true;
      ctx.io.out(
        `Rolling back ${record.rollingBack.length ? record.rollingBack.join(' -> ') : 'nothing'}${record.cause ? ` (${record.cause.error})` : ''}\n`,
      );
    }
    const services: Record<string, DeploymentRecord | null> = {};
    for (const service of planned) {
      const deploymentId = record?.services[service]?.deploymentId ?? serviceDeploymentId(summary.releaseId, service);
      const deployment = await readRecord(ctx, deploymentId);
      services[service] = deployment ?? null;
      if (!deployment || seen.get(service) === deployment.status) continue;
      seen.set(service, deployment.status);
      if (!ctx.json) ctx.io.out(`${serviceLine(service.padEnd(width), deployment, record)}\n`);
    }
    if (status !== 'RUNNING') {
      const verdict = record?.status ?? status;
      if (ctx.json) ctx.io.out(`${JSON.stringify({ ...summary, status, record: record ?? null, services })}\n`);
      else {
        // The execution's own times; the release record's while Step Functions has not reported its stop yet.
        const [from, to] =
          described.startDate && described.stopDate ? [described.startDate, described.stopDate] : [record?.startedAt, record?.endedAt];
        const took = from && to ? ` after ${formatDuration(seconds(from, to))}` : '';
        ctx.io.out(`Release ${summary.release} ended: execution ${status}${took}\n`);
        const lines =
          record && record.status !== 'IN_PROGRESS'
            ? renderReleaseVerdict(record)
            : [
                `${status}: ${described.error ?? ''}: ${described.cause ?? ''}`,
                // A release stopped without a verdict: the backstop starts a recovery execution that rolls it back.
                ...(record ? ['  the release has no verdict yet: the backstop rolls it back in a recovery execution'] : []),
              ];
        ctx.io.out(`${lines.join('\n')}\n`);
      }
      return status === 'SUCCEEDED' && verdict === 'SUCCEEDED' ? 0 : EXIT_DEPLOYMENT_FAILED;
    }
    await ctx.io.sleep(intervalSeconds * 1000);
  }
}

/**
 * A dry run writes no record: waits for the execution and prints its output
 * (the order and each service's plan) or its refusal. Exit 0 only if every
 * service validated.
 */
async function followDryRun(ctx: CliContext, summary: { release: string; executionArn: string }, intervalSeconds: number): Promise<number> {
  for (;;) {
    const described = await describeExecution(ctx, summary.executionArn);
    if (described.status === 'RUNNING') {
      await ctx.io.sleep(intervalSeconds * 1000);
      continue;
    }
    const output = parseOutput(described.output);
    // Succeeded without the plans in its output: not a dry run this CLI understands, so not a pass.
    const passed = described.status === 'SUCCEEDED' && output !== undefined;
    if (ctx.json) {
      ctx.io.out(
        `${JSON.stringify({ ...summary, status: described.status, ...(output ? { plan: output } : {}), error: described.error ?? null, cause: described.cause ?? null })}\n`,
      );
    } else if (passed) {
      ctx.io.out(`${renderReleasePlan(output).join('\n')}\n`);
    } else if (described.status === 'SUCCEEDED') {
      ctx.io.out(`Dry run of release ${summary.release} ended without a plan in its output; see the execution in the console\n`);
    } else {
      // The cause already says which release, which service and why.
      ctx.io.out(
        `${described.cause ?? `Dry run of release ${summary.release} ended ${described.status ?? 'UNKNOWN'}: ${described.error ?? ''}`}\n`,
      );
    }
    return passed ? 0 : EXIT_DEPLOYMENT_FAILED;
  }
}

interface ReleasePlanOutput {
  readonly release: string;
  readonly waves: string[][];
  readonly plans: Plan[];
}

function parseOutput(text: string | undefined): ReleasePlanOutput | undefined {
  try {
    const parsed = JSON.parse(text ?? 'null') as Partial<ReleasePlanOutput> | null;
    return parsed && Array.isArray(parsed.waves) && Array.isArray(parsed.plans) ? (parsed as ReleasePlanOutput) : undefined;
  } catch {
    return undefined;
  }
}

/** The order, then per service: colours, image, task definition changes, config diff and traffic steps. */
export function renderReleasePlan(output: ReleasePlanOutput): string[] {
  const lines = [
    `Dry run of release ${output.release} passed: every service validated, nothing changed`,
    `  order  ${formatOrder(output.waves)}`,
  ];
  for (const plan of output.plans) {
    lines.push(`  ${plan.service}: ${plan.liveColour} -> ${plan.targetColour}, ${plan.image.current} -> ${plan.image.next}`);
    // The changes include the app-config version and its key diff when the version changes.
    lines.push(...plan.taskDefinition.changes.map((change) => `    ${change}`));
    if (plan.configDiff?.note) lines.push(`    app config: ${plan.configDiff.note}`);
    lines.push(`    traffic ${plan.traffic.map((step) => `${step.weight} %`).join(' -> ')}, bake ${plan.bakeSeconds} s`);
  }
  return lines;
}

function seconds(from: Date | string, to: Date | string): number {
  return Math.max(0, Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000));
}

/** "api     IN_PROGRESS  wave 1, deployment <id>", or once it ended "api     SUCCEEDED    11m00s  <reason>". */
function serviceLine(name: string, deployment: DeploymentRecord, record: ReleaseRecord | undefined): string {
  if (!deployment.endedAt) {
    const wave = record?.services[deployment.service]?.wave;
    return `  ${name}  ${deployment.status.padEnd(11)}  ${wave ? `wave ${wave}, ` : ''}deployment ${deployment.deploymentId}`;
  }
  const took = formatDuration(seconds(deployment.startedAt, deployment.endedAt));
  return `  ${name}  ${deployment.status.padEnd(11)}  ${took}  ${deployment.outcomeReason ?? ''}`.trimEnd();
}
