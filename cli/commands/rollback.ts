/** `baton rollback`: redeploy an earlier successful revision exactly (task definition, image and secret versions). */
import { type Command, intervalOf, type OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { history, type RecordItem, readLock, readRecord } from '../deployments.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { follow } from '../follow.ts';
import { print } from '../output.ts';
import { requestOfCaller, startDeployment } from '../requests.ts';

/** The revision --to names, which must be a success of this service. */
async function namedRelease(ctx: CliContext, service: string, deploymentId: string): Promise<RecordItem> {
  const target = await readRecord(ctx, deploymentId);
  if (!target || target.service !== service)
    throw new NotFoundError(`no deployment ${deploymentId} of ${service}; see "baton history ${service}"`);
  if (target.status !== 'SUCCEEDED')
    throw new ConflictError(`deployment ${deploymentId} ended ${target.status}; only a revision that succeeded can be rolled back to`);
  return target;
}

/** Why no earlier revision qualifies, from the live success and the older ones left after the revision it deployed. */
function nothingToRollBackTo(live: RecordItem | undefined, older: readonly RecordItem[]): string {
  if (!live) return 'no deployment of it succeeded yet';
  const restored = live.restores ? `, a rollback to ${live.restores}` : '';
  if (older.length === 0)
    return `the live revision is ${live.deploymentId}${restored}, and no deployment older than ${live.restores ?? 'that'} succeeded`;
  return `the live revision is ${live.deploymentId}${restored}, and every older success is a rollback or runs the same task definition`;
}

/** The revision that was live before the current one, rollbacks skipped. */
async function previousRelease(ctx: CliContext, service: string): Promise<RecordItem> {
  const succeeded = (await history(ctx, service, 100)).filter((record) => record.status === 'SUCCEEDED');
  // The newest success is what runs now. Walk back from the deployment that first deployed it (a rollback's
  // origin is the revision it restored) to the next older revision, skipping other rollbacks.
  const live = succeeded[0];
  const origin = live?.restores ? succeeded.findIndex((record) => record.deploymentId === live.restores) : 0;
  const older = succeeded.slice(Math.max(origin, 0) + 1);
  const target = older.find((record) => !record.restores && record.newTaskDefinitionArn !== live?.newTaskDefinitionArn);
  if (!target)
    throw new NotFoundError(
      `${service} has nothing to roll back to: ${nothingToRollBackTo(live, older)}.\n` +
        `Pick a revision from "baton history ${service}" and run "baton rollback ${service} --to <deployment-id>".`,
    );
  return target;
}

async function run(ctx: CliContext, serviceName: string | undefined, values: OptionValues): Promise<number> {
  const intervalSeconds = intervalOf(values);
  const service = serviceNamed(ctx, serviceName);
  const lock = await readLock(ctx, service.name);
  if (lock)
    throw new ConflictError(
      `deployment ${lock.deploymentId} of ${service.name} is running; stop it with "baton abort ${service.name}" (it rolls back by itself)`,
    );
  const target = values.to ? await namedRelease(ctx, service.name, values.to) : await previousRelease(ctx, service.name);
  if (!target.newTaskDefinitionArn)
    throw new ConflictError(
      `deployment ${target.deploymentId} recorded no task definition; deploy its image instead: baton deploy ${service.name} --digest <digest>`,
    );
  // The fast path (all at once, short bake; validate and verify still run) to
  // exactly that revision: its task definition, image digest and secret versions.
  const request = await requestOfCaller(ctx, {
    service: service.name,
    rollbackTo: target.deploymentId,
    hotfix: true,
    reason: `rollback to ${target.deploymentId}`,
    trigger: 'cli',
  });
  const name = `${`${service.name}-rollback-${target.deploymentId}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}-${Date.now().toString(36)}`;
  const started = await startDeployment(ctx, request, name);
  if (!values.watch) {
    print(ctx, [`Rolling ${service.name} back to ${target.deploymentId} (${target.imageTag ?? target.imageDigest}) as ${started.name}`], {
      ...started,
      to: target.deploymentId,
    });
    return 0;
  }
  return follow(ctx, service.name, started.executionArn, intervalSeconds);
}

export const rollback: Command = {
  name: 'rollback',
  usage: 'baton rollback <service> [--to <deployment-id>] [--watch]',
  summary: 'redeploy an earlier successful revision exactly: same task definition, image and secret versions',
  details: `Without --to, the revision that was live before the current one (rollbacks are
skipped). Stops before any change if a secret version the revision pinned no longer exists.

Options:
  --to <deployment-id>   a specific earlier revision (see baton history)
  --watch                follow it until it ends

Examples:
  baton rollback web --watch
  baton rollback web --to web-v1_4_1-20261120T101500Z`,
  options: ['to', 'watch', 'interval'],
  run,
};
