/** CloudWatch: the state of the alarms, metric and composite; the load balancer metrics of the simulated traffic. */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { AccountModel } from '../model.ts';
import { META, type ServiceSetup } from './common.ts';
import { type GetMetricDataInput, getMetricData } from './metric-data.ts';

interface DescribeAlarmsInput {
  AlarmNames?: string[];
  AlarmTypes?: string[];
  NextToken?: string;
  MaxRecords?: number;
}

/**
 * Like CloudWatch, metric alarms only unless AlarmTypes asks for composite
 * alarms too; without AlarmNames, every alarm, a page (MaxRecords, default 50) at a time.
 */
function describeAlarms(m: AccountModel, input: DescribeAlarmsInput) {
  const types = input.AlarmTypes ?? ['MetricAlarm'];
  const start = Number(input.NextToken ?? '0');
  const end = start + (input.MaxRecords ?? 50);
  const all = Object.keys(m.alarms);
  const names = input.AlarmNames ?? all.slice(start, end);
  const more = !input.AlarmNames && end < all.length;
  const named = names.flatMap((name) => {
    const alarm = m.alarms[name];
    const dimensions = Object.entries(alarm?.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value }));
    return alarm
      ? [
          {
            AlarmName: name,
            StateValue: alarm.state,
            StateReason: alarm.reason,
            type: alarm.type,
            ...(alarm.namespace ? { Namespace: alarm.namespace } : {}),
            ...(alarm.metricName ? { MetricName: alarm.metricName } : {}),
            ...(dimensions.length ? { Dimensions: dimensions } : {}),
          },
        ]
      : [];
  });
  const ofType = (type: string, wanted: string) =>
    types.includes(wanted) ? named.filter((alarm) => alarm.type === type).map(({ type: _type, ...alarm }) => alarm) : [];
  return {
    ...META,
    MetricAlarms: ofType('metric', 'MetricAlarm'),
    CompositeAlarms: ofType('composite', 'CompositeAlarm'),
    ...(more ? { NextToken: String(end) } : {}),
  };
}

export function installCloudWatch({ model: m, stubs, route }: ServiceSetup): void {
  const cloudwatch = stubs.stub(CloudWatchClient);
  cloudwatch
    .on(DescribeAlarmsCommand)
    .callsFake(route('cloudwatch', 'DescribeAlarms', (input: DescribeAlarmsInput) => describeAlarms(m, input)));
  cloudwatch
    .on(GetMetricDataCommand)
    .callsFake(route('cloudwatch', 'GetMetricData', (input: GetMetricDataInput) => getMetricData(m, input)));
}
