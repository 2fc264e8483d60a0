/**
 * The IAM an operator's CLI needs, command by command, in one table: the
 * stack builds two managed policies from it (every command; the read-only
 * commands) and docs/cli.md prints it (test/docs/cli-permissions.test.ts
 * keeps the two equal). Resources are as narrow as the Service Authorization
 * Reference allows: SendTaskSuccess/SendTaskFailure and the ELB Describe
 * actions have no resource type, so they take "*"; sts:GetCallerIdentity
 * (who is asking, recorded on requests and answers) needs no permission at all.
 */
import { Aws } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyDocument } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { BatonConfig, PipelineConfig } from '../../lambdas/shared/config-schema.ts';
import { deploymentTableName, stateMachineArn, stateMachineName } from '../../lambdas/shared/names.ts';
import { SERVICE_INDEX } from '../../lambdas/shared/records/keys.ts';

/** The ARNs a grant is scoped to. */
export interface OperatorScope {
  readonly stateMachineArn: string;
  /** Every execution of the state machine. */
  readonly executionArns: string;
  readonly tableArn: string;
  /** The colours' ECS services of the config's workers (none without workers: the grant is left out). */
  readonly workerServiceArns: readonly string[];
}

export interface Grant {
  readonly actions: readonly string[];
  readonly resources: (scope: OperatorScope) => string[];
  /** What the command does with it (docs/cli.md shows it). */
  readonly why: string;
}

const READ_ITEMS: Grant = {
  actions: ['dynamodb:GetItem'],
  resources: (s) => [s.tableArn],
  why: 'reads the lock and the deployment or release record',
};
const QUERY_HISTORY: Grant = {
  actions: ['dynamodb:Query'],
  resources: (s) => [`${s.tableArn}/index/${SERVICE_INDEX}`],
  why: `lists deployments or releases newest first (index ${SERVICE_INDEX})`,
};
const DESCRIBE_EXECUTION: Grant = {
  actions: ['states:DescribeExecution'],
  resources: (s) => [s.executionArns],
  why: "reads an execution's status, input and output",
};
const EXECUTION_HISTORY: Grant = {
  actions: ['states:GetExecutionHistory'],
  resources: (s) => [s.executionArns],
  why: "reads an execution's steps",
};
const READ_TRAFFIC: Grant = {
  actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'],
  resources: () => ['*'],
  why: 'reads the weights production serves (these actions have no resource-level permissions)',
};
const READ_WORKER_TRAFFIC: Grant = {
  actions: ['ecs:DescribeServices'],
  resources: (s) => [...s.workerServiceArns],
  why: "reads a worker's split: its colours' desired counts",
};
/** Following an execution (cli/execution.ts, executionView): its status, its steps and the split production serves. */
const FOLLOW: readonly Grant[] = [DESCRIBE_EXECUTION, EXECUTION_HISTORY, READ_TRAFFIC, READ_WORKER_TRAFFIC];
const START: Grant = {
  actions: ['states:StartExecution'],
  // The alias or version ARN (`<state machine ARN>:<qualifier>`) as well: a qualified start is authorized on it.
  resources: (s) => [s.stateMachineArn, `${s.stateMachineArn}:*`],
  why: 'starts an execution of the state machine or of its alias',
};

/** What the viewer policy allows: following executions and reading records, never changing anything. */
const VIEWING = [READ_ITEMS, QUERY_HISTORY, ...FOLLOW] as const;

export const OPERATOR_PERMISSIONS = {
  deploy: [START, READ_ITEMS, ...FOLLOW],
  rollback: [START, READ_ITEMS, QUERY_HISTORY, ...FOLLOW],
  release: [START, READ_ITEMS, DESCRIBE_EXECUTION],
  status: [...VIEWING],
  watch: [READ_ITEMS, ...FOLLOW],
  history: [QUERY_HISTORY],
  report: [READ_ITEMS, EXECUTION_HISTORY],
  'release status': [...VIEWING],
  'release history': [QUERY_HISTORY],
  approve: [
    READ_ITEMS,
    {
      actions: ['states:SendTaskSuccess'],
      resources: () => ['*'],
      why: 'answers the approval wait (no resource type: the task token decides)',
    },
  ],
  reject: [
    READ_ITEMS,
    {
      actions: ['states:SendTaskFailure'],
      resources: () => ['*'],
      why: 'answers the approval wait (no resource type: the task token decides)',
    },
  ],
  promote: [
    READ_ITEMS,
    {
      actions: ['dynamodb:UpdateItem'],
      resources: (s) => [s.tableArn],
      why: 'writes the promotion on the lock, for the deployment it read (conditional)',
    },
  ],
  abort: [READ_ITEMS, { actions: ['states:StopExecution'], resources: (s) => [s.executionArns], why: "stops the lock holder's execution" }],
  unlock: [
    READ_ITEMS,
    DESCRIBE_EXECUTION,
    {
      actions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: (s) => [s.tableArn],
      why: 'records the resolution on the deployment record and deletes the lock (both conditional)',
    },
  ],
} as const satisfies Record<string, readonly Grant[]>;

export type CommandName = keyof typeof OPERATOR_PERMISSIONS;

/** The commands the viewer policy serves: they only read. */
export const VIEWER_COMMANDS: readonly CommandName[] = ['status', 'watch', 'history', 'report', 'release status', 'release history'];

export interface Statement {
  readonly actions: string[];
  readonly resources: string[];
}

/** The statements of a policy serving `commands`: one per set of resources, its actions sorted, none repeated. */
export function policyStatements(commands: readonly CommandName[], scope: OperatorScope): Statement[] {
  const byResources = new Map<string, Set<string>>();
  for (const grant of commands.flatMap((command) => OPERATOR_PERMISSIONS[command] as readonly Grant[])) {
    const resources = grant.resources(scope);
    if (resources.length === 0) continue;
    const key = JSON.stringify(resources);
    const actions = byResources.get(key) ?? new Set<string>();
    for (const action of grant.actions) actions.add(action);
    byResources.set(key, actions);
  }
  return [...byResources].map(([key, actions]) => ({ actions: [...actions].sort(), resources: JSON.parse(key) as string[] }));
}

/** An identity policy allowing what `commands` need, as IAM reads it. */
export function policyDocument(commands: readonly CommandName[], scope: OperatorScope): { Version: string; Statement: unknown[] } {
  return {
    Version: '2012-10-17',
    Statement: policyStatements(commands, scope).map(({ actions, resources }) => ({
      Effect: 'Allow',
      Action: actions,
      Resource: resources,
    })),
  };
}

/** The ARNs of the pipeline's state machine, its executions and its table, and its workers' colours. */
export function operatorScope(config: Pick<BatonConfig, 'pipeline' | 'services'>, partition = 'aws'): OperatorScope {
  const { pipeline } = config;
  const { region, account } = pipeline;
  const ecsService = (cluster: string, name: string) => `arn:${partition}:ecs:${region}:${account}:service/${cluster}/${name}`;
  return {
    stateMachineArn: stateMachineArn(pipeline, partition),
    executionArns: `arn:${partition}:states:${region}:${account}:execution:${stateMachineName(pipeline)}:*`,
    tableArn: `arn:${partition}:dynamodb:${region}:${account}:table/${deploymentTableName(pipeline)}`,
    workerServiceArns: config.services
      .filter((service) => service.kind === 'worker')
      .flatMap((service) => [
        ecsService(service.cluster, service.blue.serviceName),
        ecsService(service.cluster, service.green.serviceName),
      ]),
  };
}

export const COMMAND_NAMES = Object.keys(OPERATOR_PERMISSIONS) as CommandName[];

/** The managed policies' names: `<state machine name>-operator` and `-viewer`. */
export function operatorPolicyName(pipeline: PipelineConfig, kind: 'operator' | 'viewer'): string {
  return `${stateMachineName(pipeline)}-${kind}`;
}

/** The `<name>-operator` and `<name>-viewer` managed policies (the stack outputs their ARNs). */
export class OperatorPolicies extends Construct {
  readonly operator: ManagedPolicy;
  readonly viewer: ManagedPolicy;

  constructor(scope: Construct, id: string, props: { readonly config: BatonConfig }) {
    super(scope, id);
    const { pipeline } = props.config;
    const arns = operatorScope(props.config, Aws.PARTITION);
    const policy = (kind: 'operator' | 'viewer', commands: readonly CommandName[], description: string) =>
      new ManagedPolicy(this, kind === 'operator' ? 'Operator' : 'Viewer', {
        managedPolicyName: operatorPolicyName(pipeline, kind),
        description,
        document: PolicyDocument.fromJson(policyDocument(commands, arns)),
      });
    this.operator = policy('operator', COMMAND_NAMES, 'Every baton CLI command (docs/cli.md, "IAM for operators")');
    this.viewer = policy(
      'viewer',
      VIEWER_COMMANDS,
      'The read-only baton CLI commands: status, watch, history, report, release status/history',
    );
  }
}
