/**
 * The ECS service scheduler and agent of the simulated account, one simulated
 * second at a time (AccountModel.advanceTo): tasks start (or fail to fetch
 * their secrets), crash, pass or fail their target group's health checks;
 * the scheduler replaces tasks, scales to the desired count, trips the
 * deployment circuit breaker and marks a rollout COMPLETED. A service without
 * a target group (a worker) has no health checks: its tasks count once
 * RUNNING, and an 'unhealthy' image runs on unnoticed, as it would in ECS.
 */
import { parseValueFrom } from '../../lambdas/shared/secret-refs.ts';
import type { AccountModel, SimService, SimTask } from './model.ts';
import type { ImageBehaviour } from './schema.ts';
import { checkTarget } from './target-health.ts';

const SECOND = 1000;

function behaviourOfTask(m: AccountModel, task: SimTask): ImageBehaviour {
  const definition = m.taskDefinitions.get(task.taskDefinitionArn);
  const image = definition?.containerDefinitions.find((c) => c.essential !== false)?.image ?? '';
  return m.imageBehaviour(image);
}

/** What the ECS agent reports when a container secret cannot be fetched at task start; undefined when all resolve. */
function unresolvedSecret(m: AccountModel, task: SimTask): string | undefined {
  const definition = m.taskDefinitions.get(task.taskDefinitionArn);
  for (const container of definition?.containerDefinitions ?? []) {
    for (const secret of container.secrets ?? []) {
      const ref = parseValueFrom(secret.valueFrom);
      if (!ref) continue;
      const stored = m.secrets[ref.arn];
      if (!stored)
        return `retrieve secret from asm: ResourceNotFoundException: Secrets Manager can't find the specified secret (${ref.arn})`;
      const version = stored.versions.find((v) => (ref.versionId ? v.versionId === ref.versionId : v.stages.includes('AWSCURRENT')));
      if (!version)
        return `retrieve secret from asm: ResourceNotFoundException: Secrets Manager can't find the specified secret value for VersionId: ${ref.versionId ?? 'AWSCURRENT'}`;
      if (ref.jsonKey && !Object.hasOwn(version.value, ref.jsonKey))
        return `retrieve secret from asm: could not find key ${ref.jsonKey} in the secret ${ref.arn} (version ${version.versionId})`;
    }
  }
  return undefined;
}

/** One simulated second of a service: its tasks, its targets, its deployments. */
export function tickService(m: AccountModel, service: SimService, now: number): void {
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  if (!primary) return;
  const tg = service.targetGroupArn ? m.targetGroups[service.targetGroupArn] : undefined;
  const targets = service.targetGroupArn ? m.targets.get(service.targetGroupArn) : undefined;
  const live = m.tasks.filter((t) => t.serviceName === service.name && t.lastStatus !== 'STOPPED');

  for (const task of live) {
    const behaviour = behaviourOfTask(m, task);
    if (task.lastStatus === 'PROVISIONING' && behaviour !== 'never-starts' && now >= task.launchedAt + m.taskStartSeconds * SECOND) {
      const unresolved = unresolvedSecret(m, task);
      if (unresolved) {
        m.stop(
          service,
          task,
          now,
          `ResourceInitializationError: unable to pull secrets or registry auth: ${unresolved}`,
          'TaskFailedToStart',
        );
        failTask(m, service, task, now);
        continue;
      }
      task.lastStatus = 'RUNNING';
      task.runningAt = now;
      m.register(service, task, now);
      continue;
    }
    if (task.lastStatus !== 'RUNNING' || task.runningAt === undefined) continue;
    if (behaviour === 'crash' && now >= task.runningAt + 5 * SECOND) {
      m.stop(service, task, now, 'Essential container in task exited', 'EssentialContainerExited', 1);
      failTask(m, service, task, now);
      continue;
    }
    const target = targets?.find((t) => t.taskId === task.id);
    if (target?.state === 'unhealthy' && now >= target.since + 30 * SECOND) {
      m.stop(service, task, now, `Task failed ELB health checks in (target-group ${service.targetGroupArn})`, 'ServiceSchedulerInitiated');
      failTask(m, service, task, now);
      continue;
    }
    if (target && tg) checkTarget(target, tg, behaviour !== 'unhealthy', now);
  }

  // The scheduler: tasks of other task definitions go, the primary's count follows desiredCount.
  for (const task of live) {
    if (task.lastStatus !== 'STOPPED' && task.taskDefinitionArn !== primary.taskDefinitionArn) {
      m.stop(service, task, now, `Scaling activity initiated by (deployment ${primary.id})`, 'ServiceSchedulerInitiated');
    }
  }
  const current = m.tasks.filter(
    (t) => t.serviceName === service.name && t.lastStatus !== 'STOPPED' && t.taskDefinitionArn === primary.taskDefinitionArn,
  );
  if (current.length > service.desiredCount) {
    for (const task of current.slice(service.desiredCount)) {
      m.stop(service, task, now, `Scaling activity initiated by (deployment ${primary.id})`, 'ServiceSchedulerInitiated');
    }
    m.event(service, now, `has stopped ${current.length - service.desiredCount} running tasks.`);
  } else if (current.length < service.desiredCount && primary.rolloutState !== 'FAILED') {
    for (let i = current.length; i < service.desiredCount; i++) m.launch(service, now);
    m.event(service, now, `has started ${service.desiredCount - current.length} tasks.`);
  }

  if (primary.rolloutState === 'IN_PROGRESS') {
    const running = m.tasks.filter(
      (t) => t.serviceName === service.name && t.lastStatus === 'RUNNING' && t.taskDefinitionArn === primary.taskDefinitionArn,
    );
    // Without a target group there is no health to wait for: a running task is as far as a worker's task gets.
    const healthy = targets ? running.filter((t) => targets.find((target) => target.taskId === t.id)?.state === 'healthy') : running;
    if (running.length === service.desiredCount && healthy.length === service.desiredCount) {
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = 'ECS deployment completed.';
      for (const other of service.deployments) if (other !== primary) other.status = 'INACTIVE';
      service.deployments = service.deployments.filter((d) => d.status !== 'INACTIVE');
      m.event(service, now, 'has reached a steady state.');
    }
  }
}

/** A task of a deployment failed: counted towards the deployment circuit breaker. */
function failTask(m: AccountModel, service: SimService, task: SimTask, now: number): void {
  const deployment = service.deployments.find((d) => d.id === task.deploymentId);
  if (!deployment) return;
  deployment.failedTasks += 1;
  m.event(service, now, `has stopped 1 running tasks: (task ${task.id}). Reason: ${task.stoppedReason ?? ''}`);
  // ECS: the circuit breaker trips after max(3, min(200, ceil(desired / 2))) failed tasks.
  const threshold = Math.max(3, Math.min(200, Math.ceil(deployment.desiredCount / 2)));
  if (service.circuitBreaker && deployment.rolloutState === 'IN_PROGRESS' && deployment.failedTasks >= threshold) {
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = `ECS deployment circuit breaker: tasks failed to start.`;
    m.event(service, now, `deployment ${deployment.id} deployment failed: tasks failed to start.`);
  }
}
