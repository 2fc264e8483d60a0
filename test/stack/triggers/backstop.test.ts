/**
 * The backstop of the synthesized stack for the example config: the rule on
 * executions that end, the sweep schedule, what its function may do, its
 * dead-letter queues, and the recovery branch of the state machine that its
 * executions take. One synthesis (without bundling), and one for another
 * sweep interval.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_STATE_NAMES, STATE_NAMES } from '../../../lib/constructs/state-names.ts';
import { choicesOf, stateOf } from '../../support/definition.ts';
import { exampleWithPipeline, synthExample } from '../../support/example.ts';
import { type AslDefinition, logicalIdOf, type Synthesis, stateMachineDefinition, synth } from '../../support/synth.ts';
import {
  allowStatementsOf,
  onlyTarget,
  queuePolicyStatements,
  type RuleResource,
  resourceOf,
  resourcesOf,
  roleOf,
} from '../../support/template.ts';

const S = STATE_NAMES;

describe('triggers of the Baton stack for the example config', () => {
  let synthesis: Synthesis;
  let definition: AslDefinition;
  let stateMachineId: string;

  beforeAll(() => {
    ({ synthesis, stateMachine: stateMachineId } = synthExample());
    definition = stateMachineDefinition(synthesis.template);
  });

  describe('backstop rule', () => {
    let ruleId: string;
    let rule: RuleResource;
    let backstopFunctionId: string;

    beforeAll(() => {
      ruleId = logicalIdOf(synthesis.stack, synthesis.stack.backstop.rule);
      rule = resourceOf<RuleResource>(synthesis, ruleId);
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
      expect(resourceOf<{ Properties: Record<string, unknown> }>(synthesis, queueId).Properties.SqsManagedSseEnabled).toBe(true);
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
      const sweep = resourceOf<RuleResource>(synthesis, sweepId);

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
      const config = exampleWithPipeline({ backstopSweepMinutes: 1 });

      // Act
      const one = synth(config);
      const sweep = resourceOf<RuleResource>(one, logicalIdOf(one.stack, one.stack.backstop.sweepRule));

      // Assert
      expect(sweep.Properties.ScheduleExpression).toBe('rate(1 minute)');
      expect(onlyTarget(sweep).RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 });
    });

    it("lets the backstop function's role start executions of the pipeline's state machine and read its executions, nothing else", () => {
      // Arrange
      const roleId = roleOf(synthesis, 'backstop');

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
      const deadLetterConfig = resourceOf<{ Properties: { DeadLetterConfig?: { TargetArn: { 'Fn::GetAtt': [string, string] } } } }>(
        synthesis,
        backstopFunctionId,
      ).Properties.DeadLetterConfig;

      // Assert
      expect(deadLetterConfig).toBeDefined();
      const [queueId] = deadLetterConfig?.TargetArn['Fn::GetAtt'] ?? [];
      expect(queueId).not.toBe(ruleQueueId);
      expect(resourceOf<{ Type: string }>(synthesis, queueId ?? '').Type).toBe('AWS::SQS::Queue');
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
});
