/**
 * The outcomes topic of the synthesized stack for the example config: the
 * topic, its key and their policies, what publishes to it, and the outputs
 * that name it and the dashboard. One synthesis (without bundling).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, REGION, synthExample } from '../../support/example.ts';
import type { Synthesis } from '../../support/synth.ts';

/** The confused-deputy conditions on what CloudWatch may do for the topic: alarms of this account only. */
const ALARMS_OF_THIS_ACCOUNT = {
  StringEquals: { 'aws:SourceAccount': ACCOUNT },
  ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:${REGION}:${ACCOUNT}:alarm:*`]] } },
};

describe('observability of the stack for the example config', () => {
  let synthesis: Synthesis;
  let topic: string;
  let key: string;
  let dashboard: string;

  beforeAll(() => {
    ({ synthesis, topic, key, dashboard } = synthExample());
  });

  describe('outcomes topic', () => {
    it('is exactly one topic named baton-production-outcomes, encrypted with the key of the stack', () => {
      // Arrange
      const { template } = synthesis;

      // Act
      const topics = template.findResources('AWS::SNS::Topic');

      // Assert
      expect(Object.keys(topics)).toEqual([topic]);
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: 'baton-production-outcomes',
        DisplayName: 'Baton production',
        KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
      });
    });

    it('has a key with rotation that lets CloudWatch alarms of this account, and nothing else, use it for the encrypted topic', () => {
      // Arrange
      const { template } = synthesis;

      // Act
      const keys = template.findResources('AWS::KMS::Key');

      // Assert
      expect(Object.keys(keys)).toEqual([key]);
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectEquals({
              Sid: 'CloudWatchAlarmsOfThisAccount',
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Condition: ALARMS_OF_THIS_ACCOUNT,
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Resource: '*',
            }),
          ]),
        },
      });
    });

    it('denies publishing without TLS and lets only CloudWatch alarms of this account publish: that is the whole topic policy', () => {
      // Arrange
      const { template } = synthesis;

      // Act
      const policies = template.findResources('AWS::SNS::TopicPolicy');

      // Assert
      expect(Object.keys(policies)).toHaveLength(1);
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topic }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            Match.objectEquals({
              Sid: 'AllowPublishThroughSSLOnly',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Effect: 'Deny',
              Principal: '*',
              Resource: { Ref: topic },
            }),
            Match.objectEquals({
              Sid: 'CloudWatchAlarmsOfThisAccount',
              Action: 'sns:Publish',
              Condition: ALARMS_OF_THIS_ACCOUNT,
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Resource: { Ref: topic },
            }),
          ],
        },
      });
    });

    it('is the target of no EventBridge rule of the stack: CloudWatch alarms are its only AWS service publisher', () => {
      // Act
      const rules = Object.values(synthesis.template.findResources('AWS::Events::Rule')) as Array<{
        Properties: { Targets?: Array<{ Arn: unknown }> };
      }>;
      const targets = rules.flatMap((rule) => rule.Properties.Targets ?? []).map((target) => JSON.stringify(target.Arn));

      // Assert
      expect(targets.length).toBeGreaterThan(0);
      expect(targets.filter((arn) => arn.includes(topic))).toEqual([]);
    });
  });

  describe('outputs', () => {
    it('outputs the topic ARN and the dashboard name', () => {
      // Assert
      synthesis.template.hasOutput('OutcomesTopicArn', { Value: { Ref: topic } });
      synthesis.template.hasOutput('DashboardName', { Value: { Ref: dashboard } });
    });
  });

  describe('cdk-nag', () => {
    it('reports no unacknowledged finding', () => {
      expect(synthesis.findings).toEqual([]);
    });
  });
});
