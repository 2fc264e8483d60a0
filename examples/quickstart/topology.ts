/**
 * The quick start's one description of a service. Both outputs are built from
 * it: the CDK stack for a real account (stack.ts) and the simulated account the
 * offline demo runs against (sim-account.ts), so the two are the same topology.
 */
import type { SecretKeyRule } from '../../lambdas/shared/config-schema.ts';

export interface AlarmThresholds {
  /** Target 5xx responses per minute that count as failing. */
  readonly http5xxPerMinute: number;
  /** Average target response time, in seconds, that counts as failing. */
  readonly latencySeconds: number;
  /** Seconds of each datapoint the alarms compare with their threshold (the alarm's Period). */
  readonly periodSeconds: number;
  /** Consecutive periods over the threshold before the alarm fires. */
  readonly evaluationPeriods: number;
}

export interface Topology {
  /** Stack name of the quick start; Baton's own stack is named from the pipeline (BatonQuickstart), so this must differ. */
  readonly stackName: string;
  /** Baton service name: the `service` of `baton deploy` and of the execution input. */
  readonly service: string;
  readonly cluster: string;
  readonly blueServiceName: string;
  readonly greenServiceName: string;
  readonly taskDefinitionFamily: string;
  readonly containerName: string;
  readonly containerPort: number;
  /** The image both colours run until the first Baton deployment: public, so the stack deploys before anything is pushed. */
  readonly placeholderImage: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  /** Tasks of the live colour; the idle colour runs none. */
  readonly desiredCount: number;
  readonly repositoryName: string;
  /** Tags whose push deploys (Baton's ECR trigger). */
  readonly tagPatterns: readonly string[];
  readonly appConfigSecretName: string;
  /** The app-config secret: keys the stack sets, one Secrets Manager generates, and the rule Baton checks each against. */
  readonly appConfig: {
    readonly values: Readonly<Record<string, string>>;
    readonly generatedKey: string;
    readonly rules: Readonly<Record<string, SecretKeyRule>>;
  };
  readonly healthCheckPath: string;
  readonly healthCheck: { readonly intervalSeconds: number; readonly healthyThreshold: number; readonly unhealthyThreshold: number };
  readonly productionPort: number;
  readonly testPort: number;
  readonly alarms: AlarmThresholds;
  /** Baton's pipeline for the quick start (`baton-quickstart` state machine). */
  readonly pipeline: { readonly name: string; readonly environment: string };
  readonly bakeSeconds: number;
  readonly scaleDownDelaySeconds: number;
}

export const QUICKSTART: Topology = {
  stackName: 'BatonQuickstartInfra',
  service: 'web',
  cluster: 'baton-quickstart',
  blueServiceName: 'web-blue',
  greenServiceName: 'web-green',
  taskDefinitionFamily: 'baton-quickstart-web',
  containerName: 'web',
  containerPort: 80,
  placeholderImage: 'public.ecr.aws/nginx/nginx:stable',
  cpu: 256,
  memoryMiB: 512,
  desiredCount: 1,
  repositoryName: 'baton-quickstart/web',
  tagPatterns: ['v*'],
  appConfigSecretName: 'baton-quickstart/web/app-config',
  appConfig: {
    values: { LOG_LEVEL: 'info' },
    generatedKey: 'SESSION_SECRET',
    rules: { LOG_LEVEL: { enum: ['debug', 'info', 'warn', 'error'] }, SESSION_SECRET: 'string' },
  },
  healthCheckPath: '/',
  healthCheck: { intervalSeconds: 10, healthyThreshold: 3, unhealthyThreshold: 2 },
  productionPort: 80,
  testPort: 8080,
  alarms: { http5xxPerMinute: 5, latencySeconds: 1.5, periodSeconds: 60, evaluationPeriods: 2 },
  pipeline: { name: 'baton', environment: 'quickstart' },
  bakeSeconds: 300,
  scaleDownDelaySeconds: 300,
};

export type Colour = 'blue' | 'green';
export type AlarmKind = '5xx' | 'latency';
export const COLOURS: readonly Colour[] = ['blue', 'green'];
export const ALARM_KINDS: readonly AlarmKind[] = ['5xx', 'latency'];

/** Every alarm Baton gates on: both kinds on both colours' target groups. */
export function alarmNames(topology: Topology): string[] {
  return COLOURS.flatMap((colour) => ALARM_KINDS.map((kind) => alarmName(topology, colour, kind)));
}

export function ecsServiceName(topology: Topology, colour: Colour): string {
  return colour === 'blue' ? topology.blueServiceName : topology.greenServiceName;
}

/** Alarm names, deterministic so the config and the docs can name them before the stack exists. */
export function alarmName(topology: Topology, colour: Colour, kind: AlarmKind): string {
  return `${topology.cluster}-${ecsServiceName(topology, colour)}-${kind}`;
}

/** The app-config keys the container receives as environment variables, sorted. */
export function appConfigKeys(topology: Topology): string[] {
  return Object.keys(topology.appConfig.rules).sort();
}
