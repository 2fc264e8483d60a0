/**
 * The account file: the starting state of the simulated AWS account
 * (sim/accounts/example.json). Validated with zod like every other input.
 */
import { z } from 'zod';
import { AWS_MANAGED_KEY, parseValueFrom } from '../../lambdas/shared/secret-refs.ts';
import { executionNameProblem } from './execution-names.ts';
import { secretVersionIdProblem } from './limits.ts';
import { ApplicationAutoScalingSchema, scalingProblems } from './scaling-schema.ts';

/** A Secrets Manager version id (32 to 64 characters; see limits.ts). */
const SecretVersionIdSchema = z.string().superRefine((versionId, ctx) => {
  const problem = secretVersionIdProblem(versionId);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const ImageBehaviourSchema = z.enum(['healthy', 'crash', 'unhealthy', 'never-starts']);
export type ImageBehaviour = z.infer<typeof ImageBehaviourSchema>;

const ContainerSchema = z
  .object({
    name: z.string(),
    image: z.string(),
    essential: z.boolean().optional(),
    portMappings: z.array(z.object({ containerPort: z.number().int() }).passthrough()).optional(),
    environment: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    secrets: z
      .array(
        z.object({
          name: z.string(),
          // A version id pinned in valueFrom (`arn:...:key::versionId`) is a Secrets Manager version id too.
          valueFrom: z.string().superRefine((valueFrom, ctx) => {
            const versionId = parseValueFrom(valueFrom)?.versionId;
            const problem = versionId === undefined ? undefined : secretVersionIdProblem(versionId);
            if (problem) ctx.addIssue({ code: 'custom', message: `valueFrom: ${problem}` });
          }),
        }),
      )
      .optional(),
  })
  .passthrough();

const TaskDefinitionSchema = z
  .object({
    family: z.string(),
    revision: z.number().int().min(1),
    taskRoleArn: z.string().optional(),
    executionRoleArn: z.string().optional(),
    networkMode: z.string().optional(),
    cpu: z.string().optional(),
    memory: z.string().optional(),
    requiresCompatibilities: z.array(z.string()).optional(),
    containerDefinitions: z.array(ContainerSchema).min(1),
    tags: z.array(z.object({ key: z.string(), value: z.string() })).default([]),
  })
  .passthrough();
export type TaskDefinitionSpec = z.infer<typeof TaskDefinitionSchema>;

/** An execution of a state machine in this account, kept so its name stays taken (StartExecution). */
const ExecutionRecordSchema = z.strictObject({
  stateMachineArn: z.string(),
  name: z.string().superRefine((name, ctx) => {
    const problem = executionNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  startDate: z.iso.datetime(),
  /** When it closed; the name is released 90 days later. Absent while it runs. */
  stopDate: z.iso.datetime().optional(),
});
export type ExecutionRecord = z.infer<typeof ExecutionRecordSchema>;

/** A time's median and 99th percentile, in milliseconds (`field` names it in the refusal). */
function percentilesMs(field: string) {
  return z
    .strictObject({ p50: z.number().positive(), p99: z.number().positive() })
    .refine((time) => time.p99 >= time.p50, { message: `${field}.p99 cannot be less than ${field}.p50` });
}

/**
 * The production traffic a listener (or rule) carries, spread over its target groups by the forward weights: the
 * requests, 5xx and latency CloudWatch reports per target group (traffic-metrics.ts). Absent: these defaults;
 * a test listener, which only the smoke test reaches, says requestsPerSecond 0.
 */
const ListenerTrafficSchema = z.strictObject({
  requestsPerSecond: z.number().min(0).default(20),
  /** The share of requests the targets answer with a 5xx. */
  errorRate: z.number().min(0).max(1).default(0.005),
  /** The targets' response time, in milliseconds: its median and 99th percentile over a minute. */
  latencyMs: percentilesMs('latencyMs').default({ p50: 80, p99: 250 }),
});
export type ListenerTraffic = z.infer<typeof ListenerTrafficSchema>;
export const DEFAULT_TRAFFIC: ListenerTraffic = ListenerTrafficSchema.parse({});

/**
 * The work a worker's colours share (a queue they both consume), and the CloudWatch metrics its tasks publish
 * about it, one series per colour: what a worker's analysis reads (lambdas/shared/analysis/metrics.ts,
 * workerColourMetrics), drawn like a target group's (worker-metrics.ts).
 */
const WorkloadSchema = z.strictObject({
  /** The ECS services (`cluster/name`) that take the work, shared by their RUNNING tasks second by second: a worker's two colours. */
  services: z.array(z.string().regex(/^[^/]+\/[^/]+$/, 'an ECS service as cluster/name')).min(1),
  /** Units of work (messages, jobs) per second for all the services together. */
  unitsPerSecond: z.number().min(0),
  /** The share of units that fail. */
  errorRate: z.number().min(0).max(1).default(0.005),
  /** The time a unit takes, in milliseconds: its median and 99th percentile over a minute. */
  durationMs: percentilesMs('durationMs').default({ p50: 400, p99: 2000 }),
  /** What the tasks publish, as a worker's analysis.metrics names it; each datapoint has `dimension` = its ECS service's name. */
  metrics: z.strictObject({
    namespace: z.string().min(1),
    dimension: z.string().min(1).default('ServiceName'),
    /** Units processed per minute (Sum; no datapoint for a minute without any, as a custom metric exists only when published). */
    processed: z.string().min(1),
    /** Units that failed per minute (Sum; none published: no datapoint). */
    failed: z.string().min(1),
    /** Each unit's duration, published as values so CloudWatch has its percentiles (Average, pNN). */
    duration: z.strictObject({ name: z.string().min(1), unit: z.enum(['Milliseconds', 'Seconds']).default('Milliseconds') }).optional(),
  }),
});
export type Workload = z.infer<typeof WorkloadSchema>;

const AccountFields = z.strictObject({
  $comment: z.string().optional(),
  account: z.string().regex(/^\d{12}$/),
  region: z.string(),
  /** The seed of the metrics' noise (traffic-noise.ts; absent: 1): the same seed, the same datapoints. */
  seed: z.number().int().optional(),
  /** Seconds a task takes from launch to RUNNING. */
  taskStartSeconds: z.number().int().min(0).default(20),
  ecs: z.strictObject({
    clusters: z.record(
      z.string(),
      z.strictObject({
        services: z.record(
          z.string(),
          z.strictObject({
            taskDefinition: z.string().describe('family:revision'),
            desiredCount: z.number().int().min(0),
            /** The target group its tasks register in; absent for a worker, whose tasks no load balancer reaches (they count once RUNNING). */
            targetGroupArn: z.string().optional(),
            /** Who deploys the service (DescribeServices' deploymentController.type); Baton needs ECS, the default. */
            deploymentController: z.enum(['ECS', 'CODE_DEPLOY', 'EXTERNAL']).optional(),
            /** The load model of the autoscaler (autoscaler.ts): requests/s one task serves at 100 % CPU; absent: 25. */
            requestsPerTask: z.number().positive().optional(),
          }),
        ),
      }),
    ),
    taskDefinitions: z.array(TaskDefinitionSchema),
    /** The work of workers, by a name of your choosing (the queue's). Absent: no worker publishes metrics. */
    workloads: z.record(z.string(), WorkloadSchema).optional(),
  }),
  elb: z.strictObject({
    listeners: z.record(
      z.string(),
      z.strictObject({
        /** Target group ARN -> weight of the forward action. */
        forward: z.record(z.string(), z.number().int().min(0).max(999)),
        /**
         * Actions before the forward (authenticate-oidc, authenticate-cognito), as Describe returns them:
         * an authenticate-oidc config never with its ClientSecret.
         */
        actionsBeforeForward: z
          .array(
            z
              .object({
                Type: z.enum(['authenticate-oidc', 'authenticate-cognito']),
                AuthenticateOidcConfig: z.record(z.string(), z.unknown()).optional(),
                AuthenticateCognitoConfig: z.record(z.string(), z.unknown()).optional(),
              })
              .passthrough(),
          )
          .optional(),
        traffic: ListenerTrafficSchema.optional(),
      }),
    ),
    /**
     * The health check of each target group (HealthCheckIntervalSeconds, HealthyThresholdCount,
     * UnhealthyThresholdCount), with an Application Load Balancer's defaults: 30 s, 5, 2
     * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
     */
    targetGroups: z.record(
      z.string(),
      z.strictObject({
        intervalSeconds: z.number().int().min(5).max(300).default(30),
        healthyThreshold: z.number().int().min(2).max(10).default(5),
        unhealthyThreshold: z.number().int().min(2).max(10).default(2),
      }),
    ),
  }),
  ecr: z.strictObject({
    repositories: z.record(
      z.string(),
      z.strictObject({
        images: z.array(
          z.strictObject({
            digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
            tags: z.array(z.string()),
            /** When the image was pushed (ISO 8601): what decides which of two images is newer. */
            pushedAt: z.iso.datetime().optional(),
            /** How tasks running this image behave in the simulation. */
            behaviour: ImageBehaviourSchema.default('healthy'),
          }),
        ),
      }),
    ),
  }),
  secretsManager: z.strictObject({
    secrets: z.record(
      z.string(),
      z.strictObject({
        /** The KMS key the secret is encrypted with, as DescribeSecret names it; absent for the AWS managed aws/secretsmanager. */
        kmsKeyId: z
          .string()
          .refine((key) => AWS_MANAGED_KEY.test(key) || !/(^|:)alias\//.test(key), {
            message:
              'a customer managed key is named by its key ARN here (the simulated account does not resolve aliases); only alias/aws/secretsmanager may be an alias',
          })
          .optional(),
        versions: z.array(
          z.strictObject({
            versionId: SecretVersionIdSchema,
            stages: z.array(z.string()),
            /** The JSON document stored in the version. Never leaves the simulated account. */
            value: z.record(z.string(), z.unknown()),
          }),
        ),
      }),
    ),
  }),
  elasticache: z.strictObject({
    replicationGroups: z.record(z.string(), z.strictObject({ status: z.string() })),
  }),
  cloudwatch: z.strictObject({
    alarms: z.record(
      z.string(),
      z
        .strictObject({
          state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
          reason: z.string().default(''),
          /** DescribeAlarms returns a composite alarm only to a caller that asks for AlarmTypes CompositeAlarm. */
          type: z.enum(['metric', 'composite']).default('metric'),
          /** The metric a metric alarm watches (AWS/SQS ApproximateAgeOfOldestMessage), as DescribeAlarms returns it. */
          namespace: z.string().optional(),
          metricName: z.string().optional(),
          /** The metric's dimensions (TargetGroup: targetgroup/<name>/<id>), as DescribeAlarms returns them. */
          dimensions: z.record(z.string(), z.string()).optional(),
          /** Seconds per datapoint (Period) of a metric alarm. */
          period: z.number().int().min(10).default(60),
          /** How many datapoints the alarm evaluates (EvaluationPeriods). */
          evaluationPeriods: z.number().int().min(1).default(1),
          /** How many of them must breach for ALARM (DatapointsToAlarm, an "M out of N" alarm); absent: all of them. */
          datapointsToAlarm: z.number().int().min(1).optional(),
        })
        .refine((alarm) => (alarm.datapointsToAlarm ?? 1) <= alarm.evaluationPeriods, {
          message: 'datapointsToAlarm cannot be more than evaluationPeriods',
        }),
    ),
  }),
  /** The account's VPCs: where a config may put the smoke-test function (pipeline.network). */
  ec2: z
    .strictObject({
      vpcs: z.record(
        z.string(),
        z.strictObject({
          subnetIds: z.array(z.string()),
          securityGroupIds: z.array(z.string()),
        }),
      ),
    })
    .optional(),
  /** Items of the deployment table (locks and records), as the handlers write them. */
  deploymentTable: z.array(z.record(z.string(), z.unknown())).default([]),
  /** Step Functions: the executions started so far (a name stays taken for 90 days). Optional: older files have none. */
  stepFunctions: z
    .strictObject({
      executions: z.array(ExecutionRecordSchema).default([]),
    })
    .optional(),
  /** Application Auto Scaling's scalable targets and policies (scaling-schema.ts). Absent: no service is scaled. */
  applicationAutoScaling: ApplicationAutoScalingSchema.optional(),
});

/** The account file; a workload and a scaling section must name the account's own ECS services (scalingProblems). */
export const AccountSchema = AccountFields.superRefine((account, ctx) => {
  const services = new Set(
    Object.entries(account.ecs.clusters).flatMap(([cluster, { services }]) => Object.keys(services).map((name) => `${cluster}/${name}`)),
  );
  const sharing = new Map<string, string>();
  for (const [name, workload] of Object.entries(account.ecs.workloads ?? {})) {
    for (const service of workload.services) {
      const path = ['ecs', 'workloads', name, 'services'];
      if (!services.has(service)) ctx.addIssue({ code: 'custom', path, message: `${service} is not an ECS service of the account` });
      const other = sharing.get(service);
      if (other) ctx.addIssue({ code: 'custom', path, message: `${service} already takes the work of ${other}` });
      sharing.set(service, name);
    }
  }
  if (!account.applicationAutoScaling) return;
  for (const problem of scalingProblems(account.applicationAutoScaling, services)) {
    ctx.addIssue({ code: 'custom', path: ['applicationAutoScaling'], message: problem });
  }
});
export type AccountSpec = z.infer<typeof AccountSchema>;
