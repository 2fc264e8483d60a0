/**
 * examples/quickstart: the stack synthesizes cdk-nag clean with the shape Baton
 * needs, its outputs make a config Baton accepts, and the committed simulated
 * account and config are what topology.ts generates.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT, OutputsError, rawConfig, stackOutputs } from '../../examples/quickstart/config.ts';
import { generatedDocuments, SIM_ACCOUNT_PATH, SIM_CONFIG_PATH } from '../../examples/quickstart/generate-sim.ts';
import { buildQuickstartApp } from '../../examples/quickstart/quickstart-app.ts';
import { simOutputs } from '../../examples/quickstart/sim-account.ts';
import type { QuickstartStack } from '../../examples/quickstart/stack.ts';
import { alarmNames, QUICKSTART } from '../../examples/quickstart/topology.ts';
import { writeConfig } from '../../examples/quickstart/write-config.ts';
import { stackName } from '../../lib/baton-stack.ts';
import { ConfigError, loadConfig } from '../../lib/config/load.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import { ROOT } from '../support/config.ts';
import { cdkJsonContext, logicalIdOf, synthesizeWithFindings } from '../support/synth.ts';

const QUICKSTART_DIR = join(ROOT, 'examples', 'quickstart');

interface Synthesized {
  readonly stack: QuickstartStack;
  readonly template: Template;
  readonly findings: string[];
}

function synthQuickstart(): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'baton-quickstart-'));
  const { app, stack } = buildQuickstartApp(QUICKSTART, { outdir, context: cdkJsonContext(QUICKSTART_DIR) });
  const { template, findings } = synthesizeWithFindings(app, stack, outdir);
  return { stack, template, findings };
}

function resources(template: Template, type: string): Array<{ Properties: Record<string, unknown> }> {
  return Object.values(template.findResources(type)) as Array<{ Properties: Record<string, unknown> }>;
}

describe('the quick-start stack', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthQuickstart();
  });

  it('leaves no unacknowledged cdk-nag finding and no CDK warning', () => {
    expect(synthesized.findings).toEqual([]);
    const annotations = Annotations.fromStack(synthesized.stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('forwards production 100/0 to blue and green, and the test listener to the idle green', () => {
    // Arrange
    const { stack, template } = synthesized;
    const blue = { Ref: logicalIdOf(stack, stack.targetGroups.blue) };
    const green = { Ref: logicalIdOf(stack, stack.targetGroups.green) };

    // Act
    const listeners = resources(template, 'AWS::ElasticLoadBalancingV2::Listener').map((listener) => listener.Properties);

    // Assert
    const forward = (blueWeight: number, greenWeight: number) => [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: blue, Weight: blueWeight },
            { TargetGroupArn: green, Weight: greenWeight },
          ],
        },
      },
    ];
    expect(listeners.map((listener) => [listener.Port, listener.Protocol, listener.DefaultActions])).toEqual([
      [QUICKSTART.productionPort, 'HTTP', forward(100, 0)],
      [QUICKSTART.testPort, 'HTTP', forward(0, 100)],
    ]);
  });

  it('runs blue and green as Fargate services under the ECS deployment controller, blue live and green at zero', () => {
    // Act
    const services = resources(synthesized.template, 'AWS::ECS::Service').map((service) => service.Properties);

    // Assert
    expect(services.map((s) => [s.ServiceName, s.LaunchType, s.DeploymentController, s.DesiredCount])).toEqual([
      ['web-blue', 'FARGATE', { Type: 'ECS' }, QUICKSTART.desiredCount],
      ['web-green', 'FARGATE', { Type: 'ECS' }, 0],
    ]);
    expect(services.map((s) => (s.LoadBalancers as Array<{ ContainerName: string }>)[0]?.ContainerName)).toEqual(['web', 'web']);
  });

  it('alarms on 5xx responses and latency of both target groups, under the names the config gates on', () => {
    // Act
    const alarms = resources(synthesized.template, 'AWS::CloudWatch::Alarm').map((alarm) => alarm.Properties);

    // Assert
    expect(alarms.map((alarm) => [alarm.AlarmName, alarm.Namespace, alarm.MetricName, alarm.TreatMissingData])).toEqual([
      ['baton-quickstart-web-blue-5xx', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'notBreaching'],
      ['baton-quickstart-web-blue-latency', 'AWS/ApplicationELB', 'TargetResponseTime', 'notBreaching'],
      ['baton-quickstart-web-green-5xx', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'notBreaching'],
      ['baton-quickstart-web-green-latency', 'AWS/ApplicationELB', 'TargetResponseTime', 'notBreaching'],
    ]);
    expect(alarms.map((alarm) => alarm.AlarmName)).toEqual(alarmNames(QUICKSTART));
  });

  it('creates the repository, the app-config secret and no NAT gateway', () => {
    const { template } = synthesized;
    expect(resources(template, 'AWS::ECR::Repository').map((r) => r.Properties.RepositoryName)).toEqual([QUICKSTART.repositoryName]);
    expect(resources(template, 'AWS::SecretsManager::Secret').map((r) => r.Properties.Name)).toEqual([QUICKSTART.appConfigSecretName]);
    expect(resources(template, 'AWS::EC2::NatGateway')).toEqual([]);
  });

  it('outputs everything the config is made of', () => {
    expect(Object.keys(synthesized.template.toJSON().Outputs as Record<string, unknown>).sort()).toEqual(Object.values(OUTPUT).sort());
  });
});

describe('the quick start config', () => {
  it('is written from the outputs file of cdk deploy and loads as Baton loads it', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'baton-quickstart-config-'));
    const outputsPath = join(dir, 'outputs.json');
    writeFileSync(outputsPath, JSON.stringify({ [QUICKSTART.stackName]: simOutputs(QUICKSTART), OtherStack: { Foo: 'bar' } }));
    const configPath = join(dir, 'baton.config.json');

    // Act
    writeConfig(outputsPath, configPath);

    // Assert
    const config = loadConfig(configPath);
    expect(config.pipeline).toMatchObject({ name: 'baton', environment: 'quickstart', account: '123456789012', region: 'eu-west-1' });
    expect(config.services.map((s) => [s.name, s.cluster, s.blue.serviceName, s.green.serviceName, s.alarms])).toEqual([
      ['web', 'baton-quickstart', 'web-blue', 'web-green', alarmNames(QUICKSTART)],
    ]);
  });

  it("names a pipeline whose stack is not the quick start's own: both live in one account", () => {
    expect(stackName(loadConfig(SIM_CONFIG_PATH))).toBe('BatonQuickstart');
    expect(QUICKSTART.stackName).not.toBe('BatonQuickstart');
  });

  it('names the outputs a partial outputs file lacks', () => {
    const { [OUTPUT.testListener]: _missing, ...partial } = simOutputs(QUICKSTART);
    expect(() => stackOutputs({ [QUICKSTART.stackName]: partial }, QUICKSTART.stackName)).toThrow(
      new OutputsError(`stack ${QUICKSTART.stackName} lacks the outputs ${OUTPUT.testListener}`),
    );
    expect(() => stackOutputs({}, QUICKSTART.stackName)).toThrow(OutputsError);
  });

  it('refuses outputs Baton would refuse, before writing anything', () => {
    // Arrange: a listener in another account than the pipeline.
    const dir = mkdtempSync(join(tmpdir(), 'baton-quickstart-config-'));
    mkdirSync(dir, { recursive: true });
    const outputs = { ...simOutputs(QUICKSTART), [OUTPUT.account]: '210987654321' };
    writeFileSync(join(dir, 'outputs.json'), JSON.stringify({ [QUICKSTART.stackName]: outputs }));

    // Act + Assert
    expect(() => writeConfig(join(dir, 'outputs.json'), join(dir, 'baton.config.json'))).toThrow(ConfigError);
    expect(() => readFileSync(join(dir, 'baton.config.json'))).toThrow();
  });
});

describe('the simulated quick-start account', () => {
  it('is what topology.ts generates (run examples/quickstart/generate-sim.ts after changing it)', () => {
    const documents = generatedDocuments();
    for (const path of [SIM_ACCOUNT_PATH, SIM_CONFIG_PATH]) {
      expect(JSON.parse(readFileSync(path, 'utf8')), path).toEqual(documents[path]);
    }
  });

  it('validates as an account file, and its config as a Baton config', () => {
    expect(() => AccountSchema.parse(JSON.parse(readFileSync(SIM_ACCOUNT_PATH, 'utf8')))).not.toThrow();
    expect(loadConfig(SIM_CONFIG_PATH).services[0]?.productionListenerArn).toBe(simOutputs(QUICKSTART)[OUTPUT.productionListener]);
  });

  it('has the config the stack outputs would give, with fake ARNs in place of the deployed ones', () => {
    expect(JSON.parse(readFileSync(SIM_CONFIG_PATH, 'utf8'))).toEqual(rawConfig(QUICKSTART, simOutputs(QUICKSTART)));
  });
});
