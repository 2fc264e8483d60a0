/** Evidence from ECS: why tasks of a task definition stopped, and recent service events. */
import { DescribeTasksCommand, ListTasksCommand, type Service } from '@aws-sdk/client-ecs';
import { ecs } from '../clients/ecs.ts';

export async function stoppedTaskReasons(cluster: string, serviceName: string, taskDefinitionArn: string, limit = 3): Promise<string[]> {
  const listed = await ecs().send(new ListTasksCommand({ cluster, serviceName, desiredStatus: 'STOPPED', maxResults: 100 }));
  const arns = listed.taskArns ?? [];
  if (arns.length === 0) return [];
  const described = await ecs().send(new DescribeTasksCommand({ cluster, tasks: arns.slice(0, 100) }));
  return (described.tasks ?? [])
    .filter((task) => task.taskDefinitionArn === taskDefinitionArn)
    .slice(0, limit)
    .map((task) => {
      const exit = task.containers?.find((c) => c.exitCode !== undefined && c.exitCode !== 0);
      const code = task.stopCode ? `${task.stopCode}: ` : '';
      return `task ${task.taskArn?.split('/').pop() ?? '?'} stopped (${code}${task.stoppedReason ?? 'no reason given'}${
        exit ? `; container ${exit.name} exit ${exit.exitCode}${exit.reason ? ` ${exit.reason}` : ''}` : ''
      })`;
    });
}

export function recentEvents(service: Service, limit = 3): string[] {
  return (service.events ?? []).slice(0, limit).map((event) => event.message ?? '');
}
