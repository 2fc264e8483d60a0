/**
 * The metric alarms on a target group. DescribeAlarms cannot filter by
 * dimension: every alarm of the region is read, page by page (bounded), and
 * kept when a metric it watches has the dimension TargetGroup of one of them.
 */
import { DescribeAlarmsCommand, type Dimension, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { SetupContext } from '../context.ts';

/** 100 pages of 100 alarms: a region with more is searched no further (the alarms are then for the config's reviewer to add). */
const MAX_PAGES = 100;

/** CloudWatch's TargetGroup dimension: the ARN's resource part, targetgroup/<name>/<id>. */
export function targetGroupDimension(arn: string): string {
  return arn.slice(arn.indexOf(':targetgroup/') + 1);
}

function dimensionsOf(alarm: MetricAlarm): Dimension[] {
  return [...(alarm.Dimensions ?? []), ...(alarm.Metrics ?? []).flatMap((query) => query.MetricStat?.Metric?.Dimensions ?? [])];
}

export async function alarmsOn(ctx: SetupContext, targetGroupArns: readonly string[]): Promise<string[]> {
  const wanted = new Set(targetGroupArns.map(targetGroupDimension));
  const names = new Set<string>();
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await ctx.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: nextToken }),
    );
    for (const alarm of out.MetricAlarms ?? []) {
      if (alarm.AlarmName && dimensionsOf(alarm).some((d) => d.Name === 'TargetGroup' && wanted.has(d.Value ?? '')))
        names.add(alarm.AlarmName);
    }
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return [...names].sort();
}
