/** The CloudWatch alarms that gate a deployment, with the state and reason an operator acts on. */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from '../clients/cloudwatch.ts';
import { ResourceMissingError } from '../errors.ts';

export interface AlarmSignal {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
}

/**
 * Alarms in ALARM (and in INSUFFICIENT_DATA when the policy is "fail"). A
 * configured alarm that does not exist is a config error, not a pass.
 */
export async function firingAlarms(alarmNames: readonly string[], insufficientData: 'pass' | 'fail' = 'pass'): Promise<AlarmSignal[]> {
  if (alarmNames.length === 0) return [];
  const found = new Map<string, { state: string; reason: string }>();
  // DescribeAlarms takes at most 100 names per call.
  for (let i = 0; i < alarmNames.length; i += 100) {
    const names = alarmNames.slice(i, i + 100);
    let nextToken: string | undefined;
    do {
      const out = await cloudwatch().send(
        new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken }),
      );
      for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName) found.set(alarm.AlarmName, { state: alarm.StateValue ?? 'UNKNOWN', reason: alarm.StateReason ?? '' });
      }
      nextToken = out.NextToken;
    } while (nextToken);
  }
  const missing = alarmNames.filter((name) => !found.has(name));
  if (missing.length > 0) throw new ResourceMissingError(`CloudWatch alarm(s) not found: ${missing.join(', ')}`);
  return alarmNames
    .map((name) => ({ name, ...(found.get(name) ?? { state: 'UNKNOWN', reason: '' }) }))
    .filter((alarm) => alarm.state === 'ALARM' || (insufficientData === 'fail' && alarm.state === 'INSUFFICIENT_DATA'))
    .map(({ name, state, reason }) => ({ name, state, reason }));
}
