/**
 * The metric alarms on a target group. DescribeAlarms cannot filter by
 * dimension: every alarm of the region is read, page by page (bounded), and
 * kept when a metric it watches has the dimension TargetGroup of one of them.
 */
import { DescribeAlarmsCommand, type Dimension, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { SetupContext } from '../context.ts';
import { allPages } from './pages.ts';

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
  const alarms = await allPages(MAX_PAGES, async (nextToken) => {
    const out = await ctx.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: nextToken }),
    );
    return { items: out.MetricAlarms ?? [], next: out.NextToken };
  });
  const on = alarms.filter((alarm) => dimensionsOf(alarm).some((d) => d.Name === 'TargetGroup' && wanted.has(d.Value ?? '')));
  return [...new Set(on.flatMap((alarm) => (alarm.AlarmName ? [alarm.AlarmName] : [])))].sort();
}
