/**
 * The baton subcommands. Each reads what it needs from Step Functions and the
 * deployment table and writes either readable lines or, with --json, one JSON
 * document. Errors are CliErrors whose message says what to do next.
 */
import { userInfo } from 'node:os';
import {
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { type DeploymentRequest, DeploymentRequestSchema } from '../lambdas/shared/contract.ts';
import { executionConsoleUrl } from '../lambdas/shared/names.ts';
import { formatOrder } from '../lambdas/shared/release.ts';
import { type Strategy, StrategySchema } from '../lambdas/shared/strategy.ts';
import { formatIssues } from '../lambdas/shared/zod-format.ts';
import { type CliContext, serviceNamed } from './context.ts';
import { history, readLock, readRecord, readReleaseRecord } from './deployments.ts';
import { ConflictError, EXIT_DEPLOYMENT_FAILED, NotFoundError, UsageError } from './errors.ts';
import { executionView, formatDuration, renderReleaseVerdict, renderView } from './view.ts';

export function print(ctx: CliContext, human: string[] | string, json: unknown): void {
  if (ctx.json) ctx.io.out(`${JSON.stringify(json)}\n`);
  else ctx.io.out(`${Array.isArray(human) ? human.join('\n') : human}\n`);
}

/** Who runs the CLI: recorded as requestedBy. */
export function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `canary:10:300`, `linear:25:60`, `all-at-once`, or the JSON form. */
export function parseStrategy(text: string): Strategy {
  let raw: unknown;
  if (text.trim().startsWith('{')) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new UsageError(`--strategy: not valid JSON: ${text}`);
    }
  } else {
    const [type, a, b] = text.split(':');
    if (type === 'canary') raw = { type, percent: Number(a), bakeSeconds: Number(b) };
    else if (type === 'linear') raw = { type, stepPercent: Number(a), intervalSeconds: Number(b) };
    else raw = { type };
  }
  const parsed = StrategySchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(
      `--strategy: ${formatIssues(parsed.error)} (use all-at-once, canary:<percent>:<bakeSeconds>, linear:<stepPercent>:<intervalSeconds> or JSON)`,
    );
  }
  return parsed.data;
}

const OPTION_OF_FIELD: Record<string, string> = {
  imageTag: '--tag',
  imageDigest: '--digest',
  strategy: '--strategy',
  reason: '--reason',
  rollbackTo: '--to',
};

export function buildRequest(fields: Record<string, unknown>): DeploymentRequest {
  const parsed = DeploymentRequestSchema.safeParse(fields);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      return `${OPTION_OF_FIELD[field] ?? field}: ${issue.message}`;
    });
    throw new UsageError(problems.join('; '));
  }
  return parsed.data;
}

/** The UTC time to the second, as execution names carry it: 20261123T090000Z. */
export function utcStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * Never the name of an earlier execution, even one whose name Step Functions
 * freed (90 days after it closed) while its record lives on (400 days): every
 * name carries the UTC date. For a digest the date only, so a second start
 * of the same image that day is refused by its name; for a tag the time to
 * the second.
 */
export function executionName(request: DeploymentRequest, now = new Date()): string {
  const suffix = request.dryRun ? '-dry-run' : '';
  if (request.imageDigest) return `${request.service}-${request.imageDigest.slice(7, 19)}-${utcStamp(now).slice(0, 8)}${suffix}`;
  const stamp = utcStamp(now);
  const tag = (request.imageTag ?? 'image').replace(/[^A-Za-z0-9_-]/g, '_');
  // Step Functions allows 80 characters: a long tag is shortened, the stamp (what makes the name unique) and the suffix are kept.
  const tail = `-${stamp}${suffix}`;
  return `${request.service}-${tag}`.slice(0, 80 - tail.length) + tail;
}

export interface DeployOptions {
  readonly tag?: string;
  readonly digest?: string;
  readonly strategy?: string;
  readonly approval: boolean;
  readonly dryRun: boolean;
  readonly hotfix: boolean;
  readonly reason?: string;
  readonly name?: string;
  readonly watch: boolean;
  readonly intervalSeconds: number;
}

/** Starts an execution of the pipeline; an execution of that name already existing is a conflict (exit 4) explained by `taken`. */
export async function startExecution(
  ctx: CliContext,
  name: string,
  input: unknown,
  taken: string,
): Promise<{ executionArn: string; name: string }> {
  try {
    const out = await ctx.sfn.send(new StartExecutionCommand({ stateMachineArn: ctx.stateMachineArn, name, input: JSON.stringify(input) }));
    return { executionArn: out.executionArn ?? '', name };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists)
      throw new ConflictError(`an execution named ${name} already exists: ${taken}`, { cause: error });
    throw error;
  }
}

export async function startDeployment(
  ctx: CliContext,
  request: DeploymentRequest,
  name: string,
): Promise<{ executionArn: string; name: string }> {
  return startExecution(
    ctx,
    name,
    request,
    `this image was already started for ${request.service}. See it with "baton status ${request.service}"; pass --name <new-name> to start it again on purpose.`,
  );
}

export async function deploy(ctx: CliContext, serviceName: string | undefined, options: DeployOptions): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const request = buildRequest({
    service: service.name,
    ...(options.tag ? { imageTag: options.tag } : {}),
    ...(options.digest ? { imageDigest: options.digest } : {}),
    ...(options.strategy ? { strategy: parseStrategy(options.strategy) } : {}),
    ...(options.approval ? { approval: true } : {}),
    dryRun: options.dryRun,
    hotfix: options.hotfix,
    ...(options.reason ? { reason: options.reason } : {}),
    trigger: 'cli',
    requestedBy: operator(),
  });
  const started = await startDeployment(ctx, request, options.name ?? executionName(request));
  const url = executionConsoleUrl(started.executionArn, ctx.region);
  if (!options.watch) {
    print(ctx, [`Started ${started.name}`, `  ${url}`, `Follow it with: baton watch ${service.name}`], { ...started, consoleUrl: url });
    return 0;
  }
  if (!ctx.json) ctx.io.out(`Started ${started.name}\n  ${url}\n`);
  return follow(ctx, service.name, started.executionArn, options.intervalSeconds);
}

/** Redraws the view until the execution ends; exit 0 only if it succeeded. */
export async function follow(ctx: CliContext, service: string, executionArn: string, intervalSeconds: number): Promise<number> {
  let drawn = 0;
  for (;;) {
    const view = await executionView(ctx, executionArn);
    if (!ctx.json) {
      const lines = renderView(service, view);
      // On a terminal, move up over the last frame and redraw it; elsewhere, append.
      if (ctx.io.isTty && drawn > 0) ctx.io.out(`\u001b[${drawn}A\u001b[J`);
      if (ctx.io.isTty || view.status !== 'RUNNING') {
        ctx.io.out(`${lines.join('\n')}\n`);
        drawn = lines.length;
      }
    }
    if (view.status !== 'RUNNING') {
      const record = await readRecord(ctx, view.name);
      if (ctx.json) ctx.io.out(`${JSON.stringify({ ...view, record: record ?? null })}\n`);
      else if (record) ctx.io.out(`${record.status}: ${record.outcomeReason ?? ''}\n`);
      return view.status === 'SUCCEEDED' ? 0 : EXIT_DEPLOYMENT_FAILED;
    }
    await ctx.io.sleep(intervalSeconds * 1000);
  }
}

export async function watch(ctx: CliContext, serviceName: string | undefined, intervalSeconds: number): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const lock = await readLock(ctx, service.name);
  if (!lock) throw new NotFoundError(`no deployment of ${service.name} is running; see the last ones with "baton history ${service.name}"`);
  return follow(ctx, service.name, lock.executionArn, intervalSeconds);
}

export async function status(ctx: CliContext, target: string | undefined): Promise<number> {
  if (target?.startsWith('arn:')) {
    const view = await executionView(ctx, target);
    // A release's execution has a release record: its order and verdict, then each service's record.
    const release = view.kind === 'release' ? await readReleaseRecord(ctx, view.name) : undefined;
    const record = release ? undefined : await readRecord(ctx, view.name);
    if (release) {
      const services = await Promise.all(
        release.waves.flat().map(async (name) => ({ name, record: await readRecord(ctx, release.services[name]?.deploymentId ?? '') })),
      );
      print(
        ctx,
        [
          ...renderView('', view),
          `release ${release.release}: ${formatOrder(release.waves)}`,
          ...services.map(
            ({ name, record: service }) => `  ${name.padEnd(8)}${service?.status ?? 'not recorded'}  ${service?.deploymentId ?? ''}`,
          ),
          ...(release.status === 'IN_PROGRESS' ? ['release in progress'] : renderReleaseVerdict(release)),
        ],
        { ...view, release, services: Object.fromEntries(services.map(({ name, record: service }) => [name, service ?? null])) },
      );
      return 0;
    }
    print(
      ctx,
      [...renderView(record?.service ?? '', view), ...(record ? [`record: ${record.status} ${record.outcomeReason ?? ''}`] : [])],
      {
        ...view,
        record: record ?? null,
      },
    );
    return 0;
  }
  const services = target ? [serviceNamed(ctx, target)] : ctx.config.services;
  const rows = [];
  for (const service of services) {
    const lock = await readLock(ctx, service.name);
    const [last] = await history(ctx, service.name, 1);
    const running = lock ? await executionView(ctx, lock.executionArn) : undefined;
    rows.push({ service: service.name, running: running ?? null, last: last ?? null });
  }
  const human = rows.flatMap((row) => {
    const lines = [`${row.service}`];
    if (row.running) lines.push(...renderView(row.service, row.running).map((line) => `  ${line}`));
    else lines.push('  no deployment running');
    if (row.last) {
      lines.push(
        `  last: ${row.last.deploymentId} ${row.last.status} (${row.last.imageTag ?? row.last.imageDigest ?? '?'}, started ${row.last.startedAt})${row.last.outcomeReason ? `: ${row.last.outcomeReason}` : ''}`,
      );
      // The evidence of a failed deployment: where, on what signal, and what the rollback did.
      if (row.last.status !== 'SUCCEEDED') lines.push(...(row.last.evidence ?? []).map((line) => `    ${line}`));
      if (row.last.restores) lines.push(`    restored the release of ${row.last.restores}`);
      const diff = row.last.configDiff;
      if (diff?.fromVersionId && diff.fromVersionId !== diff.toVersionId) {
        lines.push(
          `    app config ${diff.fromVersionId} -> ${diff.toVersionId}: added [${diff.added.join(', ')}], removed [${diff.removed.join(', ')}], changed [${diff.changed.join(', ')}]`,
        );
      }
      lines.push(...(row.last.warnings ?? []).map((line) => `    warning: ${line}`));
    }
    return lines;
  });
  print(ctx, human, target ? rows[0] : rows);
  return 0;
}

async function waitingDeployment(ctx: CliContext, serviceName: string) {
  const lock = await readLock(ctx, serviceName);
  const record = lock ? await readRecord(ctx, lock.deploymentId) : undefined;
  if (!lock || !record?.awaitingApproval || !record.approvalToken) {
    throw new ConflictError(
      `nothing of ${serviceName} is waiting for approval${lock ? ` (deployment ${lock.deploymentId} is running; see "baton watch ${serviceName}")` : ''}`,
    );
  }
  return { lock, token: record.approvalToken };
}

function isStaleToken(error: unknown): boolean {
  return error instanceof TaskDoesNotExist || error instanceof InvalidToken || error instanceof TaskTimedOut;
}

export async function approve(ctx: CliContext, serviceName: string | undefined, reason: string | undefined): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const { lock, token } = await waitingDeployment(ctx, service.name);
  const output = { approvedBy: operator(), approvedAt: new Date().toISOString(), ...(reason ? { reason } : {}) };
  try {
    await ctx.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
  } catch (error) {
    if (isStaleToken(error))
      throw new ConflictError(`the approval of ${lock.deploymentId} was already answered or timed out`, { cause: error });
    throw error;
  }
  print(ctx, `Approved ${lock.deploymentId}: traffic starts moving. Follow it with: baton watch ${service.name}`, {
    approved: lock.deploymentId,
    ...output,
  });
  return 0;
}

export async function reject(ctx: CliContext, serviceName: string | undefined, reason: string | undefined): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const { lock, token } = await waitingDeployment(ctx, service.name);
  const cause = `rejected by ${operator()}${reason ? `: ${reason}` : ''}`;
  try {
    await ctx.sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'ApprovalRejected', cause }));
  } catch (error) {
    if (isStaleToken(error))
      throw new ConflictError(`the approval of ${lock.deploymentId} was already answered or timed out`, { cause: error });
    throw error;
  }
  print(ctx, `Rejected ${lock.deploymentId}; it rolls back. Follow it with: baton watch ${service.name}`, {
    rejected: lock.deploymentId,
    cause,
  });
  return 0;
}

export async function abort(ctx: CliContext, serviceName: string | undefined, reason: string | undefined): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const lock = await readLock(ctx, service.name);
  if (!lock) throw new NotFoundError(`no deployment of ${service.name} is running`);
  await ctx.sfn.send(
    new StopExecutionCommand({
      executionArn: lock.executionArn,
      error: 'AbortedByOperator',
      cause: `aborted by ${operator()}${reason ? `: ${reason}` : ''}`,
    }),
  );
  print(
    ctx,
    [`Stopped ${lock.deploymentId}.`, `The backstop now rolls it back and closes its record; follow with: baton history ${service.name}`],
    { aborted: lock.deploymentId, executionArn: lock.executionArn },
  );
  return 0;
}

export async function rollback(
  ctx: CliContext,
  serviceName: string | undefined,
  options: { to?: string; watch: boolean; intervalSeconds: number },
): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const lock = await readLock(ctx, service.name);
  if (lock)
    throw new ConflictError(
      `deployment ${lock.deploymentId} of ${service.name} is running; stop it with "baton abort ${service.name}" (it rolls back by itself)`,
    );
  let target: Awaited<ReturnType<typeof readRecord>>;
  if (options.to) {
    target = await readRecord(ctx, options.to);
    if (!target || target.service !== service.name)
      throw new NotFoundError(`no deployment ${options.to} of ${service.name}; see "baton history ${service.name}"`);
    if (target.status !== 'SUCCEEDED')
      throw new ConflictError(`deployment ${options.to} ended ${target.status}; only a release that succeeded can be rolled back to`);
  } else {
    const succeeded = (await history(ctx, service.name, 100)).filter((record) => record.status === 'SUCCEEDED');
    // The newest success is what runs now. Walk back from the deployment that first released it (a rollback's
    // origin is the release it restored) to the next older release, skipping other rollbacks.
    const live = succeeded[0];
    const origin = live?.restores ? succeeded.findIndex((record) => record.deploymentId === live.restores) : 0;
    target = succeeded
      .slice(Math.max(origin, 0) + 1)
      .find((record) => !record.restores && record.newTaskDefinitionArn !== live?.newTaskDefinitionArn);
    if (!target)
      throw new NotFoundError(`${service.name} has no earlier successful release to roll back to; see "baton history ${service.name}"`);
  }
  if (!target.newTaskDefinitionArn)
    throw new ConflictError(
      `deployment ${target.deploymentId} recorded no task definition; deploy its image instead: baton deploy ${service.name} --digest <digest>`,
    );
  // The fast path (all at once, short bake; validate and verify still run) to
  // exactly that release: its task definition, image digest and secret versions.
  const request = buildRequest({
    service: service.name,
    rollbackTo: target.deploymentId,
    hotfix: true,
    reason: `rollback to ${target.deploymentId}`,
    trigger: 'cli',
    requestedBy: operator(),
  });
  const name =
    `${service.name}-rollback-${target.deploymentId}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) + `-${Date.now().toString(36)}`;
  const started = await startDeployment(ctx, request, name);
  if (!options.watch) {
    print(ctx, [`Rolling ${service.name} back to ${target.deploymentId} (${target.imageTag ?? target.imageDigest}) as ${started.name}`], {
      ...started,
      to: target.deploymentId,
    });
    return 0;
  }
  return follow(ctx, service.name, started.executionArn, options.intervalSeconds);
}

export async function showHistory(ctx: CliContext, serviceName: string | undefined, limit: number): Promise<number> {
  const service = serviceNamed(ctx, serviceName);
  const records = await history(ctx, service.name, limit);
  const human = records.length
    ? records.map((r) => {
        const took = r.endedAt ? formatDuration(Math.round((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000)) : 'running';
        return `${r.startedAt}  ${r.deploymentId}  ${(r.imageTag ?? r.imageDigest ?? '?').padEnd(12)}  ${r.status.padEnd(15)} ${took.padStart(7)}  ${r.outcomeReason ?? ''}`;
      })
    : [`no deployments of ${service.name} recorded`];
  print(ctx, human, records);
  return 0;
}
