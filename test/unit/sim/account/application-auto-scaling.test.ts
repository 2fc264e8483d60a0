/**
 * The simulated Application Auto Scaling API, through the SDK as a handler
 * calls it: the account file's section (and its refusals), each operation
 * with AWS's errors, new bounds moving a desired count, and the IAM request
 * of each operation.
 */
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingActivitiesCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimulatedApis } from '../../../../sim/account/api.ts';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema } from '../../../../sim/account/schema.ts';
import { authorizationRequests } from '../../../../sim/iam/requests.ts';
import { accountFile, exampleAccount } from '../../../support/simulation.ts';
import { T0 } from '../../../support/traffic.ts';

const SCALED = 'examples/autoscaling/sim-account.json';
const BLUE = { ServiceNamespace: 'ecs', ResourceId: 'service/prod/web-blue', ScalableDimension: 'ecs:service:DesiredCount' } as const;
const GREEN = { ...BLUE, ResourceId: 'service/prod/web-green' } as const;
const TARGET_ARN = /^arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target\/[0-9a-f]{32}$/;
const CPU_60 = {
  TargetValue: 60,
  PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
  ScaleOutCooldown: 60,
  ScaleInCooldown: 300,
} as const;

let model: AccountModel;
let apis: SimulatedApis;
const client = new ApplicationAutoScalingClient({ region: 'eu-west-1' });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  model = new AccountModel(accountFile(SCALED), T0);
  apis = new SimulatedApis(model);
  apis.install();
});

afterEach(() => {
  apis.uninstall();
  vi.useRealTimers();
});

/** The raw autoscaling example with its section replaced. */
function withSection(section: unknown): unknown {
  return { ...(structuredClone(accountFile(SCALED)) as Record<string, unknown>), applicationAutoScaling: section };
}

function issues(raw: unknown): string[] {
  const parsed = AccountSchema.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('the account file section', () => {
  const target = { ...BLUE, MinCapacity: 2, MaxCapacity: 10 };
  const policy = { PolicyName: 'cpu-60', ...BLUE, PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: CPU_60 };

  it('is optional: an account without it scales nothing', () => {
    // Arrange / Act
    const plain = new AccountModel(exampleAccount(), T0);

    // Assert
    expect(plain.scaling.active).toBe(false);
    expect(plain.scaling.summary()).toEqual({});
    expect(plain.toSpec()).not.toHaveProperty('applicationAutoScaling');
  });

  it('takes Describe output as AWS prints it, suspension defaulting to false', () => {
    // Arrange
    const pasted = {
      ScalableTargets: [
        {
          ...target,
          RoleARN:
            'arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
          CreationTime: '2026-10-01T08:00:00.000Z',
          ScalableTargetARN: 'arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/0123456789abcdef0123456789abcdef',
        },
      ],
      ScalingPolicies: [
        { ...policy, PolicyARN: 'arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:x', Alarms: [], CreationTime: 1 },
      ],
    };

    // Act
    const parsed = AccountSchema.parse(withSection(pasted));

    // Assert
    expect(parsed.applicationAutoScaling?.ScalableTargets[0]?.SuspendedState).toEqual({
      DynamicScalingInSuspended: false,
      DynamicScalingOutSuspended: false,
      ScheduledScalingSuspended: false,
    });
  });

  it('refuses what the rest of the account contradicts, naming it', () => {
    // Arrange / Act / Assert
    expect(issues(withSection({ ScalableTargets: [{ ...target, ResourceId: 'service/prod/api' }] }))).toEqual([
      "applicationAutoScaling: ScalableTargets[0]: service/prod/api is no service of the account's ecs section",
    ]);
    expect(issues(withSection({ ScalableTargets: [target, target] }))).toEqual([
      'applicationAutoScaling: ScalableTargets[1]: service/prod/web-blue is registered twice',
    ]);
    expect(issues(withSection({ ScalableTargets: [], ScalingPolicies: [policy] }))).toEqual([
      'applicationAutoScaling: ScalingPolicies[0] (cpu-60): no scalable target is registered for service/prod/web-blue',
    ]);
    expect(issues(withSection({ ScalableTargets: [{ ...target, MinCapacity: 11 }] }))).toEqual([
      'applicationAutoScaling.ScalableTargets.0: MinCapacity cannot be more than MaxCapacity',
    ]);
  });

  it('refuses a policy it cannot act on as written', () => {
    // Arrange
    const { TargetTrackingScalingPolicyConfiguration: _config, ...bare } = policy;
    const alb = { ...CPU_60, PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget' } };

    // Act / Assert
    expect(issues(withSection({ ScalableTargets: [target], ScalingPolicies: [bare] }))).toEqual([
      'applicationAutoScaling.ScalingPolicies.0: a TargetTrackingScaling policy needs its TargetTrackingScalingPolicyConfiguration',
    ]);
    expect(
      issues(withSection({ ScalableTargets: [target], ScalingPolicies: [{ ...policy, TargetTrackingScalingPolicyConfiguration: alb }] })),
    ).toEqual([
      'applicationAutoScaling.ScalingPolicies.0.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification: ALBRequestCountPerTarget needs a ResourceLabel (app/<load balancer>/<id>/targetgroup/<target group>/<id>)',
    ]);
    expect(issues(withSection({ ScalableTargets: [{ ...target, ServiceNamespace: 'dynamodb' }] }))).toHaveLength(1);
    expect(issues(withSection({ ScalableTargets: [{ ...target, Extra: 1 }] }))).toHaveLength(1);
  });

  it('writes itself back into the account file, requestsPerTask included', () => {
    // Arrange / Act
    const spec = AccountSchema.parse(model.toSpec());

    // Assert
    expect(spec.applicationAutoScaling).toEqual(accountFile(SCALED).applicationAutoScaling);
    expect(spec.ecs.clusters.prod?.services['web-blue']?.requestsPerTask).toBe(25);
  });
});

describe('DescribeScalableTargets', () => {
  it('returns the namespace’s targets with their ARN, role, creation time and suspension; ResourceIds filters', async () => {
    // Arrange / Act
    const all = await client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }));
    const one = await client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [GREEN.ResourceId] }));

    // Assert
    expect(all.ScalableTargets?.map((target) => [target.ResourceId, target.MinCapacity, target.MaxCapacity])).toEqual([
      ['service/prod/web-blue', 2, 10],
      ['service/prod/web-green', 0, 0],
    ]);
    expect(one.ScalableTargets).toEqual([
      {
        ...GREEN,
        MinCapacity: 0,
        MaxCapacity: 0,
        SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
        ScalableTargetARN: expect.stringMatching(TARGET_ARN),
        RoleARN:
          'arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
        CreationTime: new Date(T0),
      },
    ]);
    expect(one.ScalableTargets?.[0]?.ScalableTargetARN).not.toBe(all.ScalableTargets?.[0]?.ScalableTargetARN);
  });
});

describe('RegisterScalableTarget', () => {
  it('updates only the fields given and returns the target’s ARN', async () => {
    // Arrange / Act
    const out = await client.send(new RegisterScalableTargetCommand({ ...BLUE, SuspendedState: { DynamicScalingInSuspended: true } }));

    // Assert
    expect(out.ScalableTargetARN).toBe(model.scaling.target(BLUE)?.ScalableTargetARN);
    expect(model.scaling.summary()['service/prod/web-blue']).toEqual({
      min: 2,
      max: 10,
      scaleInSuspended: true,
      scaleOutSuspended: false,
      scheduledSuspended: false,
      policies: ['cpu-60'],
      desiredCount: 4,
    });
  });

  it('moves the desired count into new bounds, as a write the invariants see, with an activity and a service event', async () => {
    // Arrange / Act
    await client.send(new RegisterScalableTargetCommand({ ...BLUE, MinCapacity: 6 }));
    await client.send(new RegisterScalableTargetCommand({ ...BLUE, MinCapacity: 0, MaxCapacity: 0 }));

    // Assert
    expect(model.scaling.activities.map(({ from, to, cause }) => [from, to, cause])).toEqual([
      [4, 6, 'minimum capacity was set to 6 by a call to RegisterScalableTarget'],
      [6, 0, 'maximum capacity was set to 0 by a call to RegisterScalableTarget'],
    ]);
    expect(model.service('prod', 'web-blue')?.desiredCount).toBe(0);
    expect(apis.writes.map((write) => (write.kind === 'service' ? [write.service, write.desiredCount] : write.kind))).toEqual([
      ['prod/web-blue', 6],
      ['prod/web-blue', 0],
    ]);
    expect(model.service('prod', 'web-blue')?.events[0]?.message).toBe(
      '(service web-blue) desired count changed by Application Auto Scaling from 6 to 0: maximum capacity was set to 0 by a call to RegisterScalableTarget.',
    );
  });

  it('creates a target only with both bounds, refuses inverted bounds and what is no ECS service of the account', async () => {
    // Arrange
    await client.send(new DeregisterScalableTargetCommand(GREEN));
    const refusal = (input: ConstructorParameters<typeof RegisterScalableTargetCommand>[0]) =>
      client.send(new RegisterScalableTargetCommand(input)).catch((error: unknown) => error);

    // Act / Assert
    expect(await refusal({ ...GREEN, MinCapacity: 1 })).toMatchObject({
      name: 'ValidationException',
      message: 'MinCapacity and MaxCapacity are required when registering a new scalable target',
    });
    expect(await refusal({ ...BLUE, MinCapacity: 11 })).toMatchObject({
      name: 'ValidationException',
      message: 'Minimum capacity cannot be greater than maximum capacity',
    });
    expect(await refusal({ ...BLUE, ResourceId: 'service/prod/api', MinCapacity: 1, MaxCapacity: 2 })).toMatchObject({
      name: 'ValidationException',
      message: "ECS service doesn't exist: service/prod/api",
    });
    expect(await refusal({ ...BLUE, ScalableDimension: 'dynamodb:table:ReadCapacityUnits' })).toMatchObject({
      name: 'ValidationException',
      message: 'Unsupported service namespace, resource type or scalable dimension',
    });
    const created = await client.send(new RegisterScalableTargetCommand({ ...GREEN, MinCapacity: 0, MaxCapacity: 3 }));
    expect(created.ScalableTargetARN).toMatch(TARGET_ARN);
  });
});

describe('DeregisterScalableTarget', () => {
  it('deletes the target and its policies; a second time, ObjectNotFoundException', async () => {
    // Arrange / Act
    await client.send(new DeregisterScalableTargetCommand(BLUE));
    const again = await client.send(new DeregisterScalableTargetCommand(BLUE)).catch((error: unknown) => error);

    // Assert
    expect(model.scaling.targets().map((target) => target.ResourceId)).toEqual(['service/prod/web-green']);
    expect(model.scaling.policies().map((policy) => policy.ResourceId)).toEqual(['service/prod/web-green']);
    expect(again).toMatchObject({
      name: 'ObjectNotFoundException',
      message:
        'No scalable target found for service namespace: ecs, resource ID: service/prod/web-blue, scalable dimension: ecs:service:DesiredCount',
    });
  });
});

describe('scaling policies', () => {
  it('describes them by target and name, with their ARN, alarms and creation time', async () => {
    // Arrange / Act
    const out = await client.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: BLUE.ResourceId }));
    const none = await client.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', PolicyNames: ['memory-70'] }));

    // Assert
    expect(out.ScalingPolicies).toEqual([
      {
        PolicyName: 'cpu-60',
        ...BLUE,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: CPU_60,
        PolicyARN: expect.stringMatching(
          /^arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:[0-9a-f-]{36}:resource\/ecs\/service\/prod\/web-blue:policyName\/cpu-60$/,
        ),
        Alarms: [
          { AlarmName: expect.stringMatching(/^TargetTracking-service\/prod\/web-blue-AlarmHigh-/), AlarmARN: expect.any(String) },
          { AlarmName: expect.stringMatching(/^TargetTracking-service\/prod\/web-blue-AlarmLow-/), AlarmARN: expect.any(String) },
        ],
        CreationTime: new Date(T0),
      },
    ]);
    expect(none.ScalingPolicies).toEqual([]);
  });

  it('PutScalingPolicy replaces a policy by name on its target and answers its ARN and alarms', async () => {
    // Arrange
    const config = { ...CPU_60, TargetValue: 50, DisableScaleIn: true };

    // Act
    const out = await client.send(
      new PutScalingPolicyCommand({
        PolicyName: 'cpu-60',
        ...BLUE,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: config,
      }),
    );

    // Assert
    const policies = model.scaling.policiesOf(BLUE);
    expect(policies.map((policy) => [policy.PolicyName, policy.TargetTrackingScalingPolicyConfiguration])).toEqual([['cpu-60', config]]);
    expect(out.PolicyARN).toBe(policies[0]?.PolicyARN);
    expect(out.Alarms).toEqual(policies[0]?.Alarms);
  });

  it('PutScalingPolicy needs a registered target and a policy it can read', async () => {
    // Arrange
    await client.send(new DeregisterScalableTargetCommand(GREEN));
    const put = (input: ConstructorParameters<typeof PutScalingPolicyCommand>[0]) =>
      client.send(new PutScalingPolicyCommand(input)).catch((error: unknown) => error);

    // Act / Assert
    expect(
      await put({ PolicyName: 'cpu-60', ...GREEN, PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: CPU_60 }),
    ).toMatchObject({
      name: 'ObjectNotFoundException',
      message:
        'No scalable target registered for service namespace: ecs, resource ID: service/prod/web-green, scalable dimension: ecs:service:DesiredCount',
    });
    expect(await put({ PolicyName: 'cpu-60', ...BLUE, PolicyType: 'TargetTrackingScaling' })).toMatchObject({
      name: 'ValidationException',
      message: 'input: a TargetTrackingScaling policy needs its TargetTrackingScalingPolicyConfiguration',
    });
  });

  it('DeleteScalingPolicy deletes it; a missing one is ObjectNotFoundException', async () => {
    // Arrange / Act
    await client.send(new DeleteScalingPolicyCommand({ PolicyName: 'cpu-60', ...BLUE }));
    const again = await client.send(new DeleteScalingPolicyCommand({ PolicyName: 'cpu-60', ...BLUE })).catch((error: unknown) => error);

    // Assert
    expect(model.scaling.policiesOf(BLUE)).toEqual([]);
    expect(again).toMatchObject({
      name: 'ObjectNotFoundException',
      message:
        'No scaling policy found for service namespace: ecs, resource ID: service/prod/web-blue, scalable dimension: ecs:service:DesiredCount, policy name: cpu-60',
    });
  });
});

describe('DescribeScalingActivities', () => {
  it('lists what changed the desired count, newest first', async () => {
    // Arrange
    await client.send(new RegisterScalableTargetCommand({ ...BLUE, MinCapacity: 5 }));
    await client.send(new RegisterScalableTargetCommand({ ...BLUE, MinCapacity: 6 }));

    // Act
    const out = await client.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'ecs', ResourceId: BLUE.ResourceId }));

    // Assert
    expect(out.ScalingActivities?.map((activity) => [activity.Description, activity.StatusCode, activity.Cause])).toEqual([
      ['Setting desired count to 6.', 'Successful', 'minimum capacity was set to 6 by a call to RegisterScalableTarget'],
      ['Setting desired count to 5.', 'Successful', 'minimum capacity was set to 5 by a call to RegisterScalableTarget'],
    ]);
  });
});

describe('IAM', () => {
  const place = { account: '123456789012', region: 'eu-west-1' };
  const context = {
    'application-autoscaling:service-namespace': 'ecs',
    'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
  };

  it('asks Describe* on "*" and every write on the scalable target’s ARN, the one Describe returns, with the namespace and dimension', () => {
    // Arrange
    const arn = model.scaling.target(BLUE)?.ScalableTargetARN;
    const requests = (operation: string, input: unknown) => authorizationRequests('application-autoscaling', operation, input, place);

    // Act / Assert
    for (const operation of ['DescribeScalableTargets', 'DescribeScalingPolicies', 'DescribeScalingActivities']) {
      expect(requests(operation, { ServiceNamespace: 'ecs' })).toEqual([
        { action: `application-autoscaling:${operation}`, resource: '*', context: {} },
      ]);
    }
    for (const operation of ['DeregisterScalableTarget', 'DeleteScalingPolicy']) {
      expect(requests(operation, { ...BLUE, PolicyName: 'cpu-60' })).toEqual([
        { action: `application-autoscaling:${operation}`, resource: arn, context },
      ]);
    }
    // A registration and a policy also have Application Auto Scaling check the caller's ECS and CloudWatch permissions.
    const service = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web-blue';
    const probe = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:application-autoscaling-permission-probe';
    for (const operation of ['RegisterScalableTarget', 'PutScalingPolicy']) {
      expect(requests(operation, { ...BLUE, PolicyName: 'cpu-60' })).toEqual([
        { action: `application-autoscaling:${operation}`, resource: arn, context },
        { action: 'ecs:DescribeServices', resource: service, context: {} },
        { action: 'ecs:UpdateService', resource: service, context: {} },
        { action: 'cloudwatch:DescribeAlarms', resource: '*', context: {} },
        { action: 'cloudwatch:PutMetricAlarm', resource: probe, context: {} },
        { action: 'cloudwatch:DeleteAlarms', resource: probe, context: {} },
      ]);
    }
    expect(arn).toMatch(TARGET_ARN);
  });

  it('asks a registration of a new target on the ARN it will get', async () => {
    // Arrange
    const [request] = authorizationRequests('application-autoscaling', 'RegisterScalableTarget', GREEN, place);
    await client.send(new DeregisterScalableTargetCommand(GREEN));

    // Act
    const out = await client.send(new RegisterScalableTargetCommand({ ...GREEN, MinCapacity: 0, MaxCapacity: 2 }));

    // Assert
    expect(out.ScalableTargetARN).toBe(request?.resource);
  });

  it('are requests IAM evaluates: a policy on scalable-target/* for ECS desired counts allows them, one for another namespace does not', async () => {
    // Arrange
    const statement = (namespace: string) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'application-autoscaling:*',
          Resource: 'arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/*',
          Condition: { StringEquals: { 'application-autoscaling:service-namespace': namespace } },
        },
      ],
    });
    const decide = async (namespace: string, operation: string) => {
      const [request] = authorizationRequests('application-autoscaling', operation, { ...BLUE, PolicyName: 'cpu-60' }, place);
      if (!request) throw new Error(`no request for ${operation}`);
      const response = await runSimulation(
        {
          identityPolicies: [{ name: 'scaling', policy: statement(namespace) as never }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          request: {
            principal: 'arn:aws:sts::123456789012:assumed-role/deploy/deploy',
            action: request.action,
            resource: { resource: request.resource, accountId: '123456789012' },
            contextVariables: { 'aws:PrincipalAccount': '123456789012', ...request.context },
          },
        },
        {},
      );
      return response.resultType === 'error' ? JSON.stringify(response.errors) : response.overallResult;
    };
    const writes = ['RegisterScalableTarget', 'DeregisterScalableTarget', 'PutScalingPolicy', 'DeleteScalingPolicy'];

    // Act
    const ecs = await Promise.all(writes.map((operation) => decide('ecs', operation)));
    const dynamodb = await Promise.all(writes.map((operation) => decide('dynamodb', operation)));

    // Assert
    expect(ecs).toEqual(['Allowed', 'Allowed', 'Allowed', 'Allowed']);
    expect(dynamodb).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']);
  });
});
