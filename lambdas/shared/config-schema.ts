/**
 * The schema of `baton.config.json`. It is parsed when the CDK app is
 * synthesized (a bad file fails `cdk synth`) and again by the initialize
 * handler at run time, so the infrastructure and the runtime cannot disagree.
 */
import * as z from 'zod';
import { MIN_WATCH_TIMEOUT_SECONDS, PHASE_NAMES, PHASES, type PhaseName } from '../../lib/constructs/phases.ts';
import { AnalysisSchema } from './analysis/config.ts';
import { dependencyCycle, kindProblems, sharedResourceProblems, smokeTestUrlProblems } from './config-checks.ts';
import { checkExecutionBudget } from './history-budget.ts';
import { StrategySchema } from './strategy.ts';

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** ARN patterns by the resource they name; the message says what shape is expected. */
const ARN_PATTERNS = {
  targetGroup: {
    pattern: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
    shape: 'arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex>',
  },
  listenerOrRule: {
    pattern:
      /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener(-rule)?\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}\/[0-9a-f]{16}(\/[0-9a-f]{16})?$/,
    shape:
      'arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<alb>/<16 hex>/<16 hex> (or listener-rule/app/<alb>/<id>/<id>/<rule id>)',
  },
  secret: {
    pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
    shape: 'arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>',
  },
  role: {
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/,
    shape: 'arn:aws:iam::<account>:role/<name>',
  },
  kmsKey: {
    pattern: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
    shape: 'arn:aws:kms:<region>:<account>:key/<key id> (the key itself, not an alias)',
  },
  snsTopic: {
    pattern: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
    shape: 'arn:aws:sns:<region>:<account>:<topic>',
  },
} as const;

function arn(kind: keyof typeof ARN_PATTERNS) {
  const { pattern, shape } = ARN_PATTERNS[kind];
  return z.string().regex(pattern, { message: `expected an ARN of the form ${shape}` });
}

const Name = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'use letters, digits, "-" and "_" only' });

const ColourTargetSchema = z.strictObject({
  /** ECS service name of this colour, in the service's cluster. */
  serviceName: Name,
  /** Target group that this colour's service registers its tasks in (a web service's colours; a worker has none). */
  targetGroupArn: arn('targetGroup').optional(),
});

/** The source of a JavaScript regular expression, rejected at synth if it does not compile. */
const RegexSource = z.string().refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

/** How a key of the app-config secret must look. Only the shape is checked, never logged. */
const SecretKeyRuleSchema = z.union([
  z.enum(['string', 'url', 'integer', 'boolean']),
  z.strictObject({ enum: z.array(z.string()).min(1) }),
  z.strictObject({ regex: RegexSource }),
]);

const AppConfigSchema = z.strictObject({
  secretArn: arn('secret'),
  /**
   * The customer managed KMS key the secret is encrypted with, if not the AWS
   * managed aws/secretsmanager: the roles that read the secret may decrypt with
   * it, through Secrets Manager only.
   */
  kmsKeyArn: arn('kmsKey').optional(),
  /** Keys the secret's JSON must hold, each with the rule its value must satisfy. */
  keys: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'key names are environment variable names' }),
    SecretKeyRuleSchema,
  ),
});

const HealthCheckSchema = z.strictObject({
  path: z.string().startsWith('/', { message: 'must start with "/"' }).default('/'),
  expectedStatus: z.number().int().min(100).max(599).default(200),
});

/** HTTP checks of the new colour through the test listener, before any production weight moves. */
const SmokeTestSchema = z.strictObject({
  /**
   * Where the test listener answers: https on a DNS name its certificate covers
   * (https://web-test.example.internal:8443), or http on the listener
   * (http://internal-prod-alb-1234567890.eu-west-1.elb.amazonaws.com:8080).
   */
  baseUrl: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL such as https://web-test.example.internal:8443' }),
  /** Paths to GET; each must answer expectedStatus within maxLatencyMs. */
  paths: z
    .array(z.string().startsWith('/', { message: 'must start with "/"' }))
    .min(1)
    .default(['/']),
  expectedStatus: z.number().int().min(100).max(599).default(200),
  maxLatencyMs: z.number().int().min(10).max(30_000).default(1000),
  /** A regular expression the response body must match. */
  bodyMatch: RegexSource.optional(),
});
export type SmokeTest = z.infer<typeof SmokeTestSchema>;

/** EventBridge wildcards (ecr-push-trigger.ts): "*" is any run of characters, dots included, so this is a tag with at least two dots. */
const DEFAULT_TAG_PATTERNS = ['*.*.*'] as const;

export const ServiceConfigSchema = z.strictObject({
  /** At most 40 characters: execution names (80 at most) are built from it. */
  name: Name.max(40),
  /** ECS cluster name. */
  cluster: Name,
  /**
   * "web" (default): the colours serve behind an Application Load Balancer, and production traffic is the
   * production listener's weights. "worker": no listener (queue consumers, schedulers); production is the colours'
   * shares of the running tasks, moved by their ECS desired counts (lambdas/shared/aws/worker-counts.ts).
   */
  kind: z.enum(['web', 'worker']).default('web'),
  blue: ColourTargetSchema,
  green: ColourTargetSchema,
  /** Listener (default action) or listener rule whose forward weights decide the live colour (web services). */
  productionListenerArn: arn('listenerOrRule').optional(),
  /** Optional listener or rule that sends test traffic to the idle colour. */
  testListenerArn: arn('listenerOrRule').optional(),
  /** Task definition family both colours run; new revisions are registered in it. */
  taskDefinitionFamily: Name,
  /** Container in the task definition whose image is replaced. */
  containerName: Name,
  /** Roles the task definitions use; the pipeline may pass exactly these to ECS. */
  taskRoleArn: arn('role'),
  executionRoleArn: arn('role'),
  ecr: z.strictObject({
    repositoryName: z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, {
      message: 'not a valid ECR repository name',
    }),
    /**
     * Tag filters for the ECR push trigger: exact tags or wildcards such as "v*".
     * The default takes release tags only (three dot-separated parts, `v1.4.2`,
     * `1.4.2`): `latest`, `main` or `pr-123` pushed by CI must not reach
     * production unasked. Every tag is `["*"]`, written out.
     */
    tagPatterns: z
      .array(z.string().min(1).max(128))
      .min(1)
      .default([...DEFAULT_TAG_PATTERNS]),
  }),
  appConfig: AppConfigSchema.optional(),
  cache: z.strictObject({ replicationGroupId: Name }).optional(),
  /** CloudWatch alarm names that gate validate, verify, every traffic step and the bake. */
  alarms: z.array(z.string().min(1).max(255)).default([]),
  /**
   * How an alarm in INSUFFICIENT_DATA counts: "pass" (default; a new colour often has
   * too few datapoints at first) or "fail" (treated like ALARM).
   */
  insufficientDataPolicy: z.enum(['pass', 'fail']).default('pass'),
  /** Seconds between gate checks while traffic holds at a step and during the bake. */
  gateIntervalSeconds: z.number().int().min(5).max(300).default(30),
  /**
   * The colours are scaled by Application Auto Scaling (one scalable target per colour): Baton gives the new colour
   * the old one's min, max and target tracking policies, suspends scale-in on both until the bake passed, and sets
   * the old colour's min and max to 0 when it retires it (lambdas/shared/scaling/). Off: a colour with a scalable
   * target is refused, since Baton would scale it behind its autoscaler's back.
   */
  autoscaling: z.boolean().default(false),
  /** The new colour judged against the old one while both take traffic (lambdas/shared/analysis/). */
  analysis: AnalysisSchema.optional(),
  healthCheck: HealthCheckSchema.default({ path: '/', expectedStatus: 200 }),
  /** HTTP smoke checks through testListenerArn (which then must be set). */
  smokeTest: SmokeTestSchema.optional(),
  strategy: StrategySchema.default({ type: 'all-at-once' }),
  /** Time at 100 % on the new colour, watching alarms and health, before the old colour is retired. */
  bakeSeconds: z.number().int().min(0).max(86_400).default(300),
  /** How long the new colour may take to reach a steady state before the deployment rolls back. */
  stabilityTimeoutSeconds: z.number().int().min(60).max(14_400).default(900),
  /** Delay between a successful bake and scaling the old colour to zero. */
  scaleDownDelaySeconds: z.number().int().min(0).max(86_400).default(300),
  /** Wait for a manual approval after verify (CLI `baton approve`). */
  approval: z.boolean().default(false),
  /**
   * Whoever requested a deployment may approve it too (a team of one, who uses
   * the approval as a pause to look at the new colour). Off by default: the
   * approver must be another identity, checked by the CLI and by the state machine.
   */
  allowSelfApproval: z.boolean().default(false),
  /**
   * What an ECR push (or `baton deploy`) of an image newer than the one
   * deploying does when it finds the lock held: "queue" (default) waits in the
   * service's queue and starts when the running deployment ends (the latest
   * queued image wins); "supersede" also stops the running deployment, which
   * the backstop rolls back to the colour that was live, then deploys the
   * newer image. See lambdas/shared/queue.ts.
   */
  onNewerImage: z.enum(['queue', 'supersede']).default('queue'),
  dependsOn: z.array(Name).default([]),
});

const PhaseSettingsSchema = z.strictObject({
  /** TimeoutSeconds of the phase's Task state. */
  timeoutSeconds: z.number().int().min(5).max(900),
  /** Retries on transient errors (throttling, AWS 5xx, Lambda service errors). */
  retries: z.number().int().min(0).max(10),
});
export type PhaseSettings = z.infer<typeof PhaseSettingsSchema>;

/** Step Functions' longest state machine name (CreateStateMachine, name: 1-80 characters). */
const STATE_MACHINE_NAME_MAX = 80;

const PipelineSchema = z
  .strictObject({
    name: Name.max(40).default('baton'),
    environment: Name.max(40),
    account: z.string().regex(ACCOUNT, { message: 'expected a 12-digit AWS account id' }),
    region: z.string().regex(REGION, { message: 'expected an AWS region such as eu-west-1' }),
    notifications: z
      .strictObject({
        /** Existing SNS topic for terminal outcomes; the stack creates one when omitted. */
        snsTopicArn: arn('snsTopic').optional(),
        /** Secrets Manager secret holding a chat webhook URL, read at run time. */
        chatWebhookSecretArn: arn('secret').optional(),
      })
      .default({}),
    /** Overrides per phase; missing phases use DEFAULT_PHASE_SETTINGS. */
    phases: z.partialRecord(z.enum(PHASE_NAMES), PhaseSettingsSchema).default({}),
    /**
     * Upper bound for a whole execution (Step Functions TimeoutSeconds). A Standard workflow may run a year
     * ("Maximum execution time: 1 year", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html):
     * a 24 h bake needs more than 24 h.
     */
    executionTimeoutSeconds: z.number().int().min(600).max(31_536_000).default(21_600),
    /** How long validate and verify wait for a modifying or creating ElastiCache replication group (retries every 30 s). */
    cacheWaitSeconds: z.number().int().min(0).max(3600).default(300),
    /** Attempts of the smoke test before it fails (retried every 10 s by the state machine). */
    smokeTestAttempts: z.number().int().min(1).max(10).default(3),
    /** Network for the smoke-test function, which must reach the test listener (internal ALBs need a VPC). */
    network: z
      .strictObject({
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'expected a VPC id such as vpc-0a1b2c3d' }),
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'expected a subnet id such as subnet-0a1b2c3d' })).min(1),
        securityGroupIds: z
          .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, { message: 'expected a security group id such as sg-0a1b2c3d' }))
          .min(1),
      })
      .optional(),
    /** How long a deployment waits for `baton approve` before it rolls back (the approval state's HeartbeatSeconds). */
    approvalTimeoutSeconds: z.number().int().min(60).max(86_400).default(3600),
    /**
     * Minutes between the backstop's sweeps (an EventBridge schedule): status-change events are delivered best
     * effort, so the sweep finds what a lost one left open (lambdas/backstop/sweep.ts).
     */
    backstopSweepMinutes: z.number().int().min(1).max(1440).default(10),
  })
  .superRefine((pipeline, ctx) => {
    for (const [phase, settings] of Object.entries(pipeline.phases)) {
      if (settings && PHASES[phase as PhaseName].watches && settings.timeoutSeconds < MIN_WATCH_TIMEOUT_SECONDS) {
        ctx.addIssue({
          code: 'custom',
          path: ['phases', phase, 'timeoutSeconds'],
          message: `${phase} waits inside its invocation (a watch keeps 30 s for itself): at least ${MIN_WATCH_TIMEOUT_SECONDS} s (default ${PHASES[phase as PhaseName].defaults.timeoutSeconds})`,
        });
      }
    }
    // The state machine is named <name>-<environment> (names.ts); Step Functions allows 80 characters.
    const machine = `${pipeline.name}-${pipeline.environment}`;
    if (machine.length > STATE_MACHINE_NAME_MAX) {
      ctx.addIssue({
        code: 'custom',
        path: ['environment'],
        message: `with pipeline.name "${pipeline.name}" the state machine would be named "${machine}" (${machine.length} characters); Step Functions allows at most ${STATE_MACHINE_NAME_MAX}: shorten name or environment`,
      });
    }
  });

export const BatonConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    pipeline: PipelineSchema,
    services: z.array(ServiceConfigSchema).min(1, { message: 'list at least one service' }),
  })
  .superRefine((config, ctx) => {
    const { account, region } = config.pipeline;
    const names = new Set<string>();
    config.services.forEach((service, index) => {
      if (names.has(service.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', index, 'name'],
          message: `service "${service.name}" is listed twice; each service name must be unique`,
        });
      }
      names.add(service.name);
      for (const { path, message } of kindProblems(service)) {
        ctx.addIssue({ code: 'custom', path: ['services', index, ...path], message });
      }
      if (service.smokeTest && !service.testListenerArn) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', index, 'testListenerArn'],
          message: 'smokeTest needs a test listener: set testListenerArn to the listener that serves smokeTest.baseUrl',
        });
      }
      if (service.smokeTest) {
        for (const message of smokeTestUrlProblems(service.smokeTest.baseUrl, config.pipeline.network !== undefined)) {
          ctx.addIssue({ code: 'custom', path: ['services', index, 'smokeTest', 'baseUrl'], message });
        }
      }
      for (const [path, value] of arnFields(service)) {
        const parts = value.split(':');
        const arnRegion = parts[3];
        const arnAccount = parts[4];
        if (arnAccount !== account || (arnRegion !== '' && arnRegion !== region)) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', index, ...path],
            message: `ARN is in ${arnRegion || 'global'}/${arnAccount}, but the pipeline is in ${region}/${account}`,
          });
        }
      }
    });
    for (const { path, message } of sharedResourceProblems(config.services)) {
      ctx.addIssue({ code: 'custom', path, message });
    }
    config.services.forEach((service, index) => {
      service.dependsOn.forEach((dependency, depIndex) => {
        if (!names.has(dependency)) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', index, 'dependsOn', depIndex],
            message: `"${dependency}" is not a service in this config (known: ${[...names].join(', ')})`,
          });
        } else if (dependency === service.name) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', index, 'dependsOn', depIndex],
            message: 'a service cannot depend on itself',
          });
        }
      });
    });
    const cycle = dependencyCycle(config.services);
    if (cycle && cycle.length > 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['services', config.services.findIndex((service) => service.name === cycle[0]), 'dependsOn'],
        message: `dependency cycle: ${cycle.join(' -> ')}; no order can deploy these services`,
      });
    }
    // Gate loops and waits that cannot finish inside one execution (history events, execution timeout).
    checkExecutionBudget(config, ctx);
  });

function arnFields(service: z.infer<typeof ServiceConfigSchema>): Array<[Array<string>, string]> {
  const fields: Array<[Array<string>, string]> = [
    [['taskRoleArn'], service.taskRoleArn],
    [['executionRoleArn'], service.executionRoleArn],
  ];
  for (const colour of ['blue', 'green'] as const) {
    const targetGroupArn = service[colour].targetGroupArn;
    if (targetGroupArn) fields.push([[colour, 'targetGroupArn'], targetGroupArn]);
  }
  if (service.productionListenerArn) fields.push([['productionListenerArn'], service.productionListenerArn]);
  if (service.testListenerArn) fields.push([['testListenerArn'], service.testListenerArn]);
  if (service.appConfig) fields.push([['appConfig', 'secretArn'], service.appConfig.secretArn]);
  return fields;
}

export type BatonConfig = z.infer<typeof BatonConfigSchema>;
export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;
export type PipelineConfig = z.infer<typeof PipelineSchema>;
export type SecretKeyRule = z.infer<typeof SecretKeyRuleSchema>;

export function phaseSettings(pipeline: Pick<PipelineConfig, 'phases'>, phase: PhaseName): PhaseSettings {
  return pipeline.phases[phase] ?? PHASES[phase].defaults;
}
