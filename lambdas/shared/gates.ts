/**
 * The signals checked before traffic moves and while it bakes: alarms, the
 * new colour's target health and its ECS running count, and what an event
 * reported since the new colour was stable (signals.ts). Returns evidence
 * lines; an empty list means every gate passed.
 */

import { firingAlarms } from './aws/alarms.ts';
import { describeService, targetHealth } from './aws/health.ts';
import type { ColourState } from './contract.ts';
import { signalFailures } from './signals.ts';
import type { DeploymentState } from './stages.ts';

export async function gateFailures(state: DeploymentState, colour: ColourState, desiredCount: number): Promise<string[]> {
  const failures: string[] = [];
  const [signalled, alarms, health, ecsService] = await Promise.all([
    signalFailures(state),
    firingAlarms(state.service.alarms, state.service.insufficientDataPolicy),
    targetHealth(colour.targetGroupArn),
    describeService(state.service.cluster, colour.serviceName),
  ]);
  failures.push(...signalled);
  for (const alarm of alarms) failures.push(`alarm ${alarm.name} is ${alarm.state} (${alarm.reason})`);
  if (health.healthy < desiredCount || health.problems.length > 0) {
    failures.push(
      `target group ${colour.targetGroupArn.split(':').pop()} has ${health.healthy}/${desiredCount} healthy targets${
        health.problems.length ? `: ${health.problems.slice(0, 3).join('; ')}` : ''
      }`,
    );
  }
  const running = ecsService.runningCount ?? 0;
  if (running < desiredCount) failures.push(`ECS service ${colour.serviceName} runs ${running}/${desiredCount} tasks`);
  return failures;
}
