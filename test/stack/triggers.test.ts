/**
 * What starts an execution besides a person: the ECR push rules (one per
 * service) and the backstop rule on executions that end badly, plus the
 * states those starts lead to (manual approval, recovery) and the table the
 * CLI finds by name. One synthesis (without bundling) per config.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../lambdas/shared/config-schema.ts';
import { DeploymentRequestSchema } from '../../lambdas/shared/contract.ts';
import { RELEASE_STATE_NAMES, STATE_NAMES } from '../../lib/constructs/state-names.ts';
import { copyWithOwnResources, exampleConfig, rawExampleConfig } from '../fixtures/config.ts';
import { deployedIn, evaluate, resolveIntrinsics } from '../fixtures/iam.ts';
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
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
  readonly Principal?: unknown;
}

interface RuleTarget {
  readonly Arn: unknown;
  readonly Id: string;
  readonly RoleArn?: unknown;
  readonly RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  readonly DeadLetterConfig?: { Arn: unknown };
  readonly InputTransformer?: { InputPathsMap: Record<string, string>; InputTemplate: string };
}

interface RuleResource {
  readonly Properties: {
    /** Absent on a schedule rule. */
    readonly EventPattern?: { source: string[]; 'detail-type': string[]; detail: Record<string, unknown> };
    readonly ScheduleExpression?: string;
    readonly State?: string;
    readonly Targets: RuleTarget[];
  };
}

/** A Choice state as the definition has it (synth.ts types only the Next of a choice). */
interface ChoiceRule {
  readonly Variable: string;
  readonly BooleanEquals?: boolean;
  readonly IsPresent?: boolean;
  readonly Next: string;
}

/** The example config with a second service, "web-canary", fed by the same "web" repository. */
function twoServicesOnOneRepository(): Record<string, unknown> {
  const raw = rawExampleConfig();
  const services = raw.services as Array<Record<string, unknown>>;
  const web = services[0] as Record<string, unknown>;
  const canary: Record<string, unknown> = {
    ...copyWithOwnResources(web, 'web-canary'),
    ecr: { repositoryName: 'web', tagPatterns: ['canary-*', 'v1.4.2'] },
  };
  return { ...raw, services: [web, canary] };
}

function withApprovalTimeout(seconds: number): Record<string, unknown> {
  const raw = rawExampleConfig();
  return { ...raw, pipeline: { ...(raw.pipeline as Record<string, unknown>), approvalTimeoutSeconds: seconds } };
}

function resourcesOf<T>(synthesis: Synthesis, type: string): Record<string, T> {
  return synthesis.template.findResources(type) as Record<string, T>;
}

function resource<T>(synthesis: Synthesis, logicalId: string): T {
  const found = (synthesis.template.toJSON().Resources as Record<string, T | undefined>)[logicalId];
  if (!found) throw new Error(`no resource ${logicalId}`);
  return found;
}

function ecrRules(synthesis: Synthesis): Array<[string, RuleResource]> {
  return Object.entries(resourcesOf<RuleResource>(synthesis, 'AWS::Events::Rule')).filter(([, rule]) =>
    rule.Properties.EventPattern?.source.includes('aws.ecr'),
  );
}

function onlyTarget(rule: RuleResource): RuleTarget {
  expect(rule.Properties.Targets).toHaveLength(1);
  const [target] = rule.Properties.Targets;
  if (!target) throw new Error('rule has no target');
  return target;
}

/** The statements of the queue policies attached to a queue. */
function queuePolicyStatements(synthesis: Synthesis, queueId: string): Statement[] {
  const policies = resourcesOf<{ Properties: { Queues: unknown[]; PolicyDocument: { Statement: Statement[] } } }>(
    synthesis,
    'AWS::SQS::QueuePolicy',
  );
  return Object.values(policies)
    .filter((policy) => policy.Properties.Queues.some((queue) => JSON.stringify(queue) === JSON.stringify({ Ref: queueId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** Allow statements of the IAM policies attached to a role. */
function allowStatementsOf(synthesis: Synthesis, roleId: string): Statement[] {
  const policies = resourcesOf<{ Properties: { Roles: unknown[]; PolicyDocument: { Statement: Statement[] } } }>(
    synthesis,
    'AWS::IAM::Policy',
  );
  return Object.values(policies)
    .filter((policy) => policy.Properties.Roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter((statement) => statement.Effect === 'Allow');
}

/**
 * The input EventBridge builds from an InputTemplate: a placeholder inside a
 * JSON string is replaced by the raw value, one outside a string by the value
 * as JSON.
 */
function renderInputTemplate(template: string, values: Record<string, string>): unknown {
  let rendered = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if (char === '"' && template[i - 1] !== '\\') inString = !inString;
    const placeholder = char === '<' ? /^<([A-Za-z0-9._-]+)>/.exec(template.slice(i)) : null;
    if (placeholder?.[1] !== undefined) {
      const value = values[placeholder[1]];
      if (value === undefined) throw new Error(`no value for placeholder <${placeholder[1]}>`);
      rendered += inString ? value : JSON.stringify(value);
      i += placeholder[0].length - 1;
    } else {
      rendered += char;
    }
  }
  return JSON.parse(rendered);
}

function stateOf(definition: AslDefinition, name: string): AslState {
  const found = definition.States[name];
  if (!found) throw new Error(`no state named "${name}"`);
  return found;
}

function choicesOf(state: AslState): ChoiceRule[] {
  return (state.Choices ?? []) as ChoiceRule[];
}

const DIGEST = 'sha256:2b41c8a0f2e6d7c95e3a1b4f6d8e0c2a4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f73';

describe('triggers of the Baton stack for the example config', () => {
  let synthesis: Synthesis;
  let definition: AslDefinition;
  let stateMachineId: string;

  beforeAll(() => {
    synthesis = synth(exampleConfig());
    definition = stateMachineDefinition(synthesis.template);
    stateMachineId = logicalIdOf(synthesis.stack, synthesis.stack.pipeline.stateMachine);
  });

  describe('ECR push rule', () => {
    it('is exactly one rule on aws.ecr, matching successful pushes to "web" tagged v*', () => {
      // Act
      const rules = ecrRules(synthesis);

      // Assert
      expect(rules).toHaveLength(1);
      expect(rules[0]?.[1].Properties.EventPattern).toEqual({
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'repository-name': ['web'],
          'image-tag': [{ wildcard: 'v*' }],
        },
      });
    });

    it('targets the state machine through the events role, with 8 retries over at most 2 hours', () => {
      // Arrange
      const [[, rule] = []] = ecrRules(synthesis);
      if (!rule) throw new Error('no ECR rule');

      // Act
      const target = onlyTarget(rule);

      // Assert
      expect(target.Arn).toEqual({ Ref: stateMachineId });
      expect(target.RoleArn).toBeDefined();
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 });
    });

    it('lets EventBridge assume the events role only for rules of this account (aws:SourceAccount, aws:SourceArn)', async () => {
      // Arrange
      const [[, rule] = []] = ecrRules(synthesis);
      if (!rule) throw new Error('no ECR rule');
      const roleId = (onlyTarget(rule).RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const trust = resolveIntrinsics(
        resource<{ Properties: { AssumeRolePolicyDocument: unknown } }>(synthesis, roleId).Properties.AssumeRolePolicyDocument,
        deployedIn(ACCOUNT, REGION),
      );
      const assume = (account: string) =>
        evaluate({
          principal: 'events.amazonaws.com',
          action: 'sts:AssumeRole',
          resource: `arn:aws:iam::${ACCOUNT}:role/events-role`,
          resourceAccount: ACCOUNT,
          context: { 'aws:SourceAccount': account, 'aws:SourceArn': `arn:aws:events:${REGION}:${account}:rule/web-push` },
          resourcePolicy: trust,
        });

      // Act
      const decisions = [(await assume(ACCOUNT)).result, (await assume('210987654321')).result];

      // Assert
      expect(decisions).toEqual(['Allowed', 'ImplicitlyDenied']);
    });

    it('sends undeliverable events to an encrypted dead-letter queue that refuses plain HTTP', () => {
      // Arrange
      const [[ruleId, rule] = []] = ecrRules(synthesis);
      if (!rule || !ruleId) throw new Error('no ECR rule');
      const queueId = logicalIdOf(synthesis.stack, synthesis.stack.ecrTrigger.deadLetterQueue);

      // Act
      const target = onlyTarget(rule);
      const statements = queuePolicyStatements(synthesis, queueId);

      // Assert
      expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
      expect(resource<{ Type: string; Properties: Record<string, unknown> }>(synthesis, queueId)).toMatchObject({
        Type: 'AWS::SQS::Queue',
        Properties: { SqsManagedSseEnabled: true },
      });
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
        }),
      );
    });

    it('starts the execution with the pushed digest and tag, trigger "ecr" and the event id as reason', () => {
      // Arrange
      const [[, rule] = []] = ecrRules(synthesis);
      if (!rule) throw new Error('no ECR rule');
      const transformer = onlyTarget(rule).InputTransformer;
      if (!transformer) throw new Error('the ECR rule target has no InputTransformer');

      // Act
      const input = renderInputTemplate(transformer.InputTemplate, {
        'detail-image-digest': DIGEST,
        'detail-image-tag': 'v1.4.2',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
      });

      // Assert
      expect(transformer.InputPathsMap).toEqual({
        'detail-image-digest': '$.detail.image-digest',
        'detail-image-tag': '$.detail.image-tag',
        id: '$.id',
      });
      expect(input).toEqual({
        service: 'web',
        imageDigest: DIGEST,
        pushedTag: 'v1.4.2',
        trigger: 'ecr',
        reason: 'ECR push event 7bf73129-1428-4cd3-a780-95db273d1602',
      });
      expect(DeploymentRequestSchema.safeParse(input).success).toBe(true);
    });
  });

  describe('backstop rule', () => {
    let ruleId: string;
    let rule: RuleResource;
    let backstopFunctionId: string;

    beforeAll(() => {
      ruleId = logicalIdOf(synthesis.stack, synthesis.stack.backstop.rule);
      rule = resource<RuleResource>(synthesis, ruleId);
      backstopFunctionId = logicalIdOf(synthesis.stack, synthesis.stack.phases.functions.backstop);
    });

    it('matches the pipeline executions that end SUCCEEDED (to start a queued image), ABORTED, TIMED_OUT or FAILED', () => {
      // Act
      const pattern = rule.Properties.EventPattern;

      // Assert
      expect(pattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['SUCCEEDED', 'ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [{ Ref: stateMachineId }] },
      });
    });

    it('invokes the backstop function with retries and an encrypted dead-letter queue that refuses plain HTTP', () => {
      // Arrange
      const queueId = logicalIdOf(synthesis.stack, synthesis.stack.backstop.deadLetterQueue);

      // Act
      const target = onlyTarget(rule);

      // Assert
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [backstopFunctionId, 'Arn'] });
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 });
      expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
      expect(resource<{ Properties: Record<string, unknown> }>(synthesis, queueId).Properties.SqsManagedSseEnabled).toBe(true);
      expect(queuePolicyStatements(synthesis, queueId)).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });

    it('lets EventBridge invoke the backstop function from this rule and the sweep schedule only', () => {
      // Arrange
      const sweepId = logicalIdOf(synthesis.stack, synthesis.stack.backstop.sweepRule);

      // Act
      const permissions = Object.values(
        resourcesOf<{ Properties: { FunctionName: unknown; Principal: string; SourceArn?: unknown } }>(
          synthesis,
          'AWS::Lambda::Permission',
        ),
      ).filter((permission) => JSON.stringify(permission.Properties.FunctionName).includes(backstopFunctionId));

      // Assert
      expect(permissions.map((permission) => permission.Properties)).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [backstopFunctionId, 'Arn'] },
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
        },
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [backstopFunctionId, 'Arn'] },
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [sweepId, 'Arn'] },
        },
      ]);
    });

    it('sweeps every 10 minutes by default: a rate schedule invoking the backstop function, retried only while the next sweep is not due', () => {
      // Arrange
      const sweepId = logicalIdOf(synthesis.stack, synthesis.stack.backstop.sweepRule);
      const queueId = logicalIdOf(synthesis.stack, synthesis.stack.backstop.deadLetterQueue);

      // Act
      const sweep = resource<RuleResource>(synthesis, sweepId);

      // Assert
      expect(sweep.Properties.ScheduleExpression).toBe('rate(10 minutes)');
      expect(sweep.Properties.EventPattern).toBeUndefined();
      expect(sweep.Properties.State).toBe('ENABLED');
      const target = onlyTarget(sweep);
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [backstopFunctionId, 'Arn'] });
      // No Input: the function receives EventBridge's own "Scheduled Event" (lambdas/backstop/sweep.ts parses it).
      expect(target).not.toHaveProperty('Input');
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 });
      expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    });

    it('sweeps at the interval pipeline.backstopSweepMinutes gives', () => {
      // Arrange
      const raw = rawExampleConfig();
      const config = BatonConfigSchema.parse({ ...raw, pipeline: { ...(raw.pipeline as object), backstopSweepMinutes: 1 } });

      // Act
      const one = synth(config);
      const sweep = resource<RuleResource>(one, logicalIdOf(one.stack, one.stack.backstop.sweepRule));

      // Assert
      expect(sweep.Properties.ScheduleExpression).toBe('rate(1 minute)');
      expect(onlyTarget(sweep).RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 });
    });

    it("lets the backstop function's role start executions of the pipeline's state machine and read its executions, nothing else", () => {
      // Arrange
      const roleId = logicalIdOf(synthesis.stack, synthesis.stack.phases.roles.backstop);

      // Act
      const statesStatements = allowStatementsOf(synthesis, roleId).filter((statement) =>
        [statement.Action].flat().some((action) => action.toLowerCase().startsWith('states:') || action === '*'),
      );

      // Assert
      expect(statesStatements).toEqual([
        {
          Effect: 'Allow',
          Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:eu-west-1:123456789012:execution:baton-production:*']],
          },
        },
        { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachineId } },
      ]);
    });

    it('gives the backstop function its own dead-letter queue', () => {
      // Arrange
      const ruleQueueId = logicalIdOf(synthesis.stack, synthesis.stack.backstop.deadLetterQueue);

      // Act
      const deadLetterConfig = resource<{ Properties: { DeadLetterConfig?: { TargetArn: { 'Fn::GetAtt': [string, string] } } } }>(
        synthesis,
        backstopFunctionId,
      ).Properties.DeadLetterConfig;

      // Assert
      expect(deadLetterConfig).toBeDefined();
      const [queueId] = deadLetterConfig?.TargetArn['Fn::GetAtt'] ?? [];
      expect(queueId).not.toBe(ruleQueueId);
      expect(resource<{ Type: string }>(synthesis, queueId ?? '').Type).toBe('AWS::SQS::Queue');
    });
  });

  describe('manual approval', () => {
    it('waits for a task token for the approval window, then rolls back', () => {
      // Act
      const wait = stateOf(definition, S.waitForApproval) as AslState & {
        HeartbeatSeconds?: number;
        ResultPath?: string;
        Parameters?: { Payload?: Record<string, string> };
      };

      // Assert
      expect(wait.Type).toBe('Task');
      expect(wait.Resource?.endsWith('lambda:invoke.waitForTaskToken')).toBe(true);
      expect(wait.HeartbeatSeconds).toBe(3600);
      expect(wait.TimeoutSeconds).toBe(3900);
      expect(wait.Parameters?.Payload).toEqual({ 'taskToken.$': '$$.Task.Token', 'state.$': '$' });
      expect(wait.ResultPath).toBe('$.approvalResult');
      expect(wait.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Wait for approval failed' }]);
      expect(wait.Next).toBe(S.shiftTraffic);
    });

    it('is asked for after the smoke test passed when $.approval.required is true, else traffic shifts', () => {
      // Act
      const passed = stateOf(definition, S.isSmokeTestPassed);
      const isRequired = stateOf(definition, S.isApprovalRequired);

      // Assert
      expect(choicesOf(passed)).toEqual([{ Variable: '$.smoke.passed', BooleanEquals: true, Next: S.isApprovalRequired }]);
      expect(isRequired.Type).toBe('Choice');
      expect(choicesOf(isRequired)).toEqual([{ Variable: '$.approval.required', BooleanEquals: true, Next: S.waitForApproval }]);
      expect(isRequired.Default).toBe(S.shiftTraffic);
    });
  });

  describe('smoke test', () => {
    it('runs the HTTP checks after verify, their result at $.smoke, and records them next', () => {
      // Act
      const verify = stateOf(definition, S.verify);
      const smoke = stateOf(definition, S.smokeTest) as AslState & { ResultPath?: string };

      // Assert
      expect(verify.Next).toBe(S.smokeTest);
      expect(smoke.ResultPath).toBe('$.smoke');
      expect(smoke.Next).toBe(S.recordSmokeTest);
      // Retried on transient errors only: a failed check is an attempt, which record-smoke-test counts.
      expect((smoke.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals)).not.toContain('SmokeTestFailedError');
    });

    it('records each attempt with pipeline.smokeTestAttempts, then goes on when it passed, else waits and tries again', () => {
      // Act
      const record = stateOf(definition, S.recordSmokeTest);
      const passed = stateOf(definition, S.isSmokeTestPassed);
      const wait = stateOf(definition, S.waitSmokeTest);

      // Assert
      expect(record.Parameters).toEqual({ 'state.$': '$', attempts: 3 });
      expect(record.Next).toBe(S.isSmokeTestPassed);
      expect(passed.Type).toBe('Choice');
      expect(passed.Default).toBe(S.waitSmokeTest);
      expect(wait).toEqual({ Type: 'Wait', SecondsPath: '$.wait.seconds', Next: S.smokeTest });
    });

    it('reports a failure of either function as a failure of the smoke test, on the way to the rollback', () => {
      // Act
      const catches = [S.smokeTest, S.recordSmokeTest].map((name) => stateOf(definition, name).Catch);

      // Assert
      expect(catches).toEqual([
        [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${S.smokeTest} failed` }],
        [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${S.smokeTest} failed` }],
      ]);
      expect(stateOf(definition, `${S.smokeTest} failed`)).toEqual({
        Type: 'Pass',
        Result: S.smokeTest,
        ResultPath: '$.failedPhase',
        Next: S.rollback,
      });
    });
  });

  describe('recovery', () => {
    it('branches after "Receive request" to the recovery of a deployment or of a release, then to a release or a deployment', () => {
      // Act
      const receive = stateOf(definition, S.receive);
      const isRecovery = stateOf(definition, S.isRecovery);

      // Assert
      expect(definition.StartAt).toBe(S.receive);
      expect(receive.Next).toBe(S.isRecovery);
      expect(isRecovery.Type).toBe('Choice');
      expect(choicesOf(isRecovery)).toEqual([
        { Variable: '$.request.recover', IsPresent: true, Next: S.recover },
        { Variable: '$.request.recoverRelease', IsPresent: true, Next: RELEASE_STATE_NAMES.unwind },
      ]);
      expect(isRecovery.Default).toBe(S.isRelease);
      expect(choicesOf(stateOf(definition, S.isRelease))).toEqual([
        { Variable: '$.request.release', IsPresent: true, Next: RELEASE_STATE_NAMES.planRelease },
      ]);
      expect(stateOf(definition, S.isRelease).Default).toBe(S.initialize);
    });

    it('rolls back after loading the deployment, unless there is nothing to roll back', () => {
      // Act
      const recover = stateOf(definition, S.recover);
      const anything = stateOf(definition, S.anythingToRecover);

      // Assert
      expect(recover.Type).toBe('Task');
      expect(recover.Next).toBe(S.anythingToRecover);
      expect(anything.Type).toBe('Choice');
      expect(choicesOf(anything)).toEqual([{ Variable: '$.nothingToRecover', BooleanEquals: true, Next: S.nothingToRecover }]);
      expect(anything.Default).toBe(S.rollback);
      expect(stateOf(definition, S.nothingToRecover).Type).toBe('Succeed');
    });
  });

  describe('deployment table', () => {
    it('is named baton-production-deployments, the name the CLI derives from the config', () => {
      // Arrange
      const tableId = logicalIdOf(synthesis.stack, synthesis.stack.deployments.table);

      // Act
      const table = resource<{ Type: string; Properties: { TableName: string } }>(synthesis, tableId);

      // Assert
      expect(table.Type).toBe('AWS::DynamoDB::GlobalTable');
      expect(table.Properties.TableName).toBe('baton-production-deployments');
    });
  });
});

describe('ECR push rules for two services fed by one repository', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    synthesis = synth(BatonConfigSchema.parse(twoServicesOnOneRepository()));
  });

  it('has one rule per service, each starting the state machine with its own service name', () => {
    // Arrange
    const rules = synthesis.stack.ecrTrigger.rules;

    // Act
    const inputs = Object.fromEntries(
      Object.entries(rules).map(([service, rule]) => {
        const target = onlyTarget(resource<RuleResource>(synthesis, logicalIdOf(synthesis.stack, rule)));
        const input = renderInputTemplate(target.InputTransformer?.InputTemplate ?? '', {
          'detail-image-digest': DIGEST,
          'detail-image-tag': 'canary-7',
          id: 'event-1',
        }) as { service: string };
        return [service, input.service];
      }),
    );

    // Assert
    expect(ecrRules(synthesis)).toHaveLength(2);
    expect(inputs).toEqual({ web: 'web', 'web-canary': 'web-canary' });
  });

  it('filters the second rule on the canary-* wildcard and the exact tag v1.4.2', () => {
    // Arrange
    const rule = synthesis.stack.ecrTrigger.rules['web-canary'];
    if (!rule) throw new Error('no rule for web-canary');
    const ruleId = logicalIdOf(synthesis.stack, rule);

    // Act
    const pattern = resource<RuleResource>(synthesis, ruleId).Properties.EventPattern;

    // Assert
    expect(pattern?.detail).toEqual({
      'action-type': ['PUSH'],
      result: ['SUCCESS'],
      'repository-name': ['web'],
      'image-tag': [{ wildcard: 'canary-*' }, 'v1.4.2'],
    });
  });
});

describe('the approval window of a config with pipeline.approvalTimeoutSeconds 600', () => {
  let definition: AslDefinition;

  beforeAll(() => {
    definition = stateMachineDefinition(synth(BatonConfigSchema.parse(withApprovalTimeout(600))).template);
  });

  it('is the heartbeat of "Wait for approval", with 300 s more as its timeout', () => {
    // Act
    const wait = stateOf(definition, S.waitForApproval) as AslState & { HeartbeatSeconds?: number };

    // Assert
    expect(wait.HeartbeatSeconds).toBe(600);
    expect(wait.TimeoutSeconds).toBe(900);
  });
});

describe('onNewerImage and the initialize role', () => {
  /** The states:StopExecution statements of the initialize function's role, for a config. */
  function stopStatements(onNewerImage: 'queue' | 'supersede'): Statement[] {
    const raw = exampleConfig();
    for (const service of raw.services) service.onNewerImage = onNewerImage;
    const synthesis = synth(raw);
    const roleId = logicalIdOf(synthesis.stack, synthesis.stack.phases.roles.initialize);
    return allowStatementsOf(synthesis, roleId).filter((statement) => [statement.Action].flat().includes('states:StopExecution'));
  }

  it('grants no states:StopExecution while every service queues a newer image', () => {
    // Act / Assert
    expect(stopStatements('queue')).toEqual([]);
  });

  it('grants states:StopExecution on executions of this state machine only when a service supersedes', () => {
    // Act
    const statements = stopStatements('supersede');

    // Assert
    expect(statements.map((statement) => ({ Action: statement.Action, Resource: resolveToString(statement.Resource) }))).toEqual([
      {
        // CDK merges it with inspectLockHolder's DescribeExecution on the same resource.
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Resource: ['arn:', '${AWS::Partition}', ':states:eu-west-1:123456789012:execution:baton-production:*'].join(''),
      },
    ]);
  });
});
