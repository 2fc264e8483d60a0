/**
 * The simulated account's timing, as AWS documents it: a new target is
 * healthy after one passing check, a target in service goes unhealthy after
 * the unhealthy threshold, an alarm follows its metric after its evaluation
 * periods; and each alarm state change and task stop is heard once by the
 * model's listeners.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema, type AccountSpec } from '../../../../sim/account/schema.ts';
import type { AlarmStateChange, TaskStopped } from '../../../../sim/account/state-changes.ts';
import { ROOT } from '../../../support/config.ts';

const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const SECOND = 1000;
const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/8e4b6b8b3c5d2a10';
const BLUE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09';

function account(): AccountSpec {
  return AccountSchema.parse(JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')));
}

function alarmChanges(model: AccountModel): AlarmStateChange[] {
  const seen: AlarmStateChange[] = [];
  model.onAlarmStateChange((change) => seen.push(change));
  return seen;
}

describe('alarm evaluation', () => {
  it('enters ALARM one period after its metric breaches (EvaluationPeriods 1, Period 60), heard once', () => {
    const model = new AccountModel(account(), T0);
    const seen = alarmChanges(model);
    const at = model.metricSays('web-5xx-rate', 'ALARM', 'Threshold Crossed', T0 + 10 * SECOND);
    expect(at).toBe(T0 + 70 * SECOND);
    model.advanceTo(T0 + 69 * SECOND);
    expect(model.alarms['web-5xx-rate']?.state).toBe('OK');
    expect(seen).toEqual([]);
    model.advanceTo(T0 + 70 * SECOND);
    model.advanceTo(T0 + 300 * SECOND);
    expect(model.alarms['web-5xx-rate']?.state).toBe('ALARM');
    expect(seen).toEqual([
      {
        alarmName: 'web-5xx-rate',
        alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-5xx-rate',
        previous: 'OK',
        state: 'ALARM',
        reason: 'Threshold Crossed',
        at: T0 + 70 * SECOND,
      },
    ]);
    // The same state again is no change; going back is one.
    model.setAlarmState('web-5xx-rate', 'ALARM', 'still breaching');
    model.setAlarmState('web-5xx-rate', 'OK', 'recovered');
    expect(seen.map((change) => [change.previous, change.state])).toEqual([
      ['OK', 'ALARM'],
      ['ALARM', 'OK'],
    ]);
  });

  it('waits DatapointsToAlarm periods of an M out of N alarm', () => {
    const spec = account();
    Object.assign(spec.cloudwatch.alarms['web-5xx-rate'] ?? {}, { period: 30, evaluationPeriods: 3, datapointsToAlarm: 2 });
    const model = new AccountModel(spec, T0);
    expect(model.metricSays('web-5xx-rate', 'ALARM', 'Threshold Crossed', T0)).toBe(T0 + 60 * SECOND);
    const both = { ...spec.cloudwatch.alarms['web-5xx-rate'], datapointsToAlarm: undefined };
    Object.assign(spec.cloudwatch.alarms['web-5xx-rate'] ?? {}, both);
    expect(new AccountModel(spec, T0).metricSays('web-5xx-rate', 'ALARM', 'Threshold Crossed', T0)).toBe(T0 + 90 * SECOND);
  });

  it('never enters a state its metric left before the evaluation periods ended', () => {
    const model = new AccountModel(account(), T0);
    const seen = alarmChanges(model);
    model.metricSays('web-5xx-rate', 'ALARM', 'Threshold Crossed', T0);
    model.advanceTo(T0 + 30 * SECOND);
    model.metricSays('web-5xx-rate', 'OK', 'back under the threshold');
    model.advanceTo(T0 + 200 * SECOND);
    expect(seen).toEqual([]);
    expect(model.alarms['web-5xx-rate']?.state).toBe('OK');
  });

  it('changes a composite alarm at once, and a metric that breached for the periods already', () => {
    const spec = account();
    Object.assign(spec.cloudwatch.alarms['web-p99-latency'] ?? {}, { type: 'composite' });
    const model = new AccountModel(spec, T0);
    const seen = alarmChanges(model);
    model.metricSays('web-p99-latency', 'ALARM', 'child in ALARM');
    model.metricSays('web-5xx-rate', 'ALARM', 'Threshold Crossed', T0 - 60 * SECOND);
    expect(seen.map((change) => [change.alarmName, change.state, change.at])).toEqual([
      ['web-p99-latency', 'ALARM', T0],
      ['web-5xx-rate', 'ALARM', T0],
    ]);
  });
});

describe('target health checks (interval 10 s, unhealthy threshold 2)', () => {
  it('puts a new target in service after one passing check', () => {
    const model = new AccountModel(account(), T0);
    const green = model.service('prod', 'web-green');
    if (!green) throw new Error('no web-green');
    model.updateService(green, { desiredCount: 1 });
    // Launched at the first second, RUNNING and registered 20 s later (taskStartSeconds).
    model.advanceTo(T0 + 21 * SECOND);
    const target = model.targets.get(GREEN_TG)?.[0];
    expect(target).toMatchObject({ state: 'initial', registeredAt: T0 + 21 * SECOND });
    model.advanceTo(T0 + 30 * SECOND);
    expect(target?.state).toBe('initial');
    model.advanceTo(T0 + 31 * SECOND);
    expect(target).toMatchObject({ state: 'healthy', since: T0 + 31 * SECOND });
  });

  it('takes a target out of service after two failed checks, not at the first', () => {
    const model = new AccountModel(account(), T0);
    const target = model.targets.get(BLUE_TG)?.[0];
    if (!target) throw new Error('no blue target');
    model.hooks.behaviourOf = () => 'unhealthy';
    model.advanceTo(T0 + 1 * SECOND);
    expect(target.failing).toMatchObject({ since: T0 + SECOND, reason: 'Target.ResponseCodeMismatch' });
    model.advanceTo(T0 + 20 * SECOND);
    expect(target.state).toBe('healthy');
    model.advanceTo(T0 + 21 * SECOND);
    expect(target).toMatchObject({ state: 'unhealthy', since: T0 + 21 * SECOND, reason: 'Target.ResponseCodeMismatch' });
    expect(target.failing).toBeUndefined();
  });

  it('moves the services on whole seconds however close together the calls come', () => {
    const model = new AccountModel(account(), T0);
    const green = model.service('prod', 'web-green');
    if (!green) throw new Error('no web-green');
    model.updateService(green, { desiredCount: 1 });
    for (let at = T0; at <= T0 + 21 * SECOND; at += 20) model.advanceTo(at);
    expect(model.targets.get(GREEN_TG)?.[0]).toMatchObject({ state: 'initial', registeredAt: T0 + 21 * SECOND });
  });
});

describe('stopped tasks', () => {
  it('are heard once each, with their cluster, group and reason', () => {
    const model = new AccountModel(account(), T0);
    const seen: TaskStopped[] = [];
    const unsubscribe = model.onTaskStopped((stopped) => seen.push(stopped));
    const blue = model.service('prod', 'web-blue');
    if (!blue) throw new Error('no web-blue');
    model.updateService(blue, { desiredCount: 1 });
    model.advanceTo(T0 + 5 * SECOND);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
      group: 'service:web-blue',
      stopCode: 'ServiceSchedulerInitiated',
      at: T0 + SECOND,
    });
    expect(seen[0]?.taskArn).toMatch(/^arn:aws:ecs:eu-west-1:123456789012:task\/prod\/[0-9a-f]+$/);
    expect(seen[0]?.stoppedReason).toMatch(/^Scaling activity initiated by/);
    // Stopping a stopped task again is no stop.
    const stopped = model.tasks.find((task) => task.lastStatus === 'STOPPED');
    if (stopped) model.stop(blue, stopped, T0 + 6 * SECOND, 'again', 'UserInitiated');
    expect(seen).toHaveLength(2);
    unsubscribe();
    model.updateService(blue, { desiredCount: 0 });
    model.advanceTo(T0 + 10 * SECOND);
    expect(seen).toHaveLength(2);
  });
});
