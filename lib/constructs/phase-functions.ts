/**
 * One Lambda function per phase, bundled by the local esbuild (no Docker),
 * each with only the permissions its phase needs.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, type IVersion, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type BatonConfig, type PipelineConfig, phaseSettings } from '../../lambdas/shared/config-schema.ts';
import { METRICS_NAMESPACE } from '../../lambdas/shared/telemetry/metrics.ts';
import { entryOf, ROOT } from './phase-entry.ts';
import { statementsFor } from './phase-permissions.ts';
import { type EnvironmentNeed, PHASE_NAMES, PHASES, type PhaseName, type PhaseTraits } from './phases.ts';

type PipelineNetwork = NonNullable<PipelineConfig['network']>;

/** The variables each EnvironmentNeed adds to a function's environment. */
const ENVIRONMENT: Record<EnvironmentNeed, (config: BatonConfig) => Record<string, string>> = {
  approvalTimeout: (config) => ({ BATON_APPROVAL_TIMEOUT_SECONDS: String(config.pipeline.approvalTimeoutSeconds) }),
};

export interface PhaseFunctionsProps {
  readonly config: BatonConfig;
  readonly table: ITable;
  /** Where the phases that end a deployment publish its outcome. */
  readonly topic: ITopic;
  /** The topic's key, when the stack created the topic. */
  readonly topicKey?: IKey;
  /**
   * Log retention of every phase function.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
}

export class PhaseFunctions extends Construct {
  public readonly functions: Record<PhaseName, NodejsFunction>;
  public readonly roles: Record<PhaseName, Role>;
  /** The esbuild `define` each function's bundle is built with (undefined: none). */
  public readonly bundlingDefines: Record<PhaseName, Record<string, string> | undefined>;
  /** Dead-letter queues of the asynchronously invoked functions. */
  public readonly deadLetterQueues: Partial<Record<PhaseName, Queue>> = {};

  /** The version of a function the state machine's Tasks invoke (pipeline-state-machine.ts: safe upgrades). */
  versionOf(phase: PhaseName): IVersion {
    return this.functions[phase].currentVersion;
  }

  private networkProps?: Pick<NodejsFunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'>;

  /**
   * Where a function with the 'pipeline' network runs (the smoke test reaches the test listener, often on an
   * internal ALB): the configured VPC, built once for all such functions.
   */
  private pipelineNetwork(network: PipelineNetwork): Pick<NodejsFunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> {
    this.networkProps ??= {
      // Explicit subnets are given, so the VPC's availability zones are never consulted.
      vpc: Vpc.fromVpcAttributes(this, 'SmokeTestVpc', { vpcId: network.vpcId, availabilityZones: [Stack.of(this).region] }),
      vpcSubnets: { subnets: network.subnetIds.map((subnetId) => Subnet.fromSubnetId(this, `Subnet${subnetId}`, subnetId)) },
      securityGroups: network.securityGroupIds.map((groupId) => SecurityGroup.fromSecurityGroupId(this, `Sg${groupId}`, groupId)),
    };
    return this.networkProps;
  }

  constructor(scope: Construct, id: string, props: PhaseFunctionsProps) {
    super(scope, id);
    const { config, table } = props;
    const stack = Stack.of(this);
    const configJson = JSON.stringify(config);
    const configHash = createHash('sha256').update(configJson).digest('hex').slice(0, 16);

    const roles: Partial<Record<PhaseName, Role>> = {};
    const defines: Partial<Record<PhaseName, Record<string, string> | undefined>> = {};
    const webhookSecretArn = config.pipeline.notifications.chatWebhookSecretArn;
    const build = (phase: PhaseName): NodejsFunction => {
      const traits: PhaseTraits = PHASES[phase];
      const settings = phaseSettings(config.pipeline, phase);
      const needs = traits.needs;
      const network = traits.network === 'pipeline' ? config.pipeline.network : undefined;
      const logGroup = new LogGroup(this, `${phase}Logs`, {
        retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      });
      // Own role instead of AWSLambdaBasicExecutionRole: logs go to this log group only.
      const role = new Role(this, `${phase}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Baton ${config.pipeline.name} ${phase} phase`,
      });
      role.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
      // A function invoked asynchronously (the backstop, by EventBridge) keeps what it failed on.
      const deadLetterQueue = traits.deadLetterQueue
        ? new Queue(this, `${phase}DeadLetters`, {
            encryption: QueueEncryption.SQS_MANAGED,
            enforceSSL: true,
            retentionPeriod: Duration.days(14),
          })
        : undefined;
      if (deadLetterQueue) this.deadLetterQueues[phase] = deadLetterQueue;
      // The config is compiled into the handlers that read it: no size limit of environment variables applies.
      const define = traits.readsConfig ? { 'process.env.BATON_CONFIG': JSON.stringify(configJson) } : undefined;
      defines[phase] = define;
      const fn = new NodejsFunction(this, phase, {
        role,
        ...(network ? this.pipelineNetwork(network) : {}),
        ...(deadLetterQueue ? { deadLetterQueue } : {}),
        entry: entryOf(phase),
        handler: 'handler',
        description: `Baton ${config.pipeline.name}: ${traits.description}`,
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        memorySize: traits.memoryMiB,
        // Lambda stops the invocation here; its Task waits TASK_TIMEOUT_MARGIN_SECONDS longer (phase-states.ts).
        timeout: Duration.seconds(settings.timeoutSeconds),
        tracing: Tracing.ACTIVE,
        logGroup,
        // A version replaced by a deploy stays: a state machine version in flight still invokes it. Without a
        // policy the Version construct deletes it (the default of VersionOptions.removalPolicy is DESTROY;
        // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda.VersionOptions.html).
        currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
        loggingFormat: LoggingFormat.JSON,
        projectRoot: ROOT,
        depsLockFilePath: join(ROOT, 'package-lock.json'),
        environment: {
          BATON_TABLE_NAME: table.tableName,
          BATON_PIPELINE: config.pipeline.name,
          BATON_CONFIG_SHA256: configHash,
          POWERTOOLS_SERVICE_NAME: 'baton',
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          BATON_EVENT_BUS_NAME: 'default',
          ...Object.assign({}, ...(traits.environment ?? []).map((need) => ENVIRONMENT[need](config))),
          ...(needs.includes('notify')
            ? {
                BATON_TOPIC_ARN: props.topic.topicArn,
                // The ARN only: the webhook URL itself is read from Secrets Manager at run time.
                ...(webhookSecretArn ? { BATON_CHAT_WEBHOOK_SECRET_ARN: webhookSecretArn } : {}),
              }
            : {}),
        },
        bundling: {
          minify: true,
          // Error class names are the contract with Retry/Catch: keep them through minification.
          keepNames: true,
          sourceMap: false,
          target: 'node22',
          format: OutputFormat.CJS,
          // The Node.js 22 runtime provides AWS SDK v3; bundling it would triple each bundle
          // (over 1 MB) and slow every cold start.
          externalModules: ['@aws-sdk/*'],
          ...(define ? { define } : {}),
        },
      });
      if (needs.includes('notify')) {
        // Explicit actions rather than grantPublish, whose kms:GenerateDataKey* is wider than publishing needs.
        role.addToPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }));
        if (props.topicKey) {
          role.addToPolicy(new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [props.topicKey.keyArn] }));
        }
      }
      for (const statement of statementsFor(needs, {
        config,
        table,
        account: stack.account,
        region: stack.region,
        partition: stack.partition,
      })) {
        role.addToPolicy(statement);
      }
      if (network) {
        // What Lambda needs to attach the function to the VPC, limited to the configured subnets and security groups.
        const ec2 = (resource: string) => `arn:${stack.partition}:ec2:${stack.region}:${stack.account}:${resource}`;
        role.addToPolicy(
          new PolicyStatement({
            actions: ['ec2:CreateNetworkInterface'],
            resources: [
              ...network.subnetIds.map((id) => ec2(`subnet/${id}`)),
              ...network.securityGroupIds.map((id) => ec2(`security-group/${id}`)),
              ec2('network-interface/*'),
            ],
          }),
        );
        role.addToPolicy(
          new PolicyStatement({
            actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
            resources: [ec2('network-interface/*')],
          }),
        );
        role.addToPolicy(new PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces'], resources: ['*'] }));
      }
      roles[phase] = role;
      return fn;
    };

    this.functions = Object.fromEntries(PHASE_NAMES.map((phase) => [phase, build(phase)])) as Record<PhaseName, NodejsFunction>;
    this.roles = roles as Record<PhaseName, Role>;
    this.bundlingDefines = defines as Record<PhaseName, Record<string, string> | undefined>;
  }
}
