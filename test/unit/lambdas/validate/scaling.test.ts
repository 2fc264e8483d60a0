import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { beforeEach, describe, expect, it } from 'vitest';
import { ScalingConfigError } from '../../../../lambdas/shared/errors.ts';
import { handler } from '../../../../lambdas/validate/index.ts';
import { failure } from '../../../support/aws.ts';
import { initialState } from '../../../support/state.ts';
import { arrangeEveryCheckPasses, scalingMock, web } from '../../../support/validate.ts';

const target = (name: string) => ({
  ServiceNamespace: 'ecs' as const,
  ResourceId: `service/prod/${name}`,
  ScalableDimension: 'ecs:service:DesiredCount' as const,
});
const cpu = { TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' as const } };

/** The colour `name` has a scalable target (min, max) with one CPU target tracking policy, and the scheduled actions named. */
function scaled(name: string, min: number, max: number, scheduled: string[] = []) {
  scalingMock.on(DescribeScheduledActionsCommand, { ResourceId: `service/prod/${name}` }).resolves({
    ScheduledActions: scheduled.map((ScheduledActionName) => ({
      ...target(name),
      ScheduledActionName,
      ScheduledActionARN: `arn:${ScheduledActionName}`,
      Schedule: 'cron(0 8 * * ? *)',
      CreationTime: new Date(0),
    })),
  });
  scalingMock
    .on(DescribeScalableTargetsCommand, { ResourceIds: [`service/prod/${name}`] })
    .resolves({ ScalableTargets: [{ ...target(name), MinCapacity: min, MaxCapacity: max, RoleARN: 'role', CreationTime: new Date(0) }] });
  scalingMock.on(DescribeScalingPoliciesCommand, { ResourceId: `service/prod/${name}` }).resolves({
    ScalingPolicies: [
      {
        ...target(name),
        PolicyName: 'cpu-60',
        PolicyARN: `arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:1:resource/ecs/service/prod/${name}:policyName/cpu-60`,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: cpu,
        CreationTime: new Date(0),
      },
    ],
  });
}

describe("validate: the colours' Application Auto Scaling", () => {
  beforeEach(() => {
    // Arrange (shared): an account in which every check passes; neither colour is scaled.
    arrangeEveryCheckPasses();
  });

  it('adds no scaling to the state when neither colour is scaled', async () => {
    const state = await handler(initialState());
    expect(state.scaling).toBeUndefined();
  });

  it('refuses a scaled colour when the config does not say autoscaling, before any change', async () => {
    scaled('web-blue', 2, 10);
    const error = await failure(handler(initialState()));
    expect(error).toBeInstanceOf(ScalingConfigError);
    expect(error.message).toBe(
      'blue (web-blue) has a scalable target (min 2, max 10, policies cpu-60), and services[web].autoscaling is not true: Baton would scale that colour behind its autoscaler\'s back. Set "autoscaling": true for web in the config, or deregister the target',
    );
  });

  it("records both colours' scaling as it was, when the config says autoscaling", async () => {
    scaled('web-blue', 2, 10);
    scaled('web-green', 0, 0);
    const state = await handler(initialState({ service: { ...web, autoscaling: true } }));
    const policies = [{ name: 'cpu-60', type: 'TargetTrackingScaling', targetTracking: cpu }];
    const nothing = { dynamicScalingIn: false, dynamicScalingOut: false, scheduledScaling: false };
    expect(state.scaling).toEqual({
      before: {
        blue: { registered: true, min: 2, max: 10, suspended: nothing, policies },
        green: { registered: true, min: 0, max: 0, suspended: nothing, policies },
      },
      changes: [],
    });
  });

  it('refuses scheduled actions, which Baton does not move between colours', async () => {
    scaled('web-blue', 2, 10, ['morning-peak']);
    scaled('web-green', 0, 0);
    const error = await failure(handler(initialState({ service: { ...web, autoscaling: true } })));
    expect(error).toBeInstanceOf(ScalingConfigError);
    expect(error.message).toBe(
      'blue (web-blue) has scheduled actions (morning-peak), which Baton does not move between colours: after a deployment they would act on the wrong one. Delete them and scale on policies, or set "autoscaling": false',
    );
  });

  it("warns when the live colour's scale-in is suspended already", async () => {
    scaled('web-blue', 2, 10);
    scaled('web-green', 0, 0);
    scalingMock.on(DescribeScalableTargetsCommand, { ResourceIds: ['service/prod/web-blue'] }).resolves({
      ScalableTargets: [
        {
          ...target('web-blue'),
          MinCapacity: 2,
          MaxCapacity: 10,
          RoleARN: 'role',
          CreationTime: new Date(0),
          SuspendedState: { DynamicScalingInSuspended: true },
        },
      ],
    });
    const state = await handler(initialState({ service: { ...web, autoscaling: true } }));
    expect(state.warnings).toEqual([
      'web-blue has scale-in suspended before this deployment; Baton keeps it so when it is done (resume it with RegisterScalableTarget if a deployment left it so)',
    ]);
  });

  it("says in a dry run what would happen to each colour's scaling", async () => {
    scaled('web-blue', 2, 10);
    scaled('web-green', 0, 0);
    const base = initialState({ service: { ...web, autoscaling: true } });
    const state = await handler({ ...base, request: { ...base.request, dryRun: true } });
    expect(state.plan?.scaling).toEqual([
      'web-blue (min 2, max 10, policies cpu-60): scale-in suspended until the bake passed, then min 0, max 0, all scaling suspended',
      'web-green (min 0, max 0, policies cpu-60): max 10 and the policies of web-blue, then min 2 once the bake passed; scale-in suspended until then',
    ]);
  });
});
