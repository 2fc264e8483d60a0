/**
 * The quick start as a simulated account: the same topology as the CDK stack,
 * with deterministic fake ARNs standing in for what CloudFormation would
 * assign. The config for it goes through the same configFromOutputs as the
 * real one, from outputs shaped like `cdk deploy --outputs-file` writes them.
 */
import { createHash } from 'node:crypto';
import type { AccountSpec } from '../../sim/account/schema.ts';
import { OUTPUT, type StackOutputs } from './config.ts';
import { alarmNames, appConfigKeys, type Topology } from './topology.ts';

export const SIM_ACCOUNT = '123456789012';
export const SIM_REGION = 'eu-west-1';
/** The release the simulated repository holds, ready to deploy (the default input of `npm run simulate`). */
export const SIM_IMAGE_TAG = 'v1.4.2';

function hex(topology: Topology, what: string, length = 16): string {
  return createHash('sha256').update(`${topology.stackName}/${what}`).digest('hex').slice(0, length);
}

/** A CloudFormation-style suffix of letters and digits. */
function suffix(topology: Topology, what: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...createHash('sha256').update(`${topology.stackName}/${what}`).digest()]
    .slice(0, length)
    .map((byte) => alphabet[byte % alphabet.length])
    .join('');
}

/** What the stack's outputs would be in the simulated account. */
export function simOutputs(t: Topology): StackOutputs {
  const elb = `arn:aws:elasticloadbalancing:${SIM_REGION}:${SIM_ACCOUNT}`;
  const alb = `${t.cluster}-alb`.slice(0, 32);
  const albId = hex(t, 'alb');
  const dns = `${alb}-${Number.parseInt(hex(t, 'dns', 8), 16)}.${SIM_REGION}.elb.amazonaws.com`;
  const role = (name: string) => `arn:aws:iam::${SIM_ACCOUNT}:role/${t.stackName}-${name}-${suffix(t, name, 12).toUpperCase()}`;
  return {
    [OUTPUT.account]: SIM_ACCOUNT,
    [OUTPUT.region]: SIM_REGION,
    [OUTPUT.cluster]: t.cluster,
    [OUTPUT.blueService]: t.blueServiceName,
    [OUTPUT.greenService]: t.greenServiceName,
    [OUTPUT.blueTargetGroup]: `${elb}:targetgroup/${t.blueServiceName}/${hex(t, 'blue')}`,
    [OUTPUT.greenTargetGroup]: `${elb}:targetgroup/${t.greenServiceName}/${hex(t, 'green')}`,
    [OUTPUT.productionListener]: `${elb}:listener/app/${alb}/${albId}/${hex(t, 'production')}`,
    [OUTPUT.testListener]: `${elb}:listener/app/${alb}/${albId}/${hex(t, 'test')}`,
    [OUTPUT.productionUrl]: `http://${dns}:${t.productionPort}`,
    [OUTPUT.testUrl]: `http://${dns}:${t.testPort}`,
    [OUTPUT.taskDefinitionFamily]: t.taskDefinitionFamily,
    [OUTPUT.taskRole]: role('TaskRole'),
    [OUTPUT.executionRole]: role('ExecutionRole'),
    [OUTPUT.repositoryName]: t.repositoryName,
    [OUTPUT.repositoryUri]: `${SIM_ACCOUNT}.dkr.ecr.${SIM_REGION}.amazonaws.com/${t.repositoryName}`,
    [OUTPUT.appConfigSecret]: `arn:aws:secretsmanager:${SIM_REGION}:${SIM_ACCOUNT}:secret:${t.appConfigSecretName}-${suffix(t, 'secret', 6)}`,
  };
}

/** A Secrets Manager version id (a UUID), deterministic. */
function versionId(t: Topology, what: string): string {
  const h = hex(t, what, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The account as the stack leaves it right after `cdk deploy`: blue live on the placeholder image, green idle. */
export function simAccount(t: Topology): AccountSpec {
  const out = simOutputs(t);
  const secretArn = out[OUTPUT.appConfigSecret];
  const taskDefinition = `${t.taskDefinitionFamily}:1`;
  const healthCheck = { ...t.healthCheck };
  return {
    $comment: `Generated from examples/quickstart/topology.ts by examples/quickstart/generate-sim.ts; do not edit. The quick-start stack (${t.stackName}) right after deployment, with ${SIM_IMAGE_TAG} pushed.`,
    account: SIM_ACCOUNT,
    region: SIM_REGION,
    taskStartSeconds: 20,
    ecs: {
      clusters: {
        [t.cluster]: {
          services: {
            [t.blueServiceName]: { taskDefinition, desiredCount: t.desiredCount, targetGroupArn: out[OUTPUT.blueTargetGroup] },
            [t.greenServiceName]: { taskDefinition, desiredCount: 0, targetGroupArn: out[OUTPUT.greenTargetGroup] },
          },
        },
      },
      taskDefinitions: [
        {
          family: t.taskDefinitionFamily,
          revision: 1,
          taskRoleArn: out[OUTPUT.taskRole],
          executionRoleArn: out[OUTPUT.executionRole],
          networkMode: 'awsvpc',
          cpu: String(t.cpu),
          memory: String(t.memoryMiB),
          requiresCompatibilities: ['FARGATE'],
          containerDefinitions: [
            {
              name: t.containerName,
              image: t.placeholderImage,
              essential: true,
              portMappings: [{ containerPort: t.containerPort, protocol: 'tcp' }],
              secrets: appConfigKeys(t).map((key) => ({ name: key, valueFrom: `${secretArn}:${key}::` })),
            },
          ],
          tags: [],
        },
      ],
    },
    elb: {
      listeners: {
        [out[OUTPUT.productionListener]]: { forward: { [out[OUTPUT.blueTargetGroup]]: 100, [out[OUTPUT.greenTargetGroup]]: 0 } },
        [out[OUTPUT.testListener]]: { forward: { [out[OUTPUT.blueTargetGroup]]: 0, [out[OUTPUT.greenTargetGroup]]: 100 } },
      },
      targetGroups: { [out[OUTPUT.blueTargetGroup]]: healthCheck, [out[OUTPUT.greenTargetGroup]]: { ...healthCheck } },
    },
    ecr: {
      repositories: {
        [t.repositoryName]: {
          images: [
            {
              digest: `sha256:${hex(t, SIM_IMAGE_TAG, 64)}`,
              tags: [SIM_IMAGE_TAG],
              pushedAt: '2026-11-23T08:55:00Z',
              behaviour: 'healthy',
            },
          ],
        },
      },
    },
    secretsManager: {
      secrets: {
        [secretArn]: {
          versions: [
            {
              versionId: versionId(t, 'app-config'),
              stages: ['AWSCURRENT'],
              value: { ...t.appConfig.values, [t.appConfig.generatedKey]: `SIMSECRET-${hex(t, 'generated', 32)}` },
            },
          ],
        },
      },
    },
    elasticache: { replicationGroups: {} },
    cloudwatch: {
      alarms: Object.fromEntries(
        alarmNames(t).map((name) => [
          name,
          {
            state: 'OK',
            reason: 'Threshold Crossed: no datapoints were greater than the threshold.',
            type: 'metric',
            period: t.alarms.periodSeconds,
            evaluationPeriods: t.alarms.evaluationPeriods,
          },
        ]),
      ),
    },
    deploymentTable: [],
  };
}
