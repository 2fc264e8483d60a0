/**
 * The synthesized Baton stack for the example config: the state machine
 * definition, the phase functions, IAM scoping, the deployment table and the
 * cdk-nag packs. One synthesis (without bundling) serves the whole file.
 */

import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, type IApplyRule, type NagPack, NagRuleCompliance, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PhaseName } from '../../lib/constructs/phases.ts';
import { RELEASE_STATE_NAMES, STATE_NAMES, TASK_TIMEOUT_MARGIN_SECONDS, TRANSIENT_ERRORS } from '../../lib/constructs/state-names.ts';
import { exampleConfig, webService } from '../fixtures/config.ts';
import { deployedIn, evaluate, identityPoliciesOf } from '../fixtures/iam.ts';
import {
  type AslDefinition,
  type AslState,
  logicalIdOf,
  resolveToString,
  type Synthesis,
  stateMachineDefinition,
  synth,
} from '../fixtures/synth.ts';

const S = STATE_NAMES;
const R = RELEASE_STATE_NAMES;
/** The phases of the pipeline, one Lambda function each. */
const PHASES: PhaseName[] = [
  'initialize',
  'validate',
  'prepare',
  'deploy',
  'checkStability',
  'verify',
  'shiftTraffic',
  'checkBake',
  'complete',
  'rollback',
  'recordFailure',
];
/** The retry LambdaInvoke keeps by default (retryOnServiceExceptions). */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
];
/** Tasks before any change: a failure is recorded as a rejection. */
const REJECTING_TASKS = [S.initialize, S.validate];
/** Tasks from "Prepare task definition" onward: a failure rolls back. */
const ROLLING_BACK_TASKS = [S.prepare, S.deploy, S.checkStability, S.verify, S.shiftTraffic, S.checkBake, S.checkScaleDown, S.complete];
/** The phase each Task invokes. */
const TASK_PHASES: Record<string, PhaseName> = {
  [S.initialize]: 'initialize',
  [S.validate]: 'validate',
  [S.prepare]: 'prepare',
  [S.deploy]: 'deploy',
  [S.checkStability]: 'checkStability',
  [S.verify]: 'verify',
  [S.shiftTraffic]: 'shiftTraffic',
  [S.checkBake]: 'checkBake',
  [S.checkScaleDown]: 'checkBake',
  [S.complete]: 'complete',
  [S.rollback]: 'rollback',
  [S.recordRejection]: 'recordFailure',
  [S.recordRollbackFailure]: 'recordFailure',
};
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
/** Each service by its long ARN and by the short one it has if it was created before the long format. */
const WEB_SERVICE_ARNS = [
  `arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:service/prod/web-blue`,
  `arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:service/web-blue`,
  `arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:service/prod/web-green`,
  `arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:service/web-green`,
];
const MUTATING_ACTIONS = [
  'ecs:UpdateService',
  'ecs:RegisterTaskDefinition',
  'elasticloadbalancing:ModifyListener',
  'elasticloadbalancing:ModifyRule',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'iam:PassRole',
];
/** What CDK grants a state machine for vended log delivery; IAM only accepts "*" for these. */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

interface Grant {
  /** Logical ids of the roles the policy is attached to. */
  readonly roles: string[];
  readonly actions: string[];
  readonly resources: string[];
  readonly condition: unknown;
}

interface PolicyResource {
  readonly Properties: {
    readonly Roles: unknown[];
    readonly PolicyDocument: {
      readonly Statement: Array<{ Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown }>;
    };
  };
}

/** Every Allow statement of every AWS::IAM::Policy, resources resolved to `arn:${AWS::Partition}:...` strings. */
function grantsOf(synthesis: Synthesis): Grant[] {
  const policies = Object.values(synthesis.template.findResources('AWS::IAM::Policy')) as PolicyResource[];
  return policies.flatMap((policy) =>
    policy.Properties.PolicyDocument.Statement.filter((statement) => statement.Effect === 'Allow').map((statement) => ({
      roles: policy.Properties.Roles.map((role) => resolveToString(role).replace(/^\$\{(.*)\}$/, '$1')),
      actions: [statement.Action].flat(),
      resources: [statement.Resource].flat().map(resolveToString),
      condition: statement.Condition,
    })),
  );
}

/** IAM action patterns are case-insensitive and may hold wildcards ("ecs:*", "*"). */
function allows(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return regex.test(action);
}

function grantsFor(grants: Grant[], action: string): Grant[] {
  return grants.filter((grant) => grant.actions.some((pattern) => allows(pattern, action)));
}

/** Every state name a state can move to: Next, Default, the Choices' Next and the Catchers' Next. */
function successors(state: AslState, throughCatch = true): string[] {
  return [
    ...(state.Next ? [state.Next] : []),
    ...(state.Default ? [state.Default] : []),
    ...(state.Choices ?? []).map((choice) => choice.Next),
    ...(throughCatch ? (state.Catch ?? []).map((catcher) => catcher.Next) : []),
  ];
}

/** Every value of a "QueryLanguage" key anywhere in a JSON value. */
function queryLanguages(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(queryLanguages);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === 'QueryLanguage' ? [String(inner)] : queryLanguages(inner)));
}

/**
 * What a pack reports for a construct tree when no acknowledgement applies:
 * applyRule is where NagPack filters acknowledged findings, so this records
 * the raw result of each rule instead.
 */
function unfilteredFindings(pack: NagPack, params: IApplyRule): string[] {
  const ruleId = `${pack.readPackName}-${params.ruleSuffixOverride ?? params.rule.name}`;
  const at = ` at ${params.node.node.path}`;
  try {
    const result = params.rule(params.node);
    if (result === NagRuleCompliance.NON_COMPLIANT) return [ruleId + at];
    if (Array.isArray(result)) return result.map((finding) => `${ruleId}[${finding}]${at}`);
    return [];
  } catch {
    return [ruleId + at];
  }
}

class RecordingAwsSolutionsChecks extends AwsSolutionsChecks {
  readonly recorded: string[] = [];
  protected override applyRule(params: IApplyRule): void {
    this.recorded.push(...unfilteredFindings(this, params));
  }
}

class RecordingServerlessChecks extends ServerlessChecks {
  readonly recorded: string[] = [];
  protected override applyRule(params: IApplyRule): void {
    this.recorded.push(...unfilteredFindings(this, params));
  }
}

function recordAll(scope: IConstruct): string[] {
  const packs = [new RecordingAwsSolutionsChecks(), new RecordingServerlessChecks()];
  for (const pack of packs) pack.validateScope(scope);
  return packs.flatMap((pack) => pack.recorded);
}

describe('the Baton stack for the example config', () => {
  let synthesis: Synthesis;
  let definition: AslDefinition;
  let tasks: Array<[string, AslState]>;
  let grants: Grant[];
  let roleOf: (phase: PhaseName) => string;

  beforeAll(() => {
    synthesis = synth(exampleConfig());
    definition = stateMachineDefinition(synthesis.template);
    tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
    grants = grantsOf(synthesis);
    roleOf = (phase) => logicalIdOf(synthesis.stack, synthesis.stack.phases.roles[phase]);
  });

  function state(name: string): AslState {
    const found = definition.States[name];
    if (!found) throw new Error(`no state named "${name}"`);
    return found;
  }

  /** States reachable from `start` (included), optionally not following Catch edges and not going past `stopAt`. */
  function reachable(start: string, options: { throughCatch: boolean; stopAt?: string }): string[] {
    const seen = new Set<string>([start]);
    const queue = [start];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      if (name === options.stopAt) continue;
      for (const next of successors(state(name), options.throughCatch)) {
        if (!seen.has(next) && next !== options.stopAt) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return [...seen];
  }

  describe('state machine', () => {
    it('is exactly one Standard workflow', () => {
      synthesis.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      synthesis.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
    });

    it('logs every event without execution data to a /aws/vendedlogs/states/ log group named after this stack instance', () => {
      const logGroup = logicalIdOf(synthesis.stack, synthesis.stack.pipeline.logGroup);

      // The prefix keeps the account's CloudWatch Logs resource policy small; the UUID of the stack id
      // makes the name new whenever the stack is created again, so a retained group never collides.
      expect(synthesis.template.toJSON().Resources[logGroup].Properties.LogGroupName).toEqual({
        'Fn::Join': [
          '',
          ['/aws/vendedlogs/states/baton-production-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }],
        ],
      });
      synthesis.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroup, 'Arn'] } } }],
        },
      });
    });

    it('has X-Ray tracing enabled', () => {
      synthesis.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
    });

    it('invokes the function of its phase from each pipeline Task', () => {
      const functionArn = (phase: PhaseName) => `\${${logicalIdOf(synthesis.stack, synthesis.stack.phases.functions[phase])}.Arn}`;

      const invoked = Object.fromEntries(tasks.map(([name, task]) => [name, task.Resource]));

      expect(invoked).toMatchObject(Object.fromEntries(Object.entries(TASK_PHASES).map(([name, phase]) => [name, functionArn(phase)])));
    });

    it('gives every Task a TimeoutSeconds', () => {
      expect(tasks.filter(([, task]) => !(typeof task.TimeoutSeconds === 'number' && task.TimeoutSeconds > 0))).toEqual([]);
    });

    it('gives each pipeline Task the TimeoutSeconds of its phase', () => {
      const timeouts = Object.fromEntries(tasks.map(([name, task]) => [name, task.TimeoutSeconds]));

      // The phase's timeout (its function's) plus TASK_TIMEOUT_MARGIN_SECONDS (15).
      expect(timeouts).toMatchObject({
        [S.initialize]: 45,
        [S.validate]: 75,
        [S.prepare]: 75,
        [S.deploy]: 75,
        [S.checkStability]: 75,
        [S.verify]: 135,
        [S.shiftTraffic]: 75,
        [S.checkBake]: 75,
        [S.checkScaleDown]: 75,
        [S.complete]: 135,
        [S.rollback]: 135,
        [S.recordRejection]: 45,
        [S.recordRollbackFailure]: 45,
      });
    });

    it("gives every Lambda Task, in Map iterations too, a TimeoutSeconds at least 15 s over its function's Timeout", () => {
      const functions = synthesis.template.toJSON().Resources as Record<string, { Properties: { Timeout?: number } }>;
      const walk = (states: Record<string, AslState>): Array<[string, AslState]> =>
        Object.entries(states).flatMap(([name, s]) => [
          ...(s.Type === 'Task' ? ([[name, s]] as Array<[string, AslState]>) : []),
          ...(s.ItemProcessor ? walk(s.ItemProcessor.States) : []),
        ]);
      const all = walk(definition.States);
      const short = all.flatMap(([name, task]) => {
        const target = String(task.Parameters?.FunctionName ?? task.Resource);
        const id = /^\$\{([A-Za-z0-9]+)\.Arn\}$/.exec(target)?.[1];
        const timeout = id ? functions[id]?.Properties.Timeout : undefined;
        if (timeout === undefined) return [`${name}: no function found for ${target}`];
        return (task.TimeoutSeconds ?? 0) >= timeout + TASK_TIMEOUT_MARGIN_SECONDS
          ? []
          : [`${name}: TimeoutSeconds ${task.TimeoutSeconds} for a function Timeout of ${timeout}`];
      });

      expect(TASK_TIMEOUT_MARGIN_SECONDS).toBe(15);
      expect(all).toHaveLength(42);
      expect(short).toEqual([]);
    });

    it('retries every Task on Lambda throttling, transient AWS errors and Lambda service errors', () => {
      for (const [name, task] of tasks) {
        const retried = (task.Retry ?? []).filter((retrier) => (retrier.MaxAttempts ?? 3) > 0).flatMap((retrier) => retrier.ErrorEquals);
        expect(retried, name).toEqual(expect.arrayContaining([...TRANSIENT_ERRORS, ...LAMBDA_SERVICE_ERRORS]));
      }
    });

    it('retries Lambda throttling 6 times on every Task, whatever its phase retries (2 s doubling, at most 60 s, full jitter)', () => {
      for (const [name, task] of tasks) {
        const throttled = (task.Retry ?? []).filter((retrier) => retrier.ErrorEquals.includes('Lambda.TooManyRequestsException'));
        expect(throttled, name).toEqual([
          {
            ErrorEquals: ['Lambda.TooManyRequestsException'],
            IntervalSeconds: 2,
            MaxAttempts: 6,
            BackoffRate: 2,
            MaxDelaySeconds: 60,
            JitterStrategy: 'FULL',
          },
        ]);
      }
    });

    it('keeps States.ALL alone and last in every Retry and Catch list', () => {
      for (const [name, task] of tasks) {
        for (const list of [task.Retry ?? [], task.Catch ?? []]) {
          const position = list.findIndex((entry) => entry.ErrorEquals.includes('States.ALL'));
          if (position === -1) continue;
          expect(position, name).toBe(list.length - 1);
          expect(list[position]?.ErrorEquals, name).toEqual(['States.ALL']);
        }
      }
    });

    it.each(ROLLING_BACK_TASKS)('sends any failure of "%s" through "<state> failed" to the rollback with the error at $.error', (name) => {
      expect(state(name).Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name} failed` }]);
      expect(state(`${name} failed`)).toEqual({ Type: 'Pass', Result: name, ResultPath: '$.failedPhase', Next: S.rollback });
    });

    it.each(REJECTING_TASKS)('records any failure of "%s" as a rejection, noting the phase, with the error at $.error', (name) => {
      expect(state(name).Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name} failed` }]);
      expect(state(`${name} failed`)).toEqual({ Type: 'Pass', Result: name, ResultPath: '$.failedPhase', Next: S.recordRejection });
    });

    it('rolls back from every Task on the path from "Prepare task definition" to the end', () => {
      const onPath = reachable(S.prepare, { throughCatch: false }).filter((name) => state(name).Type === 'Task');

      expect(onPath).toEqual(expect.arrayContaining(ROLLING_BACK_TASKS));
      expect(
        onPath.filter((name) => !state(name).Catch?.some((c) => state(c.Next).Next === S.rollback && c.ErrorEquals.includes('States.ALL'))),
      ).toEqual([]);
    });

    it('records a rejection from every Task before "Prepare task definition"', () => {
      const beforePrepare = reachable(S.initialize, { throughCatch: false, stopAt: S.prepare }).filter(
        (name) => state(name).Type === 'Task',
      );

      expect(beforePrepare.sort()).toEqual([...REJECTING_TASKS].sort());
    });

    it('catches a failing rollback into "Record rollback failure", then retries the rollback after a 300 s Wait', () => {
      expect(state(S.rollback).Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.rollbackError', Next: S.recordRollbackFailure },
      ]);
      expect(state(S.recordRollbackFailure).Next).toBe(S.waitRetryRollback);
      expect(state(S.waitRetryRollback)).toEqual({ Type: 'Wait', Seconds: 300, Next: S.rollback });
    });

    it('does not retry a RollbackFailedError but retries any other rollback failure', () => {
      const retry = state(S.rollback).Retry ?? [];
      const noRetry = retry.findIndex((r) => r.ErrorEquals.includes('RollbackFailedError'));
      const anyError = retry.findIndex((r) => r.ErrorEquals.includes('States.ALL'));

      expect(retry[noRetry]).toEqual({ ErrorEquals: ['RollbackFailedError'], MaxAttempts: 0 });
      expect(noRetry).toBeLessThan(anyError);
      expect(retry[anyError]?.MaxAttempts).toBe(6);
    });

    it('reaches every state from StartAt through Next, Choices, Default and Catch', () => {
      expect(definition.StartAt).toBe(S.receive);
      expect(reachable(definition.StartAt, { throughCatch: true }).sort()).toEqual(Object.keys(definition.States).sort());
    });

    it('only moves to states that exist', () => {
      const targets = Object.values(definition.States).flatMap((s) => successors(s));

      expect(targets.filter((target) => !(target in definition.States))).toEqual([]);
    });

    it('ends every failure in a Fail state that reports the outcome through ErrorPath and CausePath', () => {
      const fails = Object.entries(definition.States).filter(([, s]) => s.Type === 'Fail');

      expect(Object.fromEntries(fails)).toEqual({
        [S.rejected]: { Type: 'Fail', ErrorPath: '$.outcome.error', CausePath: '$.outcome.cause' },
        [S.rolledBack]: { Type: 'Fail', ErrorPath: '$.outcome.error', CausePath: '$.outcome.cause' },
        [R.rejected]: { Type: 'Fail', ErrorPath: '$.outcome.error', CausePath: '$.outcome.cause' },
        [R.rolledBack]: { Type: 'Fail', ErrorPath: '$.outcome.error', CausePath: '$.outcome.cause' },
      });
    });

    it('takes the length of every Wait from $.wait.seconds, except the fixed pause between rollback attempts', () => {
      const waits = Object.entries(definition.States).filter(([, s]) => s.Type === 'Wait');

      expect(Object.fromEntries(waits.map(([name, wait]) => [name, { ...wait, Next: undefined }]))).toEqual({
        [S.waitStable]: { Type: 'Wait', SecondsPath: '$.wait.seconds' },
        [S.waitSmokeTest]: { Type: 'Wait', SecondsPath: '$.wait.seconds' },
        [S.waitStep]: { Type: 'Wait', SecondsPath: '$.wait.seconds' },
        [S.waitBake]: { Type: 'Wait', SecondsPath: '$.wait.seconds' },
        [S.waitScaleDown]: { Type: 'Wait', SecondsPath: '$.wait.seconds' },
        [S.waitRollback]: { Type: 'Wait', SecondsPath: '$.wait.seconds' },
        [S.waitRetryRollback]: { Type: 'Wait', Seconds: 300 },
        [R.waitTogether]: { Type: 'Wait', SecondsPath: '$.wait.seconds' },
      });
    });

    it('uses JSONPath only, never JSONata', () => {
      expect(queryLanguages(definition).filter((language) => language !== 'JSONPath')).toEqual([]);
    });
  });

  describe('phase functions', () => {
    it('has a Lambda function for each of the eleven pipeline phases', () => {
      const functions = synthesis.template.findResources('AWS::Lambda::Function');

      expect(PHASES).toHaveLength(11);
      expect(Object.keys(functions)).toEqual(
        expect.arrayContaining(PHASES.map((phase) => logicalIdOf(synthesis.stack, synthesis.stack.phases.functions[phase]))),
      );
    });

    it('runs every Lambda function of the stack on nodejs24.x, arm64, with active tracing', () => {
      const functions = Object.values(synthesis.template.findResources('AWS::Lambda::Function')) as Array<{ Properties: unknown }>;

      expect(functions.length).toBeGreaterThanOrEqual(11);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      }
    });

    it.each(PHASES)('runs %s on nodejs24.x, arm64, with active tracing and its own role', (phase) => {
      const id = logicalIdOf(synthesis.stack, synthesis.stack.phases.functions[phase]);

      expect(synthesis.template.toJSON().Resources[id].Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Role: { 'Fn::GetAtt': [roleOf(phase), 'Arn'] },
      });
    });
  });

  describe('IAM', () => {
    it('grants no mutating action on Resource "*"', () => {
      const onStar = grants.filter((grant) => grant.resources.includes('*'));
      const mutating = onStar.flatMap((grant) => MUTATING_ACTIONS.filter((action) => grant.actions.some((p) => allows(p, action))));

      expect(mutating).toEqual([]);
    });

    it('grants only read-only, X-Ray and log-delivery actions on Resource "*"', () => {
      const onStar = [...new Set(grants.filter((grant) => grant.resources.includes('*')).flatMap((grant) => grant.actions))];
      const readOnly = (action: string) =>
        /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$/.test(action) ||
        ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'].includes(action) ||
        LOG_DELIVERY_ACTIONS.includes(action);

      expect(onStar.filter((action) => !readOnly(action))).toEqual([]);
      expect(onStar.sort()).toEqual(
        [
          ...LOG_DELIVERY_ACTIONS,
          'cloudwatch:DescribeAlarms',
          // The smoke-test function in the example's VPC (pipeline.network): Lambda describes its network interfaces.
          'ec2:DescribeNetworkInterfaces',
          'ecs:DescribeTaskDefinition',
          'ecs:ListTasks',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetHealth',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
    });

    it('limits ecs:ListTasks on "*" to the configured cluster', () => {
      expect(grantsFor(grants, 'ecs:ListTasks').map((grant) => grant.condition)).toEqual([
        {
          ArnEquals: {
            'ecs:cluster': [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecs:${REGION}:${ACCOUNT}:cluster/prod`]] }],
          },
        },
      ]);
    });

    it('lets the phases that read alarms, and no other, call cloudwatch:DescribeAlarms on "*", as composite alarms need (evaluated as IAM would)', async () => {
      // Arrange
      const readers: PhaseName[] = ['validate', 'verify', 'shiftTraffic', 'checkBake', 'complete', 'shiftTogether'];
      const describeAlarms = (phase: PhaseName, resource: string) =>
        evaluate({
          principal: `arn:aws:iam::${ACCOUNT}:role/baton-${phase}`,
          action: 'cloudwatch:DescribeAlarms',
          resource,
          resourceAccount: ACCOUNT,
          identityPolicies: identityPoliciesOf(synthesis.template, roleOf(phase), deployedIn(ACCOUNT, REGION)),
        });

      // Act
      const describers = [...new Set(grantsFor(grants, 'cloudwatch:DescribeAlarms').flatMap((grant) => grant.roles))].sort();
      const decisions = [];
      for (const phase of readers) {
        decisions.push({
          phase,
          // A request on "*" is evaluated once per ARN pattern the policies name: only "*" itself may answer.
          everyAlarm: (await describeAlarms(phase, '*')).patterns,
          // An alarm the config does not name, such as a composite alarm's child.
          otherAlarm: (await describeAlarms(phase, `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:web-health-composite`)).result,
        });
      }

      // Assert
      expect(describers).toEqual(readers.map(roleOf).sort());
      expect(decisions).toEqual(readers.map((phase) => ({ phase, everyAlarm: [['*', 'Allowed']], otherAlarm: 'Allowed' })));
    });

    it('lets only prepare pass the two task roles, and only to ECS tasks', () => {
      const web = webService();

      expect(grantsFor(grants, 'iam:PassRole')).toEqual([
        {
          roles: [roleOf('prepare')],
          actions: ['iam:PassRole'],
          resources: [web.taskRoleArn, web.executionRoleArn],
          condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ]);
      expect([web.taskRoleArn, web.executionRoleArn]).toEqual([
        `arn:aws:iam::${ACCOUNT}:role/web-task`,
        `arn:aws:iam::${ACCOUNT}:role/web-task-execution`,
      ]);
    });

    it('lets deploy, complete and rollback update exactly the blue and green services', () => {
      const updates = grantsFor(grants, 'ecs:UpdateService');

      const sorted = [...WEB_SERVICE_ARNS].sort();
      expect(updates.map((grant) => [...grant.resources].sort())).toEqual([sorted, sorted, sorted]);
      expect(updates.flatMap((grant) => grant.roles).sort()).toEqual([roleOf('deploy'), roleOf('complete'), roleOf('rollback')].sort());
    });

    it('lets prepare register revisions of the configured task definition family only', () => {
      expect(grantsFor(grants, 'ecs:RegisterTaskDefinition').map((grant) => [grant.roles, grant.resources])).toEqual([
        [[roleOf('prepare')], [`arn:\${AWS::Partition}:ecs:${REGION}:${ACCOUNT}:task-definition/web:*`]],
      ]);
    });

    it('lets deploy, shift traffic, shift together and rollback modify the production and test listeners only', () => {
      const modifies = grantsFor(grants, 'elasticloadbalancing:ModifyListener');
      const listeners = [webService().productionListenerArn, webService().testListenerArn];

      expect(modifies.map((grant) => [...grant.resources].sort())).toEqual(
        [listeners, listeners, listeners, listeners].map((arns) => [...arns].sort()),
      );
      expect(modifies.flatMap((grant) => grant.roles).sort()).toEqual(
        [roleOf('deploy'), roleOf('shiftTraffic'), roleOf('shiftTogether'), roleOf('rollback')].sort(),
      );
      expect(listeners).toEqual([
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2',
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/0467ef3c8400ae65',
      ]);
    });

    it('grants no ModifyRule when the config names a listener rather than a listener rule', () => {
      expect(grantsFor(grants, 'elasticloadbalancing:ModifyRule')).toEqual([]);
    });

    it('lets only validate read the app-config secret, and only the phases that announce an outcome read the chat webhook secret', () => {
      const webhook = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:baton/chat-webhook-Hk7Qz1';
      expect(grantsFor(grants, 'secretsmanager:GetSecretValue').map((grant) => [grant.roles, grant.resources])).toEqual([
        [[roleOf('validate')], ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab']],
        [[roleOf('complete')], [webhook]],
        [[roleOf('rollback')], [webhook]],
        [[roleOf('recordFailure')], [webhook]],
        [[roleOf('recover')], [webhook]],
        [[roleOf('unwindRelease')], [webhook]],
        [[roleOf('finishRelease')], [webhook]],
        [[roleOf('backstop')], [webhook]],
      ]);
    });

    it('writes to the deployment table only', () => {
      const table = `\${${logicalIdOf(synthesis.stack, synthesis.stack.deployments.table)}.Arn}`;
      const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].flatMap((action) => grantsFor(grants, action));

      expect(writes.length).toBeGreaterThan(0);
      expect([...new Set(writes.flatMap((grant) => grant.resources))]).toEqual([table]);
    });
  });

  describe('deployment table', () => {
    it('is a single TableV2 keyed by pk and sk', () => {
      synthesis.template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
      synthesis.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      });
    });

    it('has point-in-time recovery enabled', () => {
      synthesis.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        Replicas: [{ Region: REGION, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
      });
    });

    it('expires items through the expiresAt attribute', () => {
      synthesis.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    });

    it('has the byService index', () => {
      synthesis.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byService',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      });
    });

    it('keeps its fixed name, is retained by a stack update or delete, and is deleted when the create that made it rolls back', () => {
      const tables = Object.values(synthesis.template.findResources('AWS::DynamoDB::GlobalTable')) as Array<{
        DeletionPolicy?: string;
        UpdateReplacePolicy?: string;
        Properties: { TableName: string };
      }>;

      expect(tables.map((t) => [t.Properties.TableName, t.DeletionPolicy, t.UpdateReplacePolicy])).toEqual([
        ['baton-production-deployments', 'RetainExceptOnCreate', 'Retain'],
      ]);
    });

    it('has no deletion protection, which would make the rollback of a failed first create fail on the table', () => {
      expect(JSON.stringify(synthesis.template.findResources('AWS::DynamoDB::GlobalTable'))).not.toContain('DeletionProtectionEnabled');
    });

    it('retains the execution log group the same way, and every other log group as before', () => {
      const logGroups = synthesis.template.findResources('AWS::Logs::LogGroup') as Record<
        string,
        { DeletionPolicy?: string; UpdateReplacePolicy?: string }
      >;
      const execution = logicalIdOf(synthesis.stack, synthesis.stack.pipeline.logGroup);
      const events = logicalIdOf(synthesis.stack, synthesis.stack.events.logGroup);
      const policies = Object.fromEntries(
        Object.entries(logGroups).map(([id, group]) => [
          id === execution ? 'execution' : id === events ? 'events' : 'phase',
          `${group.DeletionPolicy}/${group.UpdateReplacePolicy}`,
        ]),
      );

      expect(Object.keys(logGroups)).toHaveLength(22);
      expect(policies).toEqual({ execution: 'RetainExceptOnCreate/Retain', events: 'RetainExceptOnCreate/Retain', phase: 'Retain/Retain' });
    });
  });

  describe('cdk-nag', () => {
    it('reports no unacknowledged finding from the AwsSolutions and Serverless packs', () => {
      expect(synthesis.findings).toEqual([]);
    });

    it('gives every acknowledgement a reason of at least ten words', () => {
      expect(synthesis.acknowledgements.length).toBeGreaterThan(0);
      const weak = synthesis.acknowledgements.filter(
        (ack) => ack.reason.trim().split(/\s+/).length < 10 || ack.reason.length < 60 || ack.reason.includes(ack.id),
      );

      expect(weak).toEqual([]);
    });

    it('acknowledges only findings the packs still report on that construct', () => {
      const raw = recordAll(synthesis.stack);
      const stale = synthesis.acknowledgements.filter(
        (ack) => !raw.some((finding) => finding.startsWith(`${ack.id} at ${ack.path}/`) || finding === `${ack.id} at ${ack.path}`),
      );

      expect(stale).toEqual([]);
    });
  });
});

describe('the cdk-nag check', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    synthesis = synth(exampleConfig(), {
      modify: (stack) => {
        const role = new Role(stack, 'UnacknowledgedWildcard', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
        role.addToPolicy(new PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
      },
    });
  });

  it('reports an unacknowledged wildcard grant added to the same stack', () => {
    expect(synthesis.findings.sort()).toEqual([
      'AwsSolutions-IAM5[Action::s3:*] at BatonProduction/UnacknowledgedWildcard/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] at BatonProduction/UnacknowledgedWildcard/DefaultPolicy/Resource',
    ]);
  });
});
