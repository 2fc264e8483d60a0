/**
 * The alarms of the synthesized stack for the example config: what each
 * watches, and that each may notify the outcomes topic (and use its key) as
 * IAM evaluates the topic and key policies, while other accounts' alarms may
 * not. One synthesis (without bundling).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PhaseName } from '../../../lib/constructs/phases.ts';
import { ACCOUNT, NOTIFYING_PHASES, REGION, synthExample } from '../../support/example.ts';
import { deployedIn, evaluate, identityPoliciesOf, resolveIntrinsics } from '../../support/iam.ts';
import { logicalIdOf, type Synthesis } from '../../support/synth.ts';
import { roleOf } from '../../support/template.ts';

describe('observability of the stack for the example config', () => {
  let synthesis: Synthesis;
  let topic: string;
  let key: string;
  let stateMachine: string;

  beforeAll(() => {
    ({ synthesis, topic, key, stateMachine } = synthExample());
  });

  describe('alarms', () => {
    const COMMON = {
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Period: 300,
      Statistic: 'Sum',
    };

    it('are exactly eight for one service, each publishing to the topic and nothing else', () => {
      // Arrange: the dead-letter alarms take the Maximum, the others the Sum.
      const { Statistic: _, ...common } = COMMON;

      // Act
      const alarms = Object.values(synthesis.template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: unknown }>;

      // Assert
      expect(alarms).toHaveLength(8);
      for (const alarm of alarms) {
        expect(alarm.Properties).toMatchObject({ ...common, AlarmActions: [{ Ref: topic }] });
        expect(alarm.Properties).not.toHaveProperty('OKActions');
        expect(alarm.Properties).not.toHaveProperty('InsufficientDataActions');
      }
    });

    it('alarms on ReleaseRollbackFailed of multi-service releases', () => {
      // Assert
      synthesis.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...COMMON,
        AlarmName: 'BatonProduction-ReleaseRollbackFailed',
        Namespace: 'Baton',
        MetricName: 'ReleaseRollbackFailed',
        Dimensions: [{ Name: 'service', Value: 'release' }],
        AlarmActions: [{ Ref: topic }],
      });
    });

    it.each(['ExecutionsTimedOut', 'ExecutionsAborted'])('alarms on AWS/States %s of the state machine', (metric) => {
      // Assert
      synthesis.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...COMMON,
        AlarmName: `BatonProduction-${metric}`,
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: stateMachine } }],
        AlarmActions: [{ Ref: topic }],
      });
    });

    it('alarms on executions that failed without an outcome, not on every failed execution (issue 16, item 9)', () => {
      // Act
      const alarms = Object.values(synthesis.template.findResources('AWS::CloudWatch::Alarm')) as Array<{
        Properties: { Namespace: string; MetricName: string };
      }>;

      // Assert: a rejection or a rollback ends in a Fail state with its own outcome message, and no alarm.
      expect(alarms.map((alarm) => `${alarm.Properties.Namespace} ${alarm.Properties.MetricName}`)).not.toContain(
        'AWS/States ExecutionsFailed',
      );
      synthesis.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...COMMON,
        AlarmName: 'BatonProduction-ExecutionsFailedWithoutOutcome',
        AlarmDescription: Match.stringLikeRegexp('^A Baton execution failed without recording its outcome'),
        Namespace: 'Baton',
        MetricName: 'ExecutionFailedWithoutOutcome',
        Dimensions: [{ Name: 'service', Value: 'pipeline' }],
        AlarmActions: [{ Ref: topic }],
      });
    });

    it.each([
      ['EcrPushDeadLetters', 'ecrTrigger', 'An ECR push did not start its deployment'],
      ['BackstopDeadLetters', 'backstop', 'An execution-ended event or a sweep did not reach the backstop function'],
    ] as const)('alarms on %s: any message visible in the dead-letter queue of the %s (issue 16, item 8)', (name, owner, says) => {
      // Arrange
      const queue = logicalIdOf(synthesis.stack, synthesis.stack[owner].deadLetterQueue);

      // Assert
      synthesis.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...COMMON,
        Statistic: 'Maximum',
        AlarmName: `BatonProduction-${name}`,
        AlarmDescription: Match.stringLikeRegexp(`^${says}`),
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        AlarmActions: [{ Ref: topic }],
      });
    });

    it('alarms on Baton DeploymentRollbackFailed of the web service', () => {
      // Assert
      synthesis.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...COMMON,
        AlarmName: 'BatonProduction-RollbackFailed0',
        Namespace: 'Baton',
        MetricName: 'DeploymentRollbackFailed',
        Dimensions: [{ Name: 'service', Value: 'web' }],
        AlarmActions: [{ Ref: topic }],
      });
    });
  });

  describe('alarm notifications, evaluated as IAM would', () => {
    /** The deployed values of the template's intrinsics. */
    let deployed: Record<string, string>;
    let topicPolicy: unknown;
    let keyPolicy: unknown;
    let alarms: Array<{ name: string; actions: unknown }>;

    const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:baton-production-outcomes`;
    const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const OTHER_ACCOUNT = '210987654321';
    const alarmArn = (account: string, name: string) => `arn:aws:cloudwatch:${REGION}:${account}:alarm:${name}`;
    const fromAlarm = (account: string, name: string, secureTransport = 'true') => ({
      'aws:SourceAccount': account,
      'aws:SourceArn': alarmArn(account, name),
      'aws:SecureTransport': secureTransport,
    });
    const publish = (context: Record<string, string>) =>
      evaluate({
        principal: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: TOPIC_ARN,
        resourceAccount: ACCOUNT,
        context,
        resourcePolicy: topicPolicy,
      });
    const useKey = (action: string, context: Record<string, string>) =>
      evaluate({
        principal: 'cloudwatch.amazonaws.com',
        action,
        resource: KEY_ARN,
        resourceAccount: ACCOUNT,
        context,
        resourcePolicy: keyPolicy,
      });

    beforeAll(() => {
      deployed = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, [topic]: TOPIC_ARN, [`${key}.Arn`]: KEY_ARN };
      const resources = synthesis.template.toJSON().Resources as Record<
        string,
        { Type: string; Properties: { PolicyDocument?: unknown; KeyPolicy?: unknown; AlarmName?: string; AlarmActions?: unknown } }
      >;
      const ofType = (type: string) => Object.values(resources).filter((resource) => resource.Type === type);
      topicPolicy = resolveIntrinsics(ofType('AWS::SNS::TopicPolicy')[0]?.Properties.PolicyDocument, deployed);
      keyPolicy = resolveIntrinsics(ofType('AWS::KMS::Key')[0]?.Properties.KeyPolicy, deployed);
      alarms = ofType('AWS::CloudWatch::Alarm').map((alarm) => ({
        name: alarm.Properties.AlarmName ?? '',
        actions: alarm.Properties.AlarmActions,
      }));
    });

    it('has eight alarms, each notifying the topic', () => {
      // Assert
      expect(alarms.map((alarm) => alarm.name).sort()).toEqual(
        [
          'BackstopDeadLetters',
          'EcrPushDeadLetters',
          'ExecutionsAborted',
          'ExecutionsFailedWithoutOutcome',
          'ExecutionsTimedOut',
          'ReleaseRollbackFailed',
          'RollbackFailed0',
          'SignalDeadLetters',
        ].map((id) => `BatonProduction-${id}`),
      );
      for (const alarm of alarms) expect(alarm.actions).toEqual([{ Ref: topic }]);
    });

    it('allows each alarm of the stack to publish to the topic and to use its key', async () => {
      for (const { name } of alarms) {
        // Act
        const decisions = [
          await publish(fromAlarm(ACCOUNT, name)),
          await useKey('kms:GenerateDataKey', fromAlarm(ACCOUNT, name)),
          await useKey('kms:Decrypt', fromAlarm(ACCOUNT, name)),
        ];

        // Assert
        expect(decisions.map((d) => `${name}: ${d.result}`)).toEqual(Array(3).fill(`${name}: Allowed`));
      }
    });

    it("denies CloudWatch publishing or using the key for another account's alarm (confused deputy)", async () => {
      // Act
      const decisions = [
        await publish(fromAlarm(OTHER_ACCOUNT, 'BatonProduction-ExecutionsFailed')),
        await useKey('kms:GenerateDataKey', fromAlarm(OTHER_ACCOUNT, 'BatonProduction-ExecutionsFailed')),
        await useKey('kms:Decrypt', fromAlarm(OTHER_ACCOUNT, 'BatonProduction-ExecutionsFailed')),
        // This account named as the source, but the alarm of another: the SourceArn condition refuses it.
        await publish({ ...fromAlarm(ACCOUNT, 'x'), 'aws:SourceArn': alarmArn(OTHER_ACCOUNT, 'BatonProduction-ExecutionsFailed') }),
      ];

      // Assert
      expect(decisions.map((d) => d.result)).toEqual(Array(4).fill('ImplicitlyDenied'));
    });

    it('still lets the phases that announce outcomes publish over TLS, and only over TLS', async () => {
      // Arrange
      const values = (name: string) => deployed[name] ?? deployedIn(ACCOUNT, REGION)(name);
      const publishAs = (phase: PhaseName, secureTransport: string) =>
        evaluate({
          principal: `arn:aws:iam::${ACCOUNT}:role/baton-${phase}`,
          action: 'sns:Publish',
          resource: TOPIC_ARN,
          resourceAccount: ACCOUNT,
          context: { 'aws:SecureTransport': secureTransport },
          identityPolicies: identityPoliciesOf(synthesis.template, roleOf(synthesis, phase), values),
          resourcePolicy: topicPolicy,
        });

      // Act
      const decisions = [];
      for (const phase of NOTIFYING_PHASES) {
        decisions.push(`${phase}: ${(await publishAs(phase, 'true')).result}, ${(await publishAs(phase, 'false')).result}`);
      }

      // Assert
      expect(decisions).toEqual(NOTIFYING_PHASES.map((phase) => `${phase}: Allowed, ExplicitlyDenied`));
    });

    it('denies publishing without TLS, even from an alarm of the stack', async () => {
      // Act
      const decision = await publish(fromAlarm(ACCOUNT, 'BatonProduction-ExecutionsFailed', 'false'));

      // Assert
      expect(decision.result).toBe('ExplicitlyDenied');
    });
  });
});
