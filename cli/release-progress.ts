/**
 * Following a release's execution: with --watch, each service's status
 * changes and then the verdict; for a dry run, the plans it ended with or its
 * refusal.
 */
import type { DeploymentRecord } from '../lambdas/shared/records/deployment.ts';
import type { ReleaseRecord } from '../lambdas/shared/records/release.ts';
import { formatOrder, serviceDeploymentId } from '../lambdas/shared/release.ts';
import type { CliContext } from './context.ts';
import { readRecord, readReleaseRecord } from './deployments.ts';
import { followDryRun, planLines } from './dry-run.ts';
import { EXIT_DEPLOYMENT_FAILED } from './errors.ts';
import { describeExecution, type ReleasePlanOutput, releasePlanOutput } from './execution.ts';
import { formatDuration, printJson, renderReleaseVerdict, say, secondsBetween } from './output.ts';

/**
 * Polls the execution, the release record and the services' records until
 * the execution ends: a line for each change of a service's status (and when
 * the joint rollback starts), then the verdict; with --json, the same as
 * NDJSON (`service`, `rollback`, then `end` with the records). Exit 0 only
 * if the release succeeded.
 */
export async function followRelease(
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
    const at = new Date().toISOString();
    if (!rollingBack && record?.rollingBack) {
      rollingBack = true;
      if (ctx.json)
        printJson(ctx, { type: 'rollback', services: record.rollingBack, ...(record.cause ? { error: record.cause.error } : {}), at });
      else
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
      if (ctx.json) printJson(ctx, serviceEvent(deployment, record, at));
      else say(ctx, serviceLine(service.padEnd(width), deployment, record));
    }
    if (status !== 'RUNNING') {
      const verdict = record?.status ?? status;
      if (ctx.json) printJson(ctx, { type: 'end', ...summary, status: verdict, execution: status, at, record: record ?? null, services });
      else {
        // The execution's own times; the release record's while Step Functions has not reported its stop yet.
        const [from, to] =
          described.startDate && described.stopDate ? [described.startDate, described.stopDate] : [record?.startedAt, record?.endedAt];
        const took = from && to ? ` after ${formatDuration(secondsBetween(from, to))}` : '';
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
 * A release's dry run writes no record: waits for the execution and prints
 * its output (the order and each service's plan) or its refusal. Exit 0 only
 * if every service validated.
 */
export function followReleaseDryRun(
  ctx: CliContext,
  summary: { release: string; executionArn: string },
  intervalSeconds: number,
): Promise<number> {
  return followDryRun(ctx, summary, intervalSeconds, releasePlanOutput, {
    what: `Dry run of release ${summary.release}`,
    passed: renderReleasePlan,
    // The cause already says which release, which service and why.
    refused: (described) =>
      described.cause ?? `Dry run of release ${summary.release} ended ${described.status ?? 'UNKNOWN'}: ${described.error ?? ''}`,
  });
}

/** The order, then per service: colours, image, task definition changes, config diff and traffic steps. */
function renderReleasePlan(output: ReleasePlanOutput): string[] {
  const lines = [
    `Dry run of release ${output.release} passed: every service validated, nothing changed`,
    `  order  ${formatOrder(output.waves)}`,
  ];
  for (const plan of output.plans) {
    const { head, details } = planLines(plan);
    lines.push(`  ${plan.service}: ${head}`, ...details.map((line) => `    ${line}`));
  }
  return lines;
}

/** With --json, a service's status change as an NDJSON line: its deployment, its wave, and once it ended how. */
function serviceEvent(deployment: DeploymentRecord, record: ReleaseRecord | undefined, at: string): Record<string, unknown> {
  const wave = record?.services[deployment.service]?.wave;
  return {
    type: 'service',
    service: deployment.service,
    status: deployment.status,
    deploymentId: deployment.deploymentId,
    ...(wave ? { wave } : {}),
    ...(deployment.outcomeReason ? { outcomeReason: deployment.outcomeReason } : {}),
    at,
  };
}

/** "api     IN_PROGRESS  wave 1, deployment <id>", or once it ended "api     SUCCEEDED    11m00s  <reason>". */
function serviceLine(name: string, deployment: DeploymentRecord, record: ReleaseRecord | undefined): string {
  if (!deployment.endedAt) {
    const wave = record?.services[deployment.service]?.wave;
    return `  ${name}  ${deployment.status.padEnd(11)}  ${wave ? `wave ${wave}, ` : ''}deployment ${deployment.deploymentId}`;
  }
  const took = formatDuration(secondsBetween(deployment.startedAt, deployment.endedAt));
  return `  ${name}  ${deployment.status.padEnd(11)}  ${took}  ${deployment.outcomeReason ?? ''}`.trimEnd();
}
