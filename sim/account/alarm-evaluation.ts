/**
 * How long a CloudWatch alarm takes to follow its metric. A metric alarm
 * compares one datapoint per Period with its threshold and evaluates the last
 * EvaluationPeriods of them; it goes to ALARM when DatapointsToAlarm of those
 * breach (an "M out of N" alarm; M = N unless set)
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html).
 * A metric that breaches from a moment on gives its M-th breaching datapoint
 * M periods later: that is when the alarm enters ALARM. A composite alarm
 * follows the state of the alarms in its rule, so it changes at once.
 */
import type { AccountSpec } from './schema.ts';

type AlarmSpec = AccountSpec['cloudwatch']['alarms'][string];

/** Milliseconds from the moment a metric starts saying a state to the moment the alarm enters it. */
export function evaluationDelayMs(alarm: AlarmSpec): number {
  if (alarm.type === 'composite') return 0;
  return (alarm.datapointsToAlarm ?? alarm.evaluationPeriods) * alarm.period * 1000;
}

/** The alarm's ARN, as CloudWatch names it in DescribeAlarms and its state-change events. */
export function alarmArn(region: string, account: string, name: string): string {
  return `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
}
