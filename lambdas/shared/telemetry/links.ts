/**
 * Console links an outcome message carries beside the execution's: each
 * configured alarm its reason or evidence names, and the ECS console's logs
 * tab of each stopped task they name. Derived from the words of the outcome
 * and what the deployment's state knows (the service's cluster and alarm
 * names), without a call to AWS: linking the CloudWatch Logs stream itself
 * would need the task definition's awslogs group and prefix
 * (DescribeTaskDefinition, a permission the functions that end a deployment
 * do not have); the ECS console's logs tab of the task finds the stream
 * itself. ECS shows a stopped task for at least an hour after it stopped.
 */
import * as z from 'zod';

/** What the deployment's state knows that the words of an outcome do not: a part of the service's config. */
export const LinkSourcesSchema = z.object({
  cluster: z.string().optional(),
  alarms: z.array(z.string()).readonly().optional(),
});
export type LinkSources = z.infer<typeof LinkSourcesSchema>;

export const LinkSchema = z.object({ label: z.string(), url: z.string() });
export type Link = z.infer<typeof LinkSchema>;

export function alarmConsoleUrl(alarmName: string, region: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

export function taskLogsConsoleUrl(cluster: string, taskId: string, region: string): string {
  return `https://${region}.console.aws.amazon.com/ecs/v2/clusters/${encodeURIComponent(cluster)}/tasks/${taskId}/logs?region=${region}`;
}

/**
 * How stoppedTaskReasons (lambdas/shared/aws/tasks.ts) names a task: by the id at the end of its ARN (hex, or an older
 * UUID); an ECS event's signal (describeSignal in signals.ts) adds its service: "task <id> of web-green stopped".
 */
const STOPPED_TASK = /\btask ([0-9a-f][0-9a-f-]{7,35})(?: of (?:the new colour|[\w-]+))? stopped\b/g;

/**
 * The links of an outcome whose reason and evidence are `texts`, in the
 * execution's region: the alarms first (in config order), then the tasks (in
 * the order named), each once.
 */
export function outcomeLinks(texts: readonly string[], region: string, sources: LinkSources = {}): Link[] {
  const text = texts.join('\n');
  // A configured name is matched as the gates write it ("alarm web-5xx-rate is ALARM", Validate's
  // "already firing before any change: web-5xx-rate is ALARM (...); web-p99 is ALARM (...)", and a CloudWatch
  // event's signal "alarm web-5xx-rate entered ALARM at ..."): an alarm name may hold spaces or parentheses, so it
  // is not parsed out of the text.
  const alarms = (sources.alarms ?? []).filter(
    (name) =>
      ['alarm ', ': ', '; '].some((before) => text.includes(`${before}${name} is `)) || text.includes(`alarm ${name} entered ALARM `),
  );
  const tasks = sources.cluster ? [...new Set([...text.matchAll(STOPPED_TASK)].map((match) => match[1] ?? ''))] : [];
  return [
    ...alarms.map((name) => ({ label: `alarm ${name}`, url: alarmConsoleUrl(name, region) })),
    ...tasks.map((id) => ({ label: `logs of task ${id}`, url: taskLogsConsoleUrl(sources.cluster ?? '', id, region) })),
  ];
}
