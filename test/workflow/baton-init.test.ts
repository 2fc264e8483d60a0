/**
 * `baton init` against the simulated account: it reads the example account's
 * web-blue and what fronts it, writes a config that the pipeline's schema and
 * the stack accept, prints what a service without a twin lacks, and refuses a
 * service that CodeDeploy deploys. Only read-only calls reach the account.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import type { AccountSpec } from '../../sim/account/schema.ts';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { type Run, runCli } from '../support/cli.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig, rawExampleConfig } from '../support/config.ts';
import { accountFile, exampleAccount, run as simulateDeployment } from '../support/simulation.ts';
import { synth } from '../support/synth.ts';

const BLUE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09';
const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/8e4b6b8b3c5d2a10';
const PRODUCTION = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2';
const TEST = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/0467ef3c8400ae65';

let open: OpenSimulation | undefined;
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-init-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  open?.close();
  open = undefined;
});

/** The example account, its alarms on the colours' target groups (and one on another's, which init must leave out). */
function accountWithAlarmDimensions(): AccountSpec {
  const account = exampleAccount();
  account.cloudwatch.alarms['web-5xx-rate'] = {
    ...account.cloudwatch.alarms['web-5xx-rate'],
    state: 'OK',
    reason: '',
    type: 'metric',
    dimensions: { TargetGroup: 'targetgroup/web-blue/6d0ecf831eec9f09', LoadBalancer: 'app/prod-alb/50dc6c495c0c9188' },
    period: 60,
    evaluationPeriods: 1,
  };
  account.cloudwatch.alarms['web-p99-latency'] = {
    state: 'OK',
    reason: '',
    type: 'metric',
    dimensions: { TargetGroup: 'targetgroup/web-green/8e4b6b8b3c5d2a10' },
    period: 60,
    evaluationPeriods: 1,
  };
  account.cloudwatch.alarms['api-5xx-rate'] = {
    state: 'OK',
    reason: '',
    type: 'metric',
    dimensions: { TargetGroup: 'targetgroup/api-blue/1111111111111111' },
    period: 60,
    evaluationPeriods: 1,
  };
  return account;
}

/** web-blue alone: no web-green, no green target group, listeners forwarding to blue only, no test listener. */
function accountWithoutTwin(): AccountSpec {
  const account = exampleAccount();
  delete account.ecs.clusters.prod?.services['web-green'];
  delete account.elb.targetGroups[GREEN_TG];
  delete account.elb.listeners[TEST];
  for (const listener of Object.values(account.elb.listeners)) delete listener.forward[GREEN_TG];
  return account;
}

async function simulation(account: AccountSpec): Promise<OpenSimulation> {
  open = await openSimulation({ config: exampleConfig(), account, input: {}, approval: 'external' });
  return open;
}

function init(...args: string[]): Promise<Run> {
  return runCli(EXAMPLE_CONFIG_PATH, ['init', ...args, '--region', 'eu-west-1']);
}

/** What init asked the account: read-only calls only. */
function operations(sim: OpenSimulation): string[] {
  return [...new Set(sim.simulation.apis.calls.map((call) => call.operation))].sort();
}

describe('baton init', () => {
  it('discovers web-blue and its twin and writes a config that validates and synthesizes', async () => {
    // Arrange
    const sim = await simulation(accountWithAlarmDimensions());
    const file = join(dir, 'discovered.json');

    // Act
    const run = await init('web-blue', '--cluster', 'prod', '--out', file);

    // Assert: what it found, as the example config says it
    expect(run.code).toBe(0);
    expect(run.out).toContain(`wrote ${file} (service "web")`);
    const written = JSON.parse(readFileSync(file, 'utf8')) as { services: Array<Record<string, unknown>> };
    const example = (rawExampleConfig().services as Array<Record<string, unknown>>)[0] ?? {};
    for (const key of [
      'name',
      'cluster',
      'blue',
      'green',
      'productionListenerArn',
      'testListenerArn',
      'taskDefinitionFamily',
      'containerName',
      'taskRoleArn',
      'executionRoleArn',
      'alarms',
    ])
      expect(written.services[0]?.[key], key).toEqual(example[key]);
    expect(written.services[0]?.ecr).toEqual({ repositoryName: 'web' });
    expect(written.services[0]?.appConfig).toEqual({
      secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab',
      keys: { DATABASE_URL: 'string', LOG_LEVEL: 'string', SESSION_SECRET: 'string', WORKER_CONCURRENCY: 'string' },
    });
    // It validates as cdk synth -c config=<file> validates, and the stack synthesizes from it.
    const config = loadConfig(file);
    expect(synth(config).findings).toEqual([]);
    expect(operations(sim)).toEqual([
      'DescribeAlarms',
      'DescribeListeners',
      'DescribeRules',
      'DescribeScalableTargets',
      'DescribeServices',
      'DescribeTargetGroups',
      'DescribeTaskDefinition',
      'ListServices',
    ]);
  }, 120_000);

  it('says autoscaling when the pair is scaled by Application Auto Scaling, and the config synthesizes with its grants', async () => {
    // Arrange: examples/autoscaling, blue and green each with a scalable target.
    await simulation(accountFile('examples/autoscaling/sim-account.json'));
    const file = join(dir, 'scaled.json');

    // Act
    const run = await init('web-blue', '--cluster', 'prod', '--out', file);

    // Assert
    expect(run.code).toBe(0);
    const written = JSON.parse(readFileSync(file, 'utf8')) as { services: Array<Record<string, unknown>> };
    expect(written.services[0]?.autoscaling).toBe(true);
    expect(run.out).toContain(
      'autoscaling true: web-blue and web-green have scalable targets; Baton moves the scaling with the colours, and refuses step scaling or predictive policies only one colour has, and scheduled actions (docs/configuration.md, Autoscaling-aware colours)',
    );
    expect(synth(loadConfig(file)).findings).toEqual([]);
  }, 120_000);

  it('finds the same pair from web-green, which it names green', async () => {
    // Arrange
    await simulation(accountWithAlarmDimensions());
    const file = join(dir, 'from-green.json');

    // Act
    const run = await init('web-green', '--cluster', 'prod', '--out', file, '--json');

    // Assert
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.out) as { written: string; config: { services: Array<Record<string, unknown>> } };
    expect(doc.written).toBe(file);
    expect(doc.config.services[0]).toMatchObject({
      name: 'web',
      blue: { serviceName: 'web-blue', targetGroupArn: BLUE_TG },
      green: { serviceName: 'web-green', targetGroupArn: GREEN_TG },
      productionListenerArn: PRODUCTION,
      testListenerArn: TEST,
    });
  });

  it('prints the twin target group, the twin service and the weighted forward for a service without a twin, and writes nothing', async () => {
    // Arrange
    await simulation(accountWithoutTwin());
    const file = join(dir, 'no-twin.json');

    // Act
    const run = await init('web-blue', '--cluster', 'prod', '--out', file);

    // Assert
    expect(run.code).toBe(3);
    expect(existsSync(file)).toBe(false);
    expect(run.err).toBe(
      `baton: web-blue is not ready for Baton (missing the twin target group, the twin service, the weighted forward to both colours): ${file} not written; run baton init again once it is\n`,
    );
    expect(run.out).toContain('missing for blue/green: the twin target group, the twin service, the weighted forward to both colours');
    expect(run.out).toContain(`CDK (TypeScript):\n${NO_TWIN_CDK}\nAWS CLI:\n${NO_TWIN_CLI}`);
  });

  it('refuses a service that CodeDeploy deploys, with the reason (exit 4)', async () => {
    // Arrange
    const account = exampleAccount();
    const blue = account.ecs.clusters.prod?.services['web-blue'];
    if (blue) blue.deploymentController = 'CODE_DEPLOY';
    await simulation(account);
    const file = join(dir, 'codedeploy.json');

    // Act
    const run = await init('web-blue', '--cluster', 'prod', '--out', file);

    // Assert
    expect(run.code).toBe(4);
    expect(existsSync(file)).toBe(false);
    expect(run.err).toBe(
      'baton: ECS service web-blue uses the CODE_DEPLOY deployment controller (CodeDeploy deploys it and moves its traffic); Baton needs the ECS deployment controller.\nMove it to the ECS deployment controller first (docs/adopting.md).\n',
    );
  });

  it('is refused by validate too: a deployment to a colour CodeDeploy deploys ends REJECTED, nothing changed', async () => {
    // Arrange
    const account = exampleAccount();
    const green = account.ecs.clusters.prod?.services['web-green'];
    if (green) green.deploymentController = 'CODE_DEPLOY';

    // Act
    const result = await simulateDeployment({ account });

    // Assert
    expect(result.main.executionPath).toContain('Validate failed');
    expect(result.main.error).toBe('DeploymentControllerError');
    expect(result.main.cause).toContain('ECS service web-green uses the CODE_DEPLOY deployment controller');
    expect(result.model.service('prod', 'web-green')?.taskDefinitionArn).toBe('arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6');
  });

  it('answers exit 3 for a service or a cluster that does not exist', async () => {
    // Arrange
    await simulation(exampleAccount());

    // Act
    const service = await init('api-blue', '--cluster', 'prod', '--out', join(dir, 'none.json'));
    const cluster = await init('web-blue', '--cluster', 'staging', '--out', join(dir, 'none.json'));

    // Assert
    expect([service.code, service.err]).toEqual([3, 'baton: ECS service api-blue not found in cluster prod (eu-west-1)\n']);
    expect([cluster.code, cluster.err]).toEqual([3, 'baton: ECS cluster staging not found in eu-west-1\n']);
  });

  it('keeps an existing file unless --force, and needs --cluster', async () => {
    // Arrange
    await simulation(exampleAccount());
    const file = join(dir, 'kept.json');
    writeFileSync(file, '{}');

    // Act
    const kept = await init('web-blue', '--cluster', 'prod', '--out', file);
    const forced = await init('web-blue', '--cluster', 'prod', '--out', file, '--force');
    const noCluster = await init('web-blue', '--out', file);

    // Assert
    expect([kept.code, kept.err]).toEqual([4, `baton: ${file} exists: pass --force to overwrite it\n`]);
    expect(forced.code).toBe(0);
    expect(loadConfig(file).services[0]?.name).toBe('web');
    expect(noCluster.code).toBe(2);
    expect(noCluster.err).toContain('init: name the cluster with --cluster <cluster>');
  });
});

/** Exact, as the operator pastes it. */
const NO_TWIN_CDK = `// Baton: the twin of web-blue (cluster prod). In the stack that owns web-blue.
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';

const greenTargetGroup = new elbv2.CfnTargetGroup(this, 'WebGreenTargetGroup', {
  name: 'web-green',
  vpcId: 'vpc-0c5e1f2a3b4d5e6f7',
  port: 8080,
  protocol: 'HTTP',
  targetType: 'ip',
  healthCheckPath: '/',
});

// On the CfnListener that owns arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2:
// forward to both colours, blue keeping all the traffic.
defaultActions: [
  { type: 'forward', forwardConfig: { targetGroups: [
    { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09', weight: 100 },
    { targetGroupArn: greenTargetGroup.ref, weight: 0 },
  ] } },
],

new ecs.CfnService(this, 'WebGreenService', {
  cluster: 'prod',
  serviceName: 'web-green',
  taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
  desiredCount: 0,
  launchType: 'FARGATE',
  deploymentController: { type: 'ECS' },
  networkConfiguration: {
    awsvpcConfiguration: { subnets: ['subnet-0a9b8c7d6e5f40312', 'subnet-0b1c2d3e4f5a60718'], securityGroups: ['sg-0d4e5f6a7b8c9d0e1'], assignPublicIp: 'DISABLED' },
  },
  loadBalancers: [{ targetGroupArn: greenTargetGroup.ref, containerName: 'web', containerPort: 8080 }],
}); // deploy it after the forward: ECS refuses a target group no listener forwards to
`;
const NO_TWIN_CLI = `TWIN_TARGET_GROUP=$(aws elbv2 create-target-group --name web-green --protocol HTTP --port 8080 --target-type ip --vpc-id vpc-0c5e1f2a3b4d5e6f7 --health-check-path / --region eu-west-1 --query 'TargetGroups[0].TargetGroupArn' --output text)
aws elbv2 modify-listener --listener-arn arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2 --default-actions "[{\\"Type\\":\\"forward\\",\\"ForwardConfig\\":{\\"TargetGroups\\":[{\\"TargetGroupArn\\":\\"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09\\",\\"Weight\\":100},{\\"TargetGroupArn\\":\\"$TWIN_TARGET_GROUP\\",\\"Weight\\":0}]}}]" --region eu-west-1
aws ecs create-service --cluster prod --service-name web-green \\
  --task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7 --desired-count 0 --launch-type FARGATE \\
  --deployment-controller type=ECS \\
  --network-configuration 'awsvpcConfiguration={subnets=[subnet-0a9b8c7d6e5f40312,subnet-0b1c2d3e4f5a60718],securityGroups=[sg-0d4e5f6a7b8c9d0e1],assignPublicIp=DISABLED}' \\
  --load-balancers targetGroupArn="$TWIN_TARGET_GROUP",containerName=web,containerPort=8080 \\
  --region eu-west-1
`;
