/**
 * `baton status`: what is running and how the last deployment ended, for
 * every service, one service, or one execution (a deployment's or a release's).
 */

import { formatOrder } from '../../lambdas/shared/release.ts';
import { describeScaling } from '../../lambdas/shared/scaling/snapshot.ts';
import { paintStatus } from '../colour.ts';
import type { Command } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { history, type RecordItem, readLock, readRecord, readReleaseRecord } from '../deployments.ts';
import { type ExecutionView, executionView } from '../execution.ts';
import { print, renderReleaseVerdict, renderTraffic, renderView } from '../output.ts';
import { type ProductionTraffic, pickTraffic, productionTraffic } from '../traffic.ts';
import type { ReleaseView } from '../views.ts';

/** An execution: a release's shows its order, each service's record and its verdict; a deployment's, its record. */
export async function showExecution(ctx: CliContext, executionArn: string): Promise<number> {
  const view = await executionView(ctx, executionArn);
  const release = view.kind === 'release' ? await readReleaseRecord(ctx, view.name) : undefined;
  if (!release) {
    const record = await readRecord(ctx, view.name);
    print(
      ctx,
      [
        ...renderView(record?.service ?? '', view, new Date(), ctx.colour),
        ...(record ? [`record: ${paintStatus(ctx.colour, record.status)} ${record.outcomeReason ?? ''}`] : []),
      ],
      { ...view, record: record ?? null },
    );
    return 0;
  }
  const shown = await releaseLines(ctx, release);
  print(ctx, [...renderView('', view, new Date(), ctx.colour), ...shown.lines], { ...view, release, services: shown.services });
  return 0;
}

/** A release's order, each service's record and the verdict; and the services' records, by service. */
export async function releaseLines(
  ctx: CliContext,
  release: ReleaseView,
): Promise<{ lines: string[]; services: Record<string, RecordItem | null> }> {
  const services = await Promise.all(
    release.waves.flat().map(async (name) => ({ name, record: await readRecord(ctx, release.services[name]?.deploymentId ?? '') })),
  );
  return {
    lines: [
      `release ${release.release}: ${formatOrder(release.waves)}`,
      ...services.map(
        ({ name, record }) =>
          `  ${name.padEnd(8)}${record ? paintStatus(ctx.colour, record.status) : 'not recorded'}  ${record?.deploymentId ?? ''}`,
      ),
      ...(release.status === 'IN_PROGRESS' ? ['release in progress'] : renderReleaseVerdict(release, ctx.colour)),
    ],
    services: Object.fromEntries(services.map(({ name, record }) => [name, record ?? null])),
  };
}

interface ServiceRow extends ProductionTraffic {
  readonly service: string;
  readonly running: ExecutionView | null;
  readonly last: RecordItem | null;
}

/** A service: its running deployment (or the split production serves), then how the last one ended and, if it failed, the evidence. */
function serviceLines(row: ServiceRow, colour: boolean): string[] {
  const lines = [`${row.service}`];
  if (row.running) lines.push(...renderView(row.service, row.running, new Date(), colour).map((line) => `  ${line}`));
  else lines.push('  no deployment running', ...renderTraffic(row));
  const last = row.last;
  if (!last) return lines;
  lines.push(
    `  last: ${last.deploymentId} ${paintStatus(colour, last.status)} (${last.imageTag ?? last.imageDigest ?? '?'}, started ${last.startedAt})${last.outcomeReason ? `: ${last.outcomeReason}` : ''}`,
  );
  // The evidence of a failed deployment: where, on what signal, and what the rollback did.
  if (last.status !== 'SUCCEEDED') lines.push(...(last.evidence ?? []).map((line) => `    ${line}`));
  if (last.restores) lines.push(`    restored the release of ${last.restores}`);
  const diff = last.configDiff;
  if (diff?.fromVersionId && diff.fromVersionId !== diff.toVersionId) {
    lines.push(
      `    app config ${diff.fromVersionId} -> ${diff.toVersionId}: added [${diff.added.join(', ')}], removed [${diff.removed.join(', ')}], changed [${diff.changed.join(', ')}]`,
    );
  }
  if (last.scaling) {
    const both = (snapshot: NonNullable<typeof last.scaling>['before']) =>
      `blue (${describeScaling(snapshot.blue)}), green (${describeScaling(snapshot.green)})`;
    lines.push(`    scaling before: ${both(last.scaling.before)}`);
    if (last.scaling.after) lines.push(`    scaling after: ${both(last.scaling.after)}`);
  }
  lines.push(...(last.warnings ?? []).map((line) => `    warning: ${line}`));
  return lines;
}

async function run(ctx: CliContext, target: string | undefined): Promise<number> {
  if (target?.startsWith('arn:')) return showExecution(ctx, target);
  const services = target ? [serviceNamed(ctx, target)] : ctx.config.services;
  const rows: ServiceRow[] = [];
  for (const service of services) {
    const lock = await readLock(ctx, service.name);
    const [last] = await history(ctx, service.name, 1);
    const running = lock ? await executionView(ctx, lock.executionArn) : undefined;
    // The split production serves, read once: the running view's, else the listener's now.
    const traffic = running ? pickTraffic(running) : await productionTraffic(ctx, service.name);
    rows.push({ service: service.name, ...traffic, running: running ?? null, last: last ?? null });
  }
  print(
    ctx,
    rows.flatMap((row) => serviceLines(row, ctx.colour)),
    target ? rows[0] : rows,
  );
  return 0;
}

export const status: Command = {
  name: 'status',
  usage: 'baton status [<service> | <execution-arn>]',
  summary: 'what is running and how the last deployment ended',
  details: `Examples:
  baton status
  baton status web --json
  baton status arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_2-20261123T090000Z`,
  options: [],
  run,
};
