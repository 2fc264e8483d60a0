import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  ObjectNotFoundException,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { holdColours, restoreColour, retireScaling } from '../../../../../lambdas/shared/scaling/apply.ts';
import type { RegisteredScaling, TargetTrackingPolicy } from '../../../../../lambdas/shared/scaling/snapshot.ts';
import { rejectByDefault } from '../../../../support/aws.ts';

const scalingMock = mockClient(ApplicationAutoScalingClient);
const BLUE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/1a2b3c4d5e6f7a8b';
const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/9f8e7d6c5b4a3f2e';
const blue = { colour: 'blue' as const, serviceName: 'web-blue', targetGroupArn: BLUE_TG };
const green = { colour: 'green' as const, serviceName: 'web-green', targetGroupArn: GREEN_TG };
const target = (name: string) => ({
  ServiceNamespace: 'ecs' as const,
  ResourceId: `service/prod/${name}`,
  ScalableDimension: 'ecs:service:DesiredCount' as const,
});

const cpu: TargetTrackingPolicy = {
  name: 'cpu-60',
  type: 'TargetTrackingScaling',
  targetTracking: { TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } },
};
const nothingSuspended = { dynamicScalingIn: false, dynamicScalingOut: false, scheduledScaling: false };
const blueScaling: RegisteredScaling = { registered: true, min: 2, max: 10, suspended: nothingSuspended, policies: [cpu] };
const retired: RegisteredScaling = { registered: true, min: 0, max: 0, suspended: nothingSuspended, policies: [cpu] };

/** What the scalable target of `name` answers with: registered with these policies, or not. */
function current(name: string, policies: TargetTrackingPolicy[] | undefined) {
  scalingMock.on(DescribeScalableTargetsCommand, { ResourceIds: [`service/prod/${name}`] }).resolves({
    ScalableTargets: policies ? [{ ...target(name), MinCapacity: 2, MaxCapacity: 10, RoleARN: 'r', CreationTime: new Date(0) }] : [],
  });
  scalingMock.on(DescribeScalingPoliciesCommand, { ResourceId: `service/prod/${name}` }).resolves({
    ScalingPolicies: (policies ?? []).map((p) => ({
      ...target(name),
      PolicyName: p.name,
      PolicyARN: `arn:${p.name}`,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: p.targetTracking,
      CreationTime: new Date(0),
    })),
  });
}

const calls = () =>
  scalingMock.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return [command.constructor.name, command.input];
  });

beforeEach(() => {
  rejectByDefault(scalingMock);
  scalingMock.on(RegisterScalableTargetCommand).resolves({});
  scalingMock.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn:p' });
  scalingMock.on(DeleteScalingPolicyCommand).resolves({});
  scalingMock.on(DeregisterScalableTargetCommand).resolves({});
});

describe('holdColours', () => {
  it("suspends scale-in on both colours and gives the new one the old one's max and policies, deleting its others, its min 0 until Complete", async () => {
    const stale = { ...cpu, name: 'cpu-80' };
    const changes: string[] = [];
    await holdColours(
      { cluster: 'prod', live: blue, idle: green, before: { blue: blueScaling, green: { ...retired, policies: [stale] } } },
      changes,
    );
    const held = { DynamicScalingInSuspended: true, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false };
    expect(calls()).toEqual([
      ['RegisterScalableTargetCommand', { ...target('web-blue'), SuspendedState: held }],
      // A minimum raised now would start tasks of the revision green still runs, before Deploy points it at the release.
      ['RegisterScalableTargetCommand', { ...target('web-green'), MinCapacity: 0, MaxCapacity: 10, SuspendedState: held }],
      ['DeleteScalingPolicyCommand', { ...target('web-green'), PolicyName: 'cpu-80' }],
      [
        'PutScalingPolicyCommand',
        {
          ...target('web-green'),
          PolicyName: 'cpu-60',
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: cpu.targetTracking,
        },
      ],
    ]);
    expect(changes).toEqual([
      'web-blue: scale-in suspended',
      'web-green: min 0, max 10, scale-in suspended, policies cpu-60 (deleted cpu-80)',
    ]);
  });
});

describe('retireScaling', () => {
  it("gives the new colour the old one's min and scale-in, and sets the old one's min and max to 0 with all its scaling suspended", async () => {
    const changes: string[] = [];
    await retireScaling({ cluster: 'prod', live: blue, idle: green, before: { blue: blueScaling, green: retired } }, changes);
    const asBefore = { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false };
    expect(calls()).toEqual([
      ['RegisterScalableTargetCommand', { ...target('web-green'), MinCapacity: 2, MaxCapacity: 10, SuspendedState: asBefore }],
      [
        'RegisterScalableTargetCommand',
        {
          ...target('web-blue'),
          MinCapacity: 0,
          MaxCapacity: 0,
          SuspendedState: { DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true },
        },
      ],
    ]);
    expect(changes).toEqual(['web-green: min 2, max 10, scale-in as before', 'web-blue: min 0, max 0, all scaling suspended']);
  });
});

describe('restoreColour', () => {
  it('puts back the min, max and policies a colour had, deleting what the deployment added', async () => {
    const added = { ...cpu, name: 'requests' };
    current('web-green', [{ ...cpu, targetTracking: { ...cpu.targetTracking, TargetValue: 75 } }, added]);
    const words = await restoreColour('prod', green, retired);
    expect(calls().filter(([name]) => !String(name).startsWith('Describe'))).toEqual([
      [
        'RegisterScalableTargetCommand',
        {
          ...target('web-green'),
          MinCapacity: 0,
          MaxCapacity: 0,
          SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
        },
      ],
      ['DeleteScalingPolicyCommand', { ...target('web-green'), PolicyName: 'requests' }],
      [
        'PutScalingPolicyCommand',
        {
          ...target('web-green'),
          PolicyName: 'cpu-60',
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: cpu.targetTracking,
        },
      ],
    ]);
    expect(words).toBe('web-green: min 0, max 0, policies cpu-60, as before');
  });

  it('keeps scale-in suspended when asked (the old colour, until traffic is back on it) and puts nothing that is unchanged', async () => {
    current('web-blue', [cpu]);
    const words = await restoreColour('prod', blue, blueScaling, { scaleIn: 'held' });
    expect(calls().filter(([name]) => !String(name).startsWith('Describe'))).toEqual([
      [
        'RegisterScalableTargetCommand',
        {
          ...target('web-blue'),
          MinCapacity: 2,
          MaxCapacity: 10,
          SuspendedState: { DynamicScalingInSuspended: true, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
        },
      ],
    ]);
    expect(words).toBe('web-blue: min 2, max 10, policies cpu-60, scale-in held until traffic is back');
  });

  it('deregisters the scalable target of a colour that had none, and takes an already deregistered one as done', async () => {
    expect(await restoreColour('prod', green, { registered: false })).toBe('web-green: scalable target deregistered, as before');
    scalingMock.on(DeregisterScalableTargetCommand).rejects(new ObjectNotFoundException({ message: 'No scalable target', $metadata: {} }));
    expect(await restoreColour('prod', green, { registered: false })).toBe('web-green: no scalable target, as before');
  });
});
