/**
 * `baton release status` and `baton release history`: a release found by its
 * name or its id (the execution name), and the latest releases, from the
 * release records (lambdas/shared/records/release.ts).
 */
import { formatOrder } from '../../lambdas/shared/release.ts';
import { paintStatus } from '../colour.ts';
import { type Command, limitOf, type OptionValues } from '../command.ts';
import type { CliContext } from '../context.ts';
import { findRelease, RELEASE_LOOKUP_LIMIT, releaseHistory } from '../deployments.ts';
import { NotFoundError } from '../errors.ts';
import { formatDuration, print, secondsBetween } from '../output.ts';
import { type Column, table } from '../table.ts';
import type { ReleaseView } from '../views.ts';
import { releaseLines, showExecution } from './status.ts';

/** An execution ARN as `baton status` shows it; else the release of that id, else the newest of that name. */
async function runStatus(ctx: CliContext, target: string | undefined): Promise<number> {
  const wanted = target ?? '';
  if (wanted.startsWith('arn:')) return showExecution(ctx, wanted);
  const release = await findRelease(ctx, wanted);
  if (!release) {
    throw new NotFoundError(
      `no release with id "${wanted}", nor named so among the latest ${RELEASE_LOOKUP_LIMIT} releases; list them with "baton release history"`,
    );
  }
  try {
    return await showExecution(ctx, release.executionArn);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  // Step Functions forgets an execution 90 days after it closed; its records live on.
  const shown = await releaseLines(ctx, release);
  print(
    ctx,
    [
      `${release.releaseId}  ${paintStatus(ctx.colour, release.status)}  started ${release.startedAt}  (its execution is no longer kept)`,
      ...shown.lines,
    ],
    { release, services: shown.services },
  );
  return 0;
}

function columns(ctx: CliContext): readonly Column<ReleaseView>[] {
  return [
    { header: 'STARTED', value: (r) => r.startedAt },
    { header: 'RELEASE', value: (r) => r.release },
    { header: 'ID', value: (r) => r.releaseId },
    { header: 'STATUS', value: (r) => r.status, paint: (cell) => paintStatus(ctx.colour, cell) },
    { header: 'TOOK', value: (r) => (r.endedAt ? formatDuration(secondsBetween(r.startedAt, r.endedAt)) : 'running'), align: 'right' },
    { header: 'ORDER', value: (r) => formatOrder(r.waves) },
    { header: 'REASON', value: (r) => r.outcomeReason ?? '' },
  ];
}

async function runHistory(ctx: CliContext, _target: string | undefined, values: OptionValues): Promise<number> {
  const limit = limitOf(values);
  const releases = await releaseHistory(ctx, limit);
  print(ctx, releases.length ? table(columns(ctx), releases) : ['no releases recorded'], releases);
  return 0;
}

export const releaseStatus: Command = {
  name: 'release status',
  usage: 'baton release status <release>',
  summary: 'a release: its execution, order, each service and the verdict',
  details: `<release> is the release's id (the execution name, "release-<release>-<UTC time>"), its name
from the release file (the newest release of that name, among the latest ${RELEASE_LOOKUP_LIMIT}), or its
execution ARN. Not found: exit 3.

Examples:
  baton release status 2026-11-22.1
  baton release status release-2026-11-22_1-20261122T090000Z --json`,
  options: [],
  run: runStatus,
};

export const releaseHistoryCommand: Command = {
  name: 'release history',
  usage: 'baton release history [--limit <n>]',
  summary: 'the latest releases, newest first',
  details: 'Options:\n  --limit <n>   how many (default 20)\n\nExample:\n  baton release history --limit 5 --json',
  options: ['limit'],
  run: runHistory,
};
