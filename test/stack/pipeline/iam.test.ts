/**
 * What the roles of the synthesized stack may do: no mutating action on "*",
 * each write scoped to the configured services, listeners, task definition
 * family, secrets and the deployment table; states:StopExecution for
 * initialize only when a service supersedes. One synthesis (without
 * bundling) for the example config, one per onNewerImage setting.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/load.ts';
import type { PhaseName } from '../../../lib/constructs/phases.ts';
import { exampleConfig, webService } from '../../support/config.ts';
import { ACCOUNT, REGION, synthExample, WEBHOOK_SECRET_ARN } from '../../support/example.ts';
import { deployedIn, evaluate, identityPoliciesOf } from '../../support/iam.ts';
import { logicalIdOf, resolveToString, type Synthesis, synth } from '../../support/synth.ts';
import { allowStatementsOf, iamPolicies, roleOf as phaseRole, type Statement } from '../../support/template.ts';

/** Each service by its long ARN and by the short one it has if it was created before the long format. */
const WEB_SERVICE_ARNS = [
  `arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:service/prod/web-blue`,
  `arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:service/web-blue`,
  `arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:service/prod/web-green`,
  `arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:service/web-green`,
];
const MUTATING_ACTIONS = [
  'ecs:UpdateService',
  'ecs:RegisterTaskDefinition',
  'elasticloadbalancing:ModifyListener',
  'elasticloadbalancing:ModifyRule',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'iam:PassRole',
];
/** What CDK grants a state machine for vended log delivery; IAM only accepts "*" for these. */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

interface Grant {
  /** Logical ids of the roles the policy is attached to. */
  readonly roles: string[];
  readonly actions: string[];
  readonly resources: string[];
  readonly condition: unknown;
}

/** Every Allow statement of every AWS::IAM::Policy, resources resolved to `arn:${AWS::Partition}:...` strings. */
function grantsOf(synthesis: Synthesis): Grant[] {
  return iamPolicies(synthesis).flatMap((policy) =>
    policy.Properties.PolicyDocument.Statement.filter((statement) => statement.Effect === 'Allow').map((statement) => ({
      roles: policy.Properties.Roles.map((role) => role.Ref),
      actions: [statement.Action].flat(),
      resources: [statement.Resource].flat().map(resolveToString),
      condition: statement.Condition,
    })),
  );
}

/** IAM action patterns are case-insensitive and may hold wildcards ("ecs:*", "*"). */
function allows(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return regex.test(action);
}

function grantsFor(grants: Grant[], action: string): Grant[] {
  return grants.filter((grant) => grant.actions.some((pattern) => allows(pattern, action)));
}

describe('the Baton stack for the example config', () => {
  let synthesis: Synthesis;
  let grants: Grant[];
  let roleOf: (phase: PhaseName) => string;

  beforeAll(() => {
    ({ synthesis } = synthExample());
    grants = grantsOf(synthesis);
    roleOf = (phase) => phaseRole(synthesis, phase);
  });

  describe('IAM', () => {
    it('grants no mutating action on Resource "*"', () => {
      const onStar = grants.filter((grant) => grant.resources.includes('*'));
      const mutating = onStar.flatMap((grant) => MUTATING_ACTIONS.filter((action) => grant.actions.some((p) => allows(p, action))));

      expect(mutating).toEqual([]);
    });

    it('grants only read-only, X-Ray and log-delivery actions on Resource "*"', () => {
      const onStar = [...new Set(grants.filter((grant) => grant.resources.includes('*')).flatMap((grant) => grant.actions))];
      const readOnly = (action: string) =>
        /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$/.test(action) ||
        ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'].includes(action) ||
        LOG_DELIVERY_ACTIONS.includes(action);

      expect(onStar.filter((action) => !readOnly(action))).toEqual([]);
      expect(onStar.sort()).toEqual(
        [
          ...LOG_DELIVERY_ACTIONS,
          // Validate reads each colour's scalable target, to refuse one Baton would not manage (lambdas/shared/scaling/).
          'application-autoscaling:DescribeScalableTargets',
          'application-autoscaling:DescribeScalingPolicies',
          'application-autoscaling:DescribeScheduledActions',
          'cloudwatch:DescribeAlarms',
          // The smoke-test function in the example's VPC (pipeline.network): Lambda describes its network interfaces.
          'ec2:DescribeNetworkInterfaces',
          'ecs:DescribeTaskDefinition',
          'ecs:ListTasks',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetHealth',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
    });

    it('limits ecs:ListTasks on "*" to the configured cluster', () => {
      expect(grantsFor(grants, 'ecs:ListTasks').map((grant) => grant.condition)).toEqual([
        {
          ArnEquals: {
            'ecs:cluster': [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecs:${REGION}:${ACCOUNT}:cluster/prod`]] }],
          },
        },
      ]);
    });

    it('lets the phases that read alarms, and no other, call cloudwatch:DescribeAlarms on "*", as composite alarms need (evaluated as IAM would)', async () => {
      // Arrange
      const readers: PhaseName[] = ['validate', 'verify', 'shiftTraffic', 'checkBake', 'complete', 'shiftTogether'];
      const describeAlarms = (phase: PhaseName, resource: string) =>
        evaluate({
          principal: `arn:aws:iam::${ACCOUNT}:role/baton-${phase}`,
          action: 'cloudwatch:DescribeAlarms',
          resource,
          resourceAccount: ACCOUNT,
          identityPolicies: identityPoliciesOf(synthesis.template, roleOf(phase), deployedIn(ACCOUNT, REGION)),
        });

      // Act
      const describers = [...new Set(grantsFor(grants, 'cloudwatch:DescribeAlarms').flatMap((grant) => grant.roles))].sort();
      const decisions = [];
      for (const phase of readers) {
        decisions.push({
          phase,
          // A request on "*" is evaluated once per ARN pattern the policies name: only "*" itself may answer.
          everyAlarm: (await describeAlarms(phase, '*')).patterns,
          // An alarm the config does not name, such as a composite alarm's child.
          otherAlarm: (await describeAlarms(phase, `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:web-health-composite`)).result,
        });
      }

      // Assert
      expect(describers).toEqual(readers.map(roleOf).sort());
      expect(decisions).toEqual(readers.map((phase) => ({ phase, everyAlarm: [['*', 'Allowed']], otherAlarm: 'Allowed' })));
    });

    it('lets only prepare pass the two task roles, and only to ECS tasks', () => {
      const web = webService();

      expect(grantsFor(grants, 'iam:PassRole')).toEqual([
        {
          roles: [roleOf('prepare')],
          actions: ['iam:PassRole'],
          resources: [web.taskRoleArn, web.executionRoleArn],
          condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ]);
      expect([web.taskRoleArn, web.executionRoleArn]).toEqual([
        `arn:aws:iam::${ACCOUNT}:role/web-task`,
        `arn:aws:iam::${ACCOUNT}:role/web-task-execution`,
      ]);
    });

    it('lets deploy, complete and rollback update exactly the blue and green services', () => {
      const updates = grantsFor(grants, 'ecs:UpdateService');

      const sorted = [...WEB_SERVICE_ARNS].sort();
      expect(updates.map((grant) => [...grant.resources].sort())).toEqual([sorted, sorted, sorted]);
      expect(updates.flatMap((grant) => grant.roles).sort()).toEqual([roleOf('deploy'), roleOf('complete'), roleOf('rollback')].sort());
    });

    it('lets prepare register revisions of the configured task definition family only', () => {
      expect(grantsFor(grants, 'ecs:RegisterTaskDefinition').map((grant) => [grant.roles, grant.resources])).toEqual([
        [[roleOf('prepare')], [`arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:task-definition/web:*`]],
      ]);
    });

    it('lets deploy, shift traffic, shift together and rollback modify the production and test listeners only', () => {
      const modifies = grantsFor(grants, 'elasticloadbalancing:ModifyListener');
      const listeners = [webService().productionListenerArn, webService().testListenerArn];

      expect(modifies.map((grant) => [...grant.resources].sort())).toEqual(
        [listeners, listeners, listeners, listeners].map((arns) => [...arns].sort()),
      );
      expect(modifies.flatMap((grant) => grant.roles).sort()).toEqual(
        [roleOf('deploy'), roleOf('shiftTraffic'), roleOf('shiftTogether'), roleOf('rollback')].sort(),
      );
      expect(listeners).toEqual([
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2',
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/0467ef3c8400ae65',
      ]);
    });

    it('grants no ModifyRule when the config names a listener rather than a listener rule', () => {
      expect(grantsFor(grants, 'elasticloadbalancing:ModifyRule')).toEqual([]);
    });

    it('lets only validate read the app-config secret, and only the phases that notify read the chat webhook secret', () => {
      const webhook = WEBHOOK_SECRET_ARN;
      expect(grantsFor(grants, 'secretsmanager:GetSecretValue').map((grant) => [grant.roles, grant.resources])).toEqual([
        [[roleOf('validate')], ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab']],
        [[roleOf('prepare')], [webhook]],
        [[roleOf('shiftTraffic')], [webhook]],
        [[roleOf('complete')], [webhook]],
        [[roleOf('rollback')], [webhook]],
        [[roleOf('recordFailure')], [webhook]],
        [[roleOf('requestApproval')], [webhook]],
        [[roleOf('recover')], [webhook]],
        [[roleOf('unwindRelease')], [webhook]],
        [[roleOf('finishRelease')], [webhook]],
        [[roleOf('backstop')], [webhook]],
      ]);
    });

    it('writes to the deployment table only', () => {
      const table = `\${${logicalIdOf(synthesis.stack, synthesis.stack.deployments.table)}.Arn}`;
      const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].flatMap((action) => grantsFor(grants, action));

      expect(writes.length).toBeGreaterThan(0);
      expect([...new Set(writes.flatMap((grant) => grant.resources))]).toEqual([table]);
    });
  });
});

describe('onNewerImage and the initialize role', () => {
  /** The states:StopExecution statements of the initialize function's role, for a config. */
  function stopStatements(onNewerImage: 'queue' | 'supersede'): Statement[] {
    const raw = exampleConfig();
    for (const service of raw.services) service.onNewerImage = onNewerImage;
    const synthesis = synth(raw);
    return allowStatementsOf(synthesis, phaseRole(synthesis, 'initialize')).filter((statement) =>
      [statement.Action].flat().includes('states:StopExecution'),
    );
  }

  it('grants no states:StopExecution while every service queues a newer image', () => {
    // Act / Assert
    expect(stopStatements('queue')).toEqual([]);
  });

  it('grants states:StopExecution on executions of this state machine only when a service supersedes', () => {
    // Act
    const statements = stopStatements('supersede');

    // Assert
    expect(statements.map((statement) => ({ Action: statement.Action, Resource: resolveToString(statement.Resource) }))).toEqual([
      {
        // CDK merges it with inspectLockHolder's DescribeExecution on the same resource.
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Resource: ['arn:', '${AWS::Partition}', ':states:eu-west-1:123456789012:execution:baton-production:*'].join(''),
      },
    ]);
  });
});

describe('services[].autoscaling and the roles that scale the colours', () => {
  const WRITES = [
    'application-autoscaling:RegisterScalableTarget',
    'application-autoscaling:DeregisterScalableTarget',
    'application-autoscaling:PutScalingPolicy',
    'application-autoscaling:DeleteScalingPolicy',
  ];
  function synthWith(autoscaling: boolean): Synthesis {
    const raw = exampleConfig();
    for (const service of raw.services) service.autoscaling = autoscaling;
    return synth(raw);
  }

  it('grants no Application Auto Scaling write while no service says autoscaling', () => {
    const grants = grantsOf(synthWith(false));
    expect(WRITES.flatMap((action) => grantsFor(grants, action))).toEqual([]);
  });

  it("lets deploy, complete and roll back change ECS desired-count targets only, and alarms of this account and region (Application Auto Scaling's permission probe)", async () => {
    // Arrange
    const synthesis = synthWith(true);
    const grants = grantsOf(synthesis);
    const decide = (phase: PhaseName, action: string, resource: string, namespace: string, dimension: string) =>
      evaluate({
        principal: `arn:aws:iam::${ACCOUNT}:role/baton-${phase}`,
        action,
        resource,
        resourceAccount: ACCOUNT,
        context: { 'application-autoscaling:service-namespace': namespace, 'application-autoscaling:scalable-dimension': dimension },
        identityPolicies: identityPoliciesOf(synthesis.template, phaseRole(synthesis, phase), deployedIn(ACCOUNT, REGION)),
      });
    const target = `arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/0ec9a2f1b7d34c5e8a6b0f1d2c3e4a5b`;

    // Act
    const writers = [...new Set(WRITES.flatMap((action) => grantsFor(grants, action).flatMap((grant) => grant.roles)))].sort();
    const decisions = [];
    for (const phase of ['deploy', 'complete', 'rollback'] as const) {
      decisions.push({
        phase,
        ecs: (await decide(phase, 'application-autoscaling:RegisterScalableTarget', target, 'ecs', 'ecs:service:DesiredCount')).result,
        table: (
          await decide(phase, 'application-autoscaling:RegisterScalableTarget', target, 'dynamodb', 'dynamodb:table:ReadCapacityUnits')
        ).result,
        ownAlarm: (
          await decide(
            phase,
            'cloudwatch:PutMetricAlarm',
            `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:TargetTracking-service/prod/web-green-AlarmHigh-1f2e3d4c`,
            'ecs',
            'ecs:service:DesiredCount',
          )
        ).result,
        otherRegion: (
          await decide(
            phase,
            'cloudwatch:PutMetricAlarm',
            `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:TargetTracking-service/prod/web-green-AlarmHigh-1f2e3d4c`,
            'ecs',
            'ecs:service:DesiredCount',
          )
        ).result,
      });
    }

    // Assert
    expect(writers).toEqual(['deploy', 'complete', 'rollback'].map((phase) => phaseRole(synthesis, phase as PhaseName)).sort());
    expect(decisions).toEqual(
      ['deploy', 'complete', 'rollback'].map((phase) => ({
        phase,
        ecs: 'Allowed',
        table: 'ImplicitlyDenied',
        ownAlarm: 'Allowed',
        otherRegion: 'ImplicitlyDenied',
      })),
    );
  });
});

describe('a worker and the roles that move its task counts', () => {
  const synthesis = synth(loadConfig('examples/worker/baton.config.json'));
  const colours = ['jobs-blue', 'jobs-green'];
  const decide = (phase: PhaseName, action: string, service: string) =>
    evaluate({
      principal: `arn:aws:iam::${ACCOUNT}:role/baton-${phase}`,
      action,
      resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/${service}`,
      resourceAccount: ACCOUNT,
      identityPolicies: identityPoliciesOf(synthesis.template, phaseRole(synthesis, phase), deployedIn(ACCOUNT, REGION)),
    });

  it("lets the phases that move production update the worker's colours only, and grants no listener or target group access", async () => {
    // Act
    const decisions: Record<string, string> = {};
    for (const phase of ['initialize', 'shiftTraffic', 'shiftTogether', 'rollback'] as const) {
      for (const action of ['ecs:DescribeServices', 'ecs:UpdateService']) {
        for (const service of [...colours, 'web-blue'])
          decisions[`${phase} ${action} ${service}`] = (await decide(phase, action, service)).result;
      }
    }

    // Assert: initialize reads the split; the shifts and the rollback write it; no service outside the config.
    expect(decisions).toEqual({
      'initialize ecs:DescribeServices jobs-blue': 'Allowed',
      'initialize ecs:DescribeServices jobs-green': 'Allowed',
      'initialize ecs:DescribeServices web-blue': 'ImplicitlyDenied',
      'initialize ecs:UpdateService jobs-blue': 'ImplicitlyDenied',
      'initialize ecs:UpdateService jobs-green': 'ImplicitlyDenied',
      'initialize ecs:UpdateService web-blue': 'ImplicitlyDenied',
      ...Object.fromEntries(
        ['shiftTraffic', 'shiftTogether', 'rollback'].flatMap((phase) =>
          ['ecs:DescribeServices', 'ecs:UpdateService'].flatMap((action) => [
            [`${phase} ${action} jobs-blue`, 'Allowed'],
            [`${phase} ${action} jobs-green`, 'Allowed'],
            [`${phase} ${action} web-blue`, 'ImplicitlyDenied'],
          ]),
        ),
      ),
    });
    const grants = grantsOf(synthesis);
    expect(grants.filter((grant) => grant.actions.some((action) => action.startsWith('elasticloadbalancing:')))).toEqual([]);
  });
});
