/**
 * The simulated target tracking autoscaler on the autoscaling example
 * (examples/autoscaling/sim-account.json: blue live with 4 tasks at 45 % CPU,
 * 45 requests/s at 25 per task, a 60 % CPU policy, min 2, max 10): AlarmHigh
 * after 3 minutes above the target, AlarmLow after 15 below 90 % of it,
 * cooldowns, suspension, bounds, several policies; and the load the scaling
 * faults bend.
 */
import { describe, expect, it } from 'vitest';
import { STATE_NAMES as S } from '../../../../lib/constructs/state-names.ts';
import { AccountModel } from '../../../../sim/account/model.ts';
import type { ScalingPolicySpec } from '../../../../sim/account/scaling-schema.ts';
import { expectedRequests } from '../../../../sim/account/traffic-metrics.ts';
import { runContext } from '../../../../sim/fault-context.ts';
import { FAULTS } from '../../../../sim/faults/index.ts';
import { exampleConfig } from '../../../support/config.ts';
import { accountFile, exampleAccount } from '../../../support/simulation.ts';
import { BLUE, GREEN, LB, LISTENER, MINUTE, T0 } from '../../../support/traffic.ts';

const BLUE_TARGET = {
  ServiceNamespace: 'ecs',
  ResourceId: 'service/prod/web-blue',
  ScalableDimension: 'ecs:service:DesiredCount',
} as const;
const GREEN_TARGET = { ...BLUE_TARGET, ResourceId: 'service/prod/web-green' } as const;

const ALB_METRIC = {
  PredefinedMetricType: 'ALBRequestCountPerTarget',
  ResourceLabel: `${LB}/targetgroup/web-blue/6d0ecf831eec9f09`,
} as const;

function scaled(): AccountModel {
  return new AccountModel(accountFile('examples/autoscaling/sim-account.json'), T0);
}

/** The production listener carries `factor` times its 45 requests/s from T0 + `minutes`. */
function load(m: AccountModel, factor: number, minutes = 0): void {
  m.traffic.setLoad(LISTENER, factor, T0 + minutes * MINUTE);
}

/** Runs the account to T0 + `minutes` and lists the activities: [minute, from, to, policy]. */
function runTo(m: AccountModel, minutes: number): Array<[number, number, number, string | undefined]> {
  m.advanceTo(T0 + minutes * MINUTE);
  return m.scaling.activities.map((activity) => [(activity.at - T0) / MINUTE, activity.from, activity.to, activity.policyName]);
}

function policy(name: string, config: NonNullable<ScalingPolicySpec['TargetTrackingScalingPolicyConfiguration']>): ScalingPolicySpec {
  return { PolicyName: name, ...BLUE_TARGET, PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: config };
}

describe('target tracking', () => {
  it('leaves a service between 90 % of its target and the target alone', () => {
    // Arrange: 56.25 requests/s on 4 tasks: 56.25 % CPU.
    const m = scaled();
    load(m, 1.25);

    // Act / Assert
    expect(runTo(m, 60)).toEqual([]);
  });

  it('scales out once the metric was above the target for 3 minutes, to ceil(tasks x metric / target)', () => {
    // Arrange: 90 requests/s on 4 tasks: 90 % CPU.
    const m = scaled();
    load(m, 2);

    // Act / Assert: then 6 tasks at 60 %: quiet.
    expect(runTo(m, 3 - 1 / 60)).toEqual([]);
    expect(runTo(m, 30)).toEqual([[3, 4, 6, 'cpu-60']]);
    expect(m.tasks.filter((task) => task.serviceName === 'web-blue' && task.lastStatus === 'RUNNING')).toHaveLength(6);
    expect(m.service('prod', 'web-blue')?.events.map((event) => event.message)).toContain(
      `(service web-blue) desired count changed by Application Auto Scaling from 4 to 6: monitor alarm ${m.scaling.policiesOf(BLUE_TARGET)[0]?.Alarms[0]?.AlarmName} in state ALARM triggered policy cpu-60.`,
    );
  });

  it('scales in once the metric was below 90 % of the target for 15 minutes', () => {
    // Arrange: the example's 45 % is below 54 %.
    const m = scaled();

    // Act / Assert: then 3 tasks at 60 %.
    expect(runTo(m, 15 - 1 / 60)).toEqual([]);
    expect(runTo(m, 60)).toEqual([[15, 4, 3, 'cpu-60']]);
  });

  it('keeps within MinCapacity and MaxCapacity', () => {
    // Arrange
    const high = scaled();
    const low = scaled();
    load(high, 4);
    load(low, 0.1);

    // Act / Assert: 180 requests/s want 12 tasks; 4.5 want 1.
    expect(runTo(high, 30)).toEqual([[3, 4, 10, 'cpu-60']]);
    expect(runTo(low, 30)).toEqual([[15, 4, 2, 'cpu-60']]);
  });

  it('waits out the scale-out cooldown before scaling out again', () => {
    // Arrange
    const m = scaled();
    m.scaling.putPolicy(
      policy('cpu-60', {
        TargetValue: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        ScaleOutCooldown: 600,
      }),
    );
    load(m, 2);
    load(m, 4, 3);

    // Act / Assert: from minute 4 the 6 tasks are at 120 % and want 12 (10), held back until minute 13.
    expect(runTo(m, 30)).toEqual([
      [3, 4, 6, 'cpu-60'],
      [13, 6, 10, 'cpu-60'],
    ]);
  });

  it('waits out the scale-in cooldown (300 s) before scaling in again', () => {
    // Arrange
    const m = scaled();
    m.scaling.register(BLUE_TARGET, { MinCapacity: 1 });
    load(m, 0.5);
    load(m, 0.1, 15);

    // Act / Assert: 22.5 requests/s want 2 tasks at minute 15; then 4.5 want 1, held back until minute 20.
    expect(runTo(m, 40)).toEqual([
      [15, 4, 2, 'cpu-60'],
      [20, 2, 1, 'cpu-60'],
    ]);
  });

  it('does not scale in while an ECS deployment of the service is in progress', () => {
    // Arrange: at 14:30 the service is scaled to 5 by hand; the fifth task runs at 14:50, healthy about 30 s later.
    const m = scaled();
    m.advanceTo(T0 + 14.5 * MINUTE);
    const service = m.service('prod', 'web-blue');
    if (!service) throw new Error('no web-blue');
    m.updateService(service, { desiredCount: 5 });

    // Act / Assert: AlarmLow fires at minute 15 while the rollout is IN_PROGRESS; the scale in waits for minute 16.
    expect(runTo(m, 30)).toEqual([[16, 5, 3, 'cpu-60']]);
  });

  it('scales out, never in, under suspended scale-in or DisableScaleIn; neither way under suspended scale-out when it would grow', () => {
    // Arrange
    const suspendedIn = scaled();
    suspendedIn.scaling.register(BLUE_TARGET, { SuspendedState: { DynamicScalingInSuspended: true } });
    const suspendedOut = scaled();
    suspendedOut.scaling.register(BLUE_TARGET, { SuspendedState: { DynamicScalingOutSuspended: true } });
    load(suspendedOut, 2);
    const disabled = scaled();
    disabled.scaling.putPolicy(
      policy('cpu-60', {
        TargetValue: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        DisableScaleIn: true,
      }),
    );
    const inThenOut = scaled();
    inThenOut.scaling.register(BLUE_TARGET, { SuspendedState: { DynamicScalingInSuspended: true } });
    load(inThenOut, 2, 20);

    // Act / Assert
    expect(runTo(suspendedIn, 60)).toEqual([]);
    expect(runTo(suspendedOut, 60)).toEqual([]);
    expect(runTo(disabled, 60)).toEqual([]);
    expect(runTo(inThenOut, 60)).toEqual([[23, 4, 6, 'cpu-60']]);
  });

  it('takes the largest capacity several policies ask for, and scales in only when every one asks', () => {
    // Arrange: at 90 requests/s, 1,350 requests a minute per target against 700, and 90 % CPU against 60.
    const out = scaled();
    out.scaling.putPolicy(policy('alb-700', { TargetValue: 700, PredefinedMetricSpecification: ALB_METRIC }));
    load(out, 2);
    // At 45 % CPU the memory model says 53.5 %: between 90 % of 55 and 55, its alarms stay quiet.
    const held = scaled();
    held.scaling.putPolicy(
      policy('memory-55', {
        TargetValue: 55,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' },
      }),
    );

    // Act / Assert: CPU wants 6, requests ceil(4 x 1350 / 700) = 8; then the CPU's wish to scale in is held by the quiet policy.
    expect(runTo(out, 40)).toEqual([[3, 4, 8, 'alb-700']]);
    expect(runTo(held, 60)).toEqual([]);
  });

  it('tracks ALBRequestCountPerTarget: requests a minute per healthy target of the labelled target group', () => {
    // Arrange: 2,700 requests a minute over 4 targets: 675 each.
    const m = scaled();
    m.scaling.putPolicy(
      policy('alb-500', {
        TargetValue: 500,
        PredefinedMetricSpecification: ALB_METRIC,
      }),
    );

    // Act / Assert: ceil(4 x 675 / 500) = 6, above what the CPU policy asks.
    expect(runTo(m, 10)).toEqual([[3, 4, 6, 'alb-500']]);
  });

  it('never scales a colour without running tasks (no datapoints), nor one its policies do not cover', () => {
    // Arrange: green is idle at 0 tasks; its target is min 0, max 0.
    const m = scaled();
    load(m, 0.1);

    // Act
    runTo(m, 60);

    // Assert
    expect(m.scaling.activities.filter((activity) => activity.resourceId === GREEN_TARGET.ResourceId)).toEqual([]);
    expect(new AccountModel(exampleAccount(), T0).scaling.active).toBe(false);
  });
});

describe('the scaling faults', () => {
  const controls = { interceptors: [], denyAction() {}, hangInvocation() {}, stopAt() {}, loseMainStatusEvent() {} };
  const input = { service: 'web', imageTag: 'v1.4.2' };

  it('scale-out-during-shift: the production listener’s requests triple from the first listener update of Shift traffic', () => {
    // Arrange
    const m = scaled();
    const ctx = runContext(m, exampleConfig(), input, controls);
    FAULTS['scale-out-during-shift']?.apply(ctx);

    // Act: Shift traffic moves the listener at T0 + 2 minutes.
    m.advanceTo(T0 + 2 * MINUTE);
    ctx.currentState = S.shiftTraffic;
    for (const interceptor of ctx.interceptors) interceptor('elb', 'ModifyListener', {});
    m.advanceTo(T0 + 4 * MINUTE);

    // Assert: from the next simulated second (the fault's scheduled action); the ALB metrics see it too.
    expect(m.traffic.loadAt(LISTENER, T0 + 2 * MINUTE)).toBe(1);
    expect(m.traffic.loadAt(LISTENER, T0 + 2 * MINUTE + 1000)).toBe(3);
    expect(expectedRequests(m, BLUE, LB, T0 + 2 * MINUTE)).toBe(2700);
    expect(expectedRequests(m, BLUE, LB, T0 + 3 * MINUTE)).toBe(8100);
    expect(expectedRequests(m, GREEN, LB, T0 + 3 * MINUTE)).toBe(0);
  });

  it('old-colour-scaled-in-during-bake: at the bake the load falls to a tenth and AlarmLow fires at the next minute', () => {
    // Arrange
    const m = scaled();
    const ctx = runContext(m, exampleConfig(), input, controls);
    FAULTS['old-colour-scaled-in-during-bake']?.apply(ctx);

    // Act: the bake starts at T0 + 2 minutes 30 s.
    m.advanceTo(T0 + 2.5 * MINUTE);
    for (const hook of ctx.onStateEntered) hook(S.checkBake);

    // Assert: the minute before (45 %) fires AlarmLow: 3 tasks; then 4.5 requests/s want 1, MinCapacity 2, after the 300 s cooldown.
    expect(m.traffic.loadAt(LISTENER, T0 + 2.5 * MINUTE)).toBe(0.1);
    expect(runTo(m, 10)).toEqual([
      [3, 4, 3, 'cpu-60'],
      [8, 3, 2, 'cpu-60'],
    ]);
  });

  it('refuses an account without a scalable target for the service', () => {
    // Arrange
    const m = new AccountModel(exampleAccount(), T0);

    // Act / Assert
    for (const name of ['scale-out-during-shift', 'old-colour-scaled-in-during-bake']) {
      expect(() => FAULTS[name]?.apply(runContext(m, exampleConfig(), input, controls))).toThrow(
        `fault "${name}" needs Application Auto Scaling on web: the account has no scalable target for service/prod/web-blue (add an applicationAutoScaling section, e.g. examples/autoscaling/sim-account.json)`,
      );
    }
  });
});
