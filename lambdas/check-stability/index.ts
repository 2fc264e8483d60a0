/**
 * check stability: looks at the idle colour's ECS deployment and target
 * health every STABILITY_POLL_SECONDS inside its invocation. Stable, not yet
 * (its time ran out: the state machine calls again), or failed:
 * the circuit breaker fired, tasks keep stopping, or the deadline passed.
 */

import { describeService, type TargetHealthSummary, targetHealth } from '../shared/aws/health.ts';
import { recentEvents, stoppedTaskReasons } from '../shared/aws/tasks.ts';
import { DeploymentFailedError, StabilityTimeoutError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { definePhase } from '../shared/phase.ts';
import { targetGroupOf } from '../shared/service-resources.ts';
import { type DeployedState, DeployedStateSchema } from '../shared/stages.ts';
import { isPast, nowIso, STABILITY_POLL_SECONDS, sleep } from '../shared/time.ts';
import { invocationDeadline } from '../shared/watch.ts';

/** Stopped tasks of the new revision tolerated before the deployment counts as failed. */
export const MAX_FAILED_TASKS = 3;

export const handler = definePhase(
  'checkStability',
  DeployedStateSchema,
  async (state, { remainingMillis }): Promise<DeployedState> => {
    // Looks every STABILITY_POLL_SECONDS inside this invocation while its time lasts; the state machine calls again after.
    const stopAt = invocationDeadline(remainingMillis);
    let current = await look(state);
    while (!current.rollout.stable && Date.now() < stopAt) {
      await sleep(Math.min(STABILITY_POLL_SECONDS * 1000, stopAt - Date.now()));
      current = await look(current);
    }
    return current;
  },
  { done: (next) => next.rollout.stable },
);

/** One look at the rollout: stable (when first found so, from now on), not yet, or failed for good. */
async function look(state: DeployedState): Promise<DeployedState> {
  const { rollout, release, service } = state;
  const ecsService = await describeService(service.cluster, state.idle.serviceName);
  const primary = ecsService.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  const evidence = async () => [
    ...(await stoppedTaskReasons(service.cluster, state.idle.serviceName, release.taskDefinitionArn)),
    ...recentEvents(ecsService),
  ];

  if (!primary || primary.taskDefinition !== release.taskDefinitionArn) {
    throw new DeploymentFailedError(
      `${state.idle.serviceName} no longer runs ${release.taskDefinitionArn} (primary: ${primary?.taskDefinition ?? 'none'}); ${(await evidence()).join('; ')}`,
    );
  }
  if (primary.rolloutState === 'FAILED') {
    throw new DeploymentFailedError(
      `ECS deployment circuit breaker fired for ${state.idle.serviceName}: ${primary.rolloutStateReason ?? 'no reason given'}; ${(await evidence()).join('; ')}`,
    );
  }
  // A rollout ECS completed stands even if some tasks failed on the way; an unfinished one
  // with this many failures will not get better.
  if (primary.rolloutState !== 'COMPLETED' && (primary.failedTasks ?? 0) >= Math.max(MAX_FAILED_TASKS, rollout.desiredCount)) {
    throw new DeploymentFailedError(
      `${primary.failedTasks} tasks of ${release.taskDefinitionArn} failed to start on ${state.idle.serviceName}; ${(await evidence()).join('; ')}`,
    );
  }

  // A worker's new colour waits at 0 tasks until the first traffic step (aws/worker-counts.ts); it has no targets.
  const worker = service.kind === 'worker';
  const desired = worker ? (primary.desiredCount ?? 0) : rollout.desiredCount;
  const health: TargetHealthSummary = worker
    ? { healthy: desired, total: desired, problems: [], registering: [] }
    : await targetHealth(targetGroupOf(state.idle));
  const running = primary.runningCount ?? 0;
  const stable =
    primary.rolloutState === 'COMPLETED' &&
    running >= desired &&
    health.healthy >= desired &&
    health.problems.length === 0 &&
    health.registering.length === 0;
  logger.info('stability check', {
    rolloutState: primary.rolloutState,
    running,
    desired,
    healthy: health.healthy,
    targets: health.total,
    check: rollout.checks + 1,
  });
  if (stable) return { ...state, rollout: { ...rollout, checks: rollout.checks + 1, stable: true, stableAt: nowIso() } };

  if (isPast(rollout.deadline)) {
    throw new StabilityTimeoutError(
      `${state.idle.serviceName} not stable by ${rollout.deadline} (stabilityTimeoutSeconds ${service.stabilityTimeoutSeconds}): rollout ${primary.rolloutState ?? '?'}, ${running}/${rollout.desiredCount} running, ${health.healthy}/${rollout.desiredCount} healthy targets${[...health.problems, ...health.registering].length ? `; ${[...health.problems, ...health.registering].slice(0, 3).join('; ')}` : ''}; ${(await evidence()).join('; ')}`,
    );
  }
  return { ...state, rollout: { ...rollout, checks: rollout.checks + 1, stable: false } };
}
