import { describe, expect, it } from 'vitest';
import { copyPlan, scalingProblems, targetGroupLabel, translated } from '../../../../../lambdas/shared/scaling/reconcile.ts';
import type { ColourScaling, RegisteredScaling, TargetTrackingPolicy } from '../../../../../lambdas/shared/scaling/snapshot.ts';

const BLUE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/1a2b3c4d5e6f7a8b';
const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/9f8e7d6c5b4a3f2e';
const LB = 'app/prod-alb/0123456789abcdef';
const blue = { colour: 'blue' as const, serviceName: 'web-blue', targetGroupArn: BLUE_TG };
const green = { colour: 'green' as const, serviceName: 'web-green', targetGroupArn: GREEN_TG };

const cpu: TargetTrackingPolicy = {
  name: 'cpu-60',
  type: 'TargetTrackingScaling',
  targetTracking: {
    TargetValue: 60,
    PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
    ScaleOutCooldown: 60,
    ScaleInCooldown: 300,
  },
};
const requests: TargetTrackingPolicy = {
  name: 'requests-1000',
  type: 'TargetTrackingScaling',
  targetTracking: {
    TargetValue: 1000,
    PredefinedMetricSpecification: {
      PredefinedMetricType: 'ALBRequestCountPerTarget',
      ResourceLabel: `${LB}/targetgroup/web-blue/1a2b3c4d5e6f7a8b`,
    },
  },
};
const suspendedNothing = { dynamicScalingIn: false, dynamicScalingOut: false, scheduledScaling: false };
const scaled = (policies: RegisteredScaling['policies'], min = 2, max = 10): RegisteredScaling => ({
  registered: true,
  min,
  max,
  suspended: suspendedNothing,
  policies,
});
const none: ColourScaling = { registered: false };

describe('scalingProblems', () => {
  it('finds nothing when neither colour is scaled and autoscaling is off', () => {
    expect(scalingProblems('web', false, { live: { ...blue, scaling: none }, idle: { ...green, scaling: none } })).toEqual([]);
  });

  it('refuses a scalable target Baton is not told to manage, naming the colour, what it has and the field', () => {
    expect(scalingProblems('web', false, { live: { ...blue, scaling: scaled([cpu]) }, idle: { ...green, scaling: none } })).toEqual([
      'blue (web-blue) has a scalable target (min 2, max 10, policies cpu-60), and services[web].autoscaling is not true: Baton would scale that colour behind its autoscaler\'s back. Set "autoscaling": true for web in the config, or deregister the target',
    ]);
  });

  it('refuses autoscaling on when the live colour has no scalable target', () => {
    expect(scalingProblems('web', true, { live: { ...blue, scaling: none }, idle: { ...green, scaling: scaled([cpu]) } })).toEqual([
      'services[web].autoscaling is true, but blue (web-blue), which serves production, has no scalable target for ecs:service:DesiredCount; Baton copies that colour\'s scaling to the new one. Register one, or set "autoscaling": false',
    ]);
  });

  it('accepts a live colour with target tracking policies and a new colour with none', () => {
    expect(
      scalingProblems('web', true, { live: { ...blue, scaling: scaled([cpu, requests]) }, idle: { ...green, scaling: none } }),
    ).toEqual([]);
  });

  it('refuses a live colour whose maximum is 0, a request count policy on another target group, and step policies it cannot copy', () => {
    const elsewhere: TargetTrackingPolicy = {
      ...requests,
      targetTracking: {
        TargetValue: 1000,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: `${LB}/targetgroup/api/0000` },
      },
    };
    const step = { name: 'queue-steps', type: 'StepScaling' as const };
    const problems = scalingProblems('web', true, {
      live: { ...blue, scaling: scaled([elsewhere, step], 0, 0) },
      idle: { ...green, scaling: scaled([{ name: 'old-steps', type: 'StepScaling' }], 0, 0) },
    });
    expect(problems).toEqual([
      'blue (web-blue) serves production with MaxCapacity 0: its autoscaler would scale it to nothing; give it the maximum it should have',
      `policy requests-1000 of blue (web-blue) tracks ResourceLabel ${LB}/targetgroup/api/0000, not blue (web-blue)'s target group targetgroup/web-blue/1a2b3c4d5e6f7a8b: Baton cannot tell which target group the new colour's copy should track`,
      "policy queue-steps of blue (web-blue) is a StepScaling policy, which Baton does not copy (its alarms or forecasts are the service's own); give green (web-green) a StepScaling policy named queue-steps too, or use target tracking",
      "green (web-green) has StepScaling policy old-steps, which blue (web-blue) has not; Baton gives the new colour the old colour's policies and would not know whether to keep it. Delete it, or give blue (web-blue) the same",
    ]);
  });

  it('accepts a step policy both colours have under one name', () => {
    const step = { name: 'queue-steps', type: 'StepScaling' as const };
    expect(
      scalingProblems('web', true, { live: { ...blue, scaling: scaled([step]) }, idle: { ...green, scaling: scaled([step]) } }),
    ).toEqual([]);
  });
});

describe('translated', () => {
  it("points a request count policy at the new colour's target group, on the same load balancer", () => {
    expect(translated(requests, blue, green).targetTracking.PredefinedMetricSpecification).toEqual({
      PredefinedMetricType: 'ALBRequestCountPerTarget',
      ResourceLabel: `${LB}/targetgroup/web-green/9f8e7d6c5b4a3f2e`,
    });
  });

  it("renames the old colour's service and target group in a custom metric's dimensions, and leaves the rest", () => {
    const custom: TargetTrackingPolicy = {
      name: 'latency',
      type: 'TargetTrackingScaling',
      targetTracking: {
        TargetValue: 0.2,
        CustomizedMetricSpecification: {
          MetricName: 'TargetResponseTime',
          Namespace: 'AWS/ApplicationELB',
          Statistic: 'Average',
          Dimensions: [
            { Name: 'TargetGroup', Value: 'targetgroup/web-blue/1a2b3c4d5e6f7a8b' },
            { Name: 'LoadBalancer', Value: LB },
            { Name: 'ServiceName', Value: 'web-blue' },
            { Name: 'QueueName', Value: 'web-blue-jobs' },
          ],
        },
      },
    };
    expect(translated(custom, blue, green).targetTracking.CustomizedMetricSpecification?.Dimensions).toEqual([
      { Name: 'TargetGroup', Value: 'targetgroup/web-green/9f8e7d6c5b4a3f2e' },
      { Name: 'LoadBalancer', Value: LB },
      { Name: 'ServiceName', Value: 'web-green' },
      { Name: 'QueueName', Value: 'web-blue-jobs' },
    ]);
  });

  it('keeps a CPU policy as it is', () => {
    expect(translated(cpu, blue, green)).toEqual(cpu);
  });
});

describe('copyPlan', () => {
  it("puts the old colour's target tracking policies on the new one and deletes the new one's others", () => {
    const stale: TargetTrackingPolicy = { ...cpu, name: 'cpu-80', targetTracking: { ...cpu.targetTracking, TargetValue: 80 } };
    const plan = copyPlan({ live: { ...blue, scaling: scaled([cpu, requests]) }, idle: { ...green, scaling: scaled([stale]) } });
    expect(plan.put.map((p) => p.name)).toEqual(['cpu-60', 'requests-1000']);
    expect(plan.remove).toEqual(['cpu-80']);
  });
});

describe('targetGroupLabel', () => {
  it('is the resource part of the ARN', () => {
    expect(targetGroupLabel(BLUE_TG)).toBe('targetgroup/web-blue/1a2b3c4d5e6f7a8b');
  });
});
