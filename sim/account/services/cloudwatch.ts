/** CloudWatch: the state of the alarms, metric and composite. */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AccountModel } from '../model.ts';
import { META, type ServiceSetup, stubClient } from './common.ts';

/** Like CloudWatch, metric alarms only unless AlarmTypes asks for composite alarms too. */
function describeAlarms(m: AccountModel, input: { AlarmNames?: string[]; AlarmTypes?: string[] }) {
  const types = input.AlarmTypes ?? ['MetricAlarm'];
  const named = (input.AlarmNames ?? []).flatMap((name) => {
    const alarm = m.alarms[name];
    return alarm ? [{ AlarmName: name, StateValue: alarm.state, StateReason: alarm.reason, type: alarm.type }] : [];
  });
  const ofType = (type: string, wanted: string) =>
    types.includes(wanted) ? named.filter((alarm) => alarm.type === type).map(({ type: _type, ...alarm }) => alarm) : [];
  return { ...META, MetricAlarms: ofType('metric', 'MetricAlarm'), CompositeAlarms: ofType('composite', 'CompositeAlarm') };
}

export function installCloudWatch({ model: m, sandbox, route }: ServiceSetup): void {
  const cloudwatch = stubClient(CloudWatchClient, { sandbox });
  cloudwatch
    .on(DescribeAlarmsCommand)
    .callsFake(
      route('cloudwatch', 'DescribeAlarms', (input: { AlarmNames?: string[]; AlarmTypes?: string[] }) => describeAlarms(m, input)),
    );
}
