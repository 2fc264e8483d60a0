/**
 * One Lambda function per phase, bundled by the local esbuild (no Docker),
 * each with only the permissions its phase needs.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type BatonConfig, type PhaseName, phaseSettings } from '../../lambdas/shared/config-schema.ts';
import { METRICS_NAMESPACE } from '../../lambdas/shared/telemetry/metrics.ts';
import { type PermissionNeed, statementsFor } from './phase-permissions.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the stack needs to know of a phase's handler to build its function. */
export interface PhaseSpec {
  readonly dir: string;
  /** The AWS access the handler needs (see phase-permissions.ts). */
  readonly needs: readonly PermissionNeed[];
  readonly description: string;
  /**
   * The handler reads the pipeline config (pipelineConfig() in lambdas/shared/runtime-config.ts): the
   * validated config is compiled into its bundle. test/stack/phase-bundles.test.ts checks this against
   * each handler's import graph.
   */
  readonly readsConfig?: true;
}

/**
 * Where each phase's handler lives, and which AWS access it needs. A phase
 * wrapped by definePhase (lambdas/shared/phase.ts) tracks its runs in the
 * record and renews the lock's lease ('trackPhase') and publishes its events
 * ('publishEvents'); the backstop handles EventBridge events, not a
 * deployment's state, and tracks nothing. The phases that run only while
 * their deployment holds the lock (LOCK_HOLDING_PHASES) read the lock when
 * its lease cannot be renewed ('readLock').
 */
export const PHASES: Record<PhaseName, PhaseSpec> = {
  initialize: {
    dir: 'initialize',
    needs: [
      'readListener',
      'takeLock',
      'createRecord',
      'readImages',
      'readRecord',
      'inspectLockHolder',
      'queueImage',
      'supersede',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Validates the request, takes the lock, resolves the live colour',
    readsConfig: true,
  },
  validate: {
    dir: 'validate',
    needs: [
      'readServices',
      'readTaskDefinitions',
      'readTargetHealth',
      'readListener',
      'readImages',
      'readSecret',
      'readCache',
      'readAlarms',
      'readRecord',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Checks services, listener, image, secret, cache and alarms before any change',
  },
  prepare: {
    dir: 'prepare',
    needs: ['readTaskDefinitions', 'registerTaskDefinition', 'updateRecord', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Registers the release task definition',
  },
  deploy: {
    dir: 'deploy',
    needs: ['updateServices', 'readListener', 'writeListener', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Updates the idle colour to the release',
  },
  checkStability: {
    dir: 'check-stability',
    needs: ['readServices', 'readTasks', 'readTargetHealth', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Checks whether the new colour reached a steady state',
  },
  verify: {
    dir: 'verify',
    needs: ['readServices', 'readTargetHealth', 'readAlarms', 'readCache', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Verifies the new colour before traffic moves',
  },
  shiftTraffic: {
    dir: 'shift-traffic',
    needs: ['readServices', 'readTargetHealth', 'readAlarms', 'readListener', 'writeListener', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Moves production weight step by step',
  },
  checkBake: {
    dir: 'check-bake',
    needs: ['readServices', 'readTargetHealth', 'readAlarms', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Watches alarms and health during the bake and until the old colour is retired',
  },
  complete: {
    dir: 'complete',
    needs: [
      'readListener',
      'readServices',
      'readTargetHealth',
      'readAlarms',
      'updateServices',
      'releaseLock',
      'updateRecord',
      'notify',
      'readLock',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Checks the gates once more, retires the old colour, records success, releases the lock',
  },
  rollback: {
    dir: 'rollback',
    needs: [
      'readListener',
      'writeListener',
      'readServices',
      'readTargetHealth',
      'updateServices',
      'readLock',
      'readRecord',
      'releaseLock',
      'updateRecord',
      'notify',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Moves traffic back to the healthy old colour and retires the new one',
  },
  recordFailure: {
    dir: 'record-failure',
    needs: ['releaseLock', 'updateRecord', 'notify', 'trackPhase', 'publishEvents'],
    description: 'Writes the terminal record of a rejected or failed execution',
  },
  requestApproval: {
    dir: 'request-approval',
    needs: ['updateRecord', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Stores the approval task token in the deployment record',
  },
  recover: {
    dir: 'recover',
    needs: ['readRecord', 'updateRecord', 'transferLock', 'releaseLock', 'readExecution', 'notify', 'trackPhase', 'publishEvents'],
    description: 'Rebuilds the state of a deployment left without a terminal record',
    readsConfig: true,
  },
  smokeTest: {
    dir: 'smoke-test',
    // Nothing but HTTP to the test listener: with pipeline.network it runs in a VPC that may have no route to AWS.
    needs: [],
    description: 'HTTP checks of the new colour through the test listener',
  },
  recordSmokeTest: {
    dir: 'record-smoke-test',
    needs: ['readLock', 'trackPhase', 'publishEvents'],
    description: 'Records each smoke test attempt; fails the deployment after the last failed one',
  },
  planRelease: {
    dir: 'plan-release',
    // track: false (lambdas/plan-release/index.ts): no phase runs, so no trackPhase.
    needs: ['readListener', 'takeLock', 'releaseLock', 'createRecord', 'readRecord', 'inspectLockHolder', 'publishEvents'],
    description: 'Orders the services of a release in waves and takes all their locks, or none',
    readsConfig: true,
  },
  shiftTogether: {
    dir: 'shift-together',
    needs: ['readServices', 'readTargetHealth', 'readAlarms', 'readListener', 'writeListener', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Moves the production weight of every service of a release at the same steps',
  },
  unwindRelease: {
    dir: 'unwind-release',
    needs: ['readRecord', 'updateRecord', 'releaseLock', 'transferLock', 'readExecution', 'notify', 'trackPhase', 'publishEvents'],
    description: 'Lists the services of a failed release to roll back, in reverse order; closes the untouched ones',
    readsConfig: true,
  },
  finishRelease: {
    dir: 'finish-release',
    needs: ['readRecord', 'updateRecord', 'releaseLock', 'notify', 'trackPhase', 'publishEvents'],
    description: 'Writes the verdict of a release and announces it',
  },
  backstop: {
    dir: 'backstop',
    // readImages and startQueued: a queued image older than the one that just went live does not start (lambdas/shared/queue.ts).
    // The sweep (lambdas/backstop/sweep.ts) reads each configured service's lock (readRecord's GetItem) and its
    // holder's execution (readExecution): nothing more.
    needs: ['readRecord', 'updateRecord', 'readExecution', 'readImages', 'startQueued', 'notify', 'publishEvents'],
    description: 'Starts a recovery when an execution ends without a terminal record, then the queued image; sweeps periodically',
    readsConfig: true,
  },
};

/** A phase's needs. */
export function needsOf(phase: PhaseName): readonly PermissionNeed[] {
  return PHASES[phase].needs;
}

export function entryOf(phase: PhaseName): string {
  return join(ROOT, 'lambdas', PHASES[phase].dir, 'index.ts');
}

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
  public readonly deadLetterQueues: Queue[] = [];

  /** The smoke test reaches the test listener, often on an internal ALB: it runs in the configured VPC. */
  private smokeTestNetwork(config: BatonConfig): Pick<NodejsFunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> {
    const network = config.pipeline.network;
    if (!network) return {};
    return {
      // Explicit subnets are given, so the VPC's availability zones are never consulted.
      vpc: Vpc.fromVpcAttributes(this, 'SmokeTestVpc', { vpcId: network.vpcId, availabilityZones: [Stack.of(this).region] }),
      vpcSubnets: { subnets: network.subnetIds.map((subnetId) => Subnet.fromSubnetId(this, `Subnet${subnetId}`, subnetId)) },
      securityGroups: network.securityGroupIds.map((groupId) => SecurityGroup.fromSecurityGroupId(this, `Sg${groupId}`, groupId)),
    };
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
      const settings = phaseSettings(config.pipeline, phase);
      const needs = needsOf(phase);
      const logGroup = new LogGroup(this, `${phase}Logs`, {
        retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      });
      // Own role instead of AWSLambdaBasicExecutionRole: logs go to this log group only.
      const role = new Role(this, `${phase}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Baton ${config.pipeline.name} ${phase} phase`,
      });
      role.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
      // The backstop is the one function invoked asynchronously (by EventBridge): keep what it failed on.
      const deadLetterQueue =
        phase === 'backstop'
          ? new Queue(this, `${phase}DeadLetters`, {
              encryption: QueueEncryption.SQS_MANAGED,
              enforceSSL: true,
              retentionPeriod: Duration.days(14),
            })
          : undefined;
      if (deadLetterQueue) this.deadLetterQueues.push(deadLetterQueue);
      // The config is compiled into the handlers that read it: no size limit of environment variables applies.
      const define = PHASES[phase].readsConfig ? { 'process.env.BATON_CONFIG': JSON.stringify(configJson) } : undefined;
      defines[phase] = define;
      const fn = new NodejsFunction(this, phase, {
        role,
        ...(phase === 'smokeTest' ? this.smokeTestNetwork(config) : {}),
        ...(deadLetterQueue ? { deadLetterQueue } : {}),
        entry: entryOf(phase),
        handler: 'handler',
        description: `Baton ${config.pipeline.name}: ${PHASES[phase].description}`,
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        memorySize: 256,
        // Lambda stops the invocation here; its Task waits TASK_TIMEOUT_MARGIN_SECONDS longer (phase-states.ts).
        timeout: Duration.seconds(settings.timeoutSeconds),
        tracing: Tracing.ACTIVE,
        logGroup,
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
          ...(phase === 'requestApproval' ? { BATON_APPROVAL_TIMEOUT_SECONDS: String(config.pipeline.approvalTimeoutSeconds) } : {}),
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
      const network = config.pipeline.network;
      if (phase === 'smokeTest' && network) {
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

    this.functions = Object.fromEntries((Object.keys(PHASES) as PhaseName[]).map((phase) => [phase, build(phase)])) as Record<
      PhaseName,
      NodejsFunction
    >;
    this.roles = roles as Record<PhaseName, Role>;
    this.bundlingDefines = defines as Record<PhaseName, Record<string, string> | undefined>;
  }
}
