/**
 * The Baton config for the quick start, built from the stack's outputs (the
 * real account) or from fake outputs (the simulated one), and validated with
 * Baton's own loader: a config this writes is one `cdk synth -c config=...` accepts.
 */
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { parseConfig } from '../../lib/config/load.ts';
import { alarmNames, type Topology } from './topology.ts';

/** The stack outputs the config is made of, by CloudFormation output id. */
export const OUTPUT = {
  account: 'Account',
  region: 'Region',
  cluster: 'ClusterName',
  blueService: 'BlueServiceName',
  greenService: 'GreenServiceName',
  blueTargetGroup: 'BlueTargetGroupArn',
  greenTargetGroup: 'GreenTargetGroupArn',
  productionListener: 'ProductionListenerArn',
  testListener: 'TestListenerArn',
  testUrl: 'TestUrl',
  productionUrl: 'ProductionUrl',
  taskDefinitionFamily: 'TaskDefinitionFamily',
  taskRole: 'TaskRoleArn',
  executionRole: 'ExecutionRoleArn',
  repositoryName: 'RepositoryName',
  repositoryUri: 'RepositoryUri',
  appConfigSecret: 'AppConfigSecretArn',
} as const;

export type OutputKey = keyof typeof OUTPUT;
export type StackOutputs = Record<(typeof OUTPUT)[OutputKey], string>;

export class OutputsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OutputsError';
  }
}

/**
 * The outputs of the quick-start stack from `cdk deploy --outputs-file`, which
 * keys them by stack name first.
 */
export function stackOutputs(outputsFile: unknown, stackName: string): StackOutputs {
  const stack = (outputsFile as Record<string, unknown> | null)?.[stackName];
  if (typeof stack !== 'object' || stack === null) {
    throw new OutputsError(`the outputs file has no stack ${stackName}: deploy it with --outputs-file first`);
  }
  const values = stack as Record<string, unknown>;
  const missing = Object.values(OUTPUT).filter((id) => typeof values[id] !== 'string' || values[id] === '');
  if (missing.length > 0) throw new OutputsError(`stack ${stackName} lacks the outputs ${missing.join(', ')}`);
  return Object.fromEntries(Object.values(OUTPUT).map((id) => [id, values[id] as string])) as StackOutputs;
}

/** The raw config document (what baton.config.json holds), before defaults. */
export function rawConfig(topology: Topology, outputs: StackOutputs): Record<string, unknown> {
  return {
    pipeline: {
      name: topology.pipeline.name,
      environment: topology.pipeline.environment,
      account: outputs[OUTPUT.account],
      region: outputs[OUTPUT.region],
    },
    services: [
      {
        name: topology.service,
        cluster: outputs[OUTPUT.cluster],
        blue: { serviceName: outputs[OUTPUT.blueService], targetGroupArn: outputs[OUTPUT.blueTargetGroup] },
        green: { serviceName: outputs[OUTPUT.greenService], targetGroupArn: outputs[OUTPUT.greenTargetGroup] },
        productionListenerArn: outputs[OUTPUT.productionListener],
        testListenerArn: outputs[OUTPUT.testListener],
        taskDefinitionFamily: outputs[OUTPUT.taskDefinitionFamily],
        containerName: topology.containerName,
        taskRoleArn: outputs[OUTPUT.taskRole],
        executionRoleArn: outputs[OUTPUT.executionRole],
        ecr: { repositoryName: outputs[OUTPUT.repositoryName], tagPatterns: [...topology.tagPatterns] },
        appConfig: {
          secretArn: outputs[OUTPUT.appConfigSecret],
          keys: structuredClone(topology.appConfig.rules),
        },
        alarms: alarmNames(topology),
        healthCheck: { path: topology.healthCheckPath, expectedStatus: 200 },
        smokeTest: { baseUrl: outputs[OUTPUT.testUrl], paths: [topology.healthCheckPath], expectedStatus: 200, maxLatencyMs: 1000 },
        strategy: { type: 'all-at-once' },
        bakeSeconds: topology.bakeSeconds,
        scaleDownDelaySeconds: topology.scaleDownDelaySeconds,
      },
    ],
  };
}

/** The config, validated as `cdk synth` validates it; throws ConfigError naming each bad field. */
export function configFromOutputs(topology: Topology, outputs: StackOutputs, file = 'baton.config.json'): BatonConfig {
  return parseConfig(rawConfig(topology, outputs), file);
}
