/**
 * The signals checked before traffic moves and while it bakes: alarms, the
 * new colour's target health and its ECS running count, and what an event
 * reported since the new colour was stable (signals.ts). Returns evidence
 * lines; an empty list means every gate passed.
 */

import { firingAlarms } from './aws/alarms.ts';
import { describeService, targetHealth } from './aws/health.ts';
import { weightsFor } from './aws/listener.ts';
import { countsFor, notRunning } from './aws/worker-counts.ts';
import type { ColourState } from './contract.ts';
import { targetGroupOf } from './service-resources.ts';
import { signalFailures } from './signals.ts';
import type { DeploymentState } from './stages.ts';

export async function gateFailures(state: DeploymentState, colour: ColourState, desiredCount: number): Promise<string[]> {
  if (state.service.kind === 'worker') return workerGateFailures(state, colour, desiredCount);
  const failures: string[] = [];
  const [signalled, alarms, health, ecsService] = await Promise.all([
    signalFailures(state),
    firingAlarms(state.service.alarms, state.service.insufficientDataPolicy),
    targetHealth(targetGroupOf(colour)),
    describeService(state.service.cluster, colour.serviceName),
  ]);
  failures.push(...signalled);
  for (const alarm of alarms) failures.push(`alarm ${alarm.name} is ${alarm.state} (${alarm.reason})`);
  if (health.healthy < desiredCount || health.problems.length > 0) {
    failures.push(
      `target group ${targetGroupOf(colour).split(':').pop()} has ${health.healthy}/${desiredCount} healthy targets${
        health.problems.length ? `: ${health.problems.slice(0, 3).join('; ')}` : ''
      }`,
    );
  }
  const running = ecsService.runningCount ?? 0;
  if (running < desiredCount) failures.push(`ECS service ${colour.serviceName} runs ${running}/${desiredCount} tasks`);
  return failures;
}

/**
 * A worker's gates: the alarms and the events as for a web service, and the
 * colour running its share of `capacity` at the current step (0 before the
 * first step, all of it in the bake) with no failed rollout and no task of
 * an earlier task definition. Tasks raised for the next step and still
 * starting do not fail it.
 */
async function workerGateFailures(state: DeploymentState, colour: ColourState, capacity: number): Promise<string[]> {
  const [signalled, alarms, ecsService] = await Promise.all([
    signalFailures(state),
    firingAlarms(state.service.alarms, state.service.insufficientDataPolicy),
    describeService(state.service.cluster, colour.serviceName),
  ]);
  const failures = [...signalled, ...alarms.map((alarm) => `alarm ${alarm.name} is ${alarm.state} (${alarm.reason})`)];
  const weight = state.traffic?.weight ?? 0;
  const share = countsFor(weightsFor(state.idle.colour, weight), capacity)[colour.colour];
  const running = ecsService.runningCount ?? 0;
  if (running < share) failures.push(`ECS service ${colour.serviceName} runs ${running}/${share} tasks`);
  else if (share > 0) {
    const problem = notRunning({ ...ecsService, desiredCount: share });
    if (problem) failures.push(`ECS service ${problem}`);
  }
  return failures;
}

/**
 * The old colour as a failed gate before its retirement leaves it: a web
 * service's runs, idle; a worker's is at 0 tasks (at 100 % it takes no work).
 */
export function oldColourAsKept(state: Pick<DeploymentState, 'service' | 'live'>): string {
  return state.service.kind === 'worker'
    ? `${state.live.colour} is at 0 tasks, on the task definition it ran: the rollback starts them again`
    : `${state.live.colour} still runs`;
}
