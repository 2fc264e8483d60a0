/**
 * What `baton init` makes of a discovery: the colours, the production and
 * test forwards, what is missing, and the missing pieces as CLI commands
 * (the full texts are asserted against the simulated account in
 * test/workflow/baton-init.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Discovery } from '../../../../cli/init/discover.ts';
import { ecrRepositoryOf } from '../../../../cli/init/discover.ts';
import { cdkSnippet, cliCommands } from '../../../../cli/init/missing.ts';
import { baseName, planFor, twinName } from '../../../../cli/init/plan.ts';

const TG = (name: string, id: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/${id}`;
const API_BLUE = TG('api-blue', '1111111111111111');
const API_GREEN = TG('api-green', '2222222222222222');
const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/alb/0123456789abcdef/0123456789abcdef/0123456789abcdef';
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/alb/0123456789abcdef/fedcba9876543210';

function discovery(overrides: Partial<Discovery> = {}): Discovery {
  return {
    account: '123456789012',
    region: 'eu-west-1',
    cluster: 'prod',
    service: {
      name: 'api-blue',
      desiredCount: 2,
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:3',
      targetGroupArn: API_BLUE,
      deploymentController: 'ECS',
      launchType: 'FARGATE',
      containerName: 'api',
      containerPort: 3000,
    },
    family: 'api',
    containerName: 'api',
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v2.0.0',
    repositoryName: 'team/api',
    taskRoleArn: 'arn:aws:iam::123456789012:role/api-task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/api-execution',
    targetGroup: {
      arn: API_BLUE,
      name: 'api-blue',
      port: 3000,
      protocol: 'HTTP',
      targetType: 'ip',
      vpcId: 'vpc-0123456789abcdef0',
      healthCheckPath: '/health',
      loadBalancerArns: [],
    },
    sites: [],
    alarms: [],
    scaled: [],
    ...overrides,
  };
}

describe('baton init: the plan', () => {
  it('names the twin by swapping the colour, else adding -green; target groups within 32 characters', () => {
    expect([twinName('web-blue'), twinName('web-green'), twinName('web')]).toEqual(['web-green', 'web-blue', 'web-green']);
    expect(twinName('a-very-long-target-group-name-xx', 32)).toBe('a-very-long-target-group-n-green');
    expect([baseName('web-blue'), baseName('web-green'), baseName('web')]).toEqual(['web', 'web', 'web']);
  });

  it('reads the ECR repository from an image URI, and none from another registry', () => {
    expect(ecrRepositoryOf('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:abc')).toBe('team/api');
    expect(ecrRepositoryOf('public.ecr.aws/nginx/nginx:1')).toBeUndefined();
  });

  it('takes as production the forward that gives the live colour the most weight, as test another to both', () => {
    // Arrange: green is live (more tasks); the rule sends it everything, the listener sends test traffic to blue
    const d = discovery({
      twinTargetGroupArn: API_GREEN,
      twin: { ...discovery().service, name: 'api-green', desiredCount: 4, targetGroupArn: API_GREEN },
      sites: [
        { arn: LISTENER, kind: 'listener', weights: { [API_BLUE]: 100, [API_GREEN]: 0 }, otherActions: 0 },
        { arn: RULE, kind: 'rule', weights: { [API_BLUE]: 0, [API_GREEN]: 100 }, otherActions: 0 },
      ],
    });

    // Act
    const plan = planFor(d);

    // Assert
    expect(plan.production?.arn).toBe(RULE);
    expect(plan.test?.arn).toBe(LISTENER);
    expect(plan.missing).toEqual([]);
    expect(plan.green).toEqual({ serviceName: 'api-green', targetGroupName: 'api-green', targetGroupArn: API_GREEN });
  });

  it('with the twin target group in the forward but no service in it, misses only the service', () => {
    // Arrange
    const d = discovery({
      twinTargetGroupArn: API_GREEN,
      sites: [{ arn: RULE, kind: 'rule', weights: { [API_BLUE]: 100, [API_GREEN]: 0 }, otherActions: 1 }],
    });

    // Act
    const plan = planFor(d);

    // Assert
    expect(plan.missing).toEqual(['service']);
    expect(cliCommands(d, plan)).toBe(
      [
        'aws ecs create-service --cluster prod --service-name api-green \\',
        '  --task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/api:3 --desired-count 0 --launch-type FARGATE \\',
        '  --deployment-controller type=ECS \\',
        `  --load-balancers targetGroupArn=${API_GREEN},containerName=api,containerPort=3000 \\`,
        '  --region eu-west-1',
        '',
      ].join('\n'),
    );
    expect(cdkSnippet(d, plan)).toContain(
      `loadBalancers: [{ targetGroupArn: '${API_GREEN}', containerName: 'api', containerPort: 3000 }],`,
    );
  });

  it('replaces a rule forward with modify-rule, and says to keep the authentication before it', () => {
    // Arrange: the rule authenticates, then forwards to blue alone
    const d = discovery({ sites: [{ arn: RULE, kind: 'rule', weights: { [API_BLUE]: 1 }, otherActions: 1 }] });

    // Act
    const plan = planFor(d);
    const cli = cliCommands(d, plan);

    // Assert
    expect(plan.missing).toEqual(['target group', 'service', 'weighted forward']);
    expect(cli).toContain(
      `# ${RULE} authenticates first: put its authentication actions before the forward\naws elbv2 modify-rule --rule-arn ${RULE} --actions `,
    );
    expect(cdkSnippet(d, plan)).toContain(
      `// On the CfnListenerRule that owns ${RULE}:\n// forward to both colours, blue keeping all the traffic.\nactions: [`,
    );
  });

  it('names what the config needs and the task definition lacks', () => {
    // Arrange
    const { taskRoleArn: _task, repositoryName: _repository, ...rest } = discovery();

    // Act
    const plan = planFor({ ...rest, image: 'nginx:1.27' });

    // Assert
    expect(plan.problems).toEqual([
      "task definition api has no task role (taskRoleArn): Baton's config names one",
      'container api runs nginx:1.27, not an image from ECR: Baton deploys ECR images',
    ]);
  });
});
