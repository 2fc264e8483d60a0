/**
 * The stack for the example config naming an existing topic
 * (pipeline.notifications.snsTopicArn): no topic or key of its own, and the
 * alarms and the notifying phases use the existing one. One synthesis
 * (without bundling).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, exampleWithPipeline, NOTIFYING_PHASES, REGION, rawExamplePipeline, WEBHOOK_SECRET_ARN } from '../../support/example.ts';
import { logicalIdOf, type Synthesis, synth } from '../../support/synth.ts';
import { environmentOf, roleOf, rolesGranting } from '../../support/template.ts';

/** The existing topic the config names. */
const EXISTING_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ops-outcomes`;

/** The example config with pipeline.notifications.snsTopicArn set to an existing topic. */
function withExistingTopic() {
  const { notifications } = rawExamplePipeline() as { notifications: Record<string, unknown> };
  return exampleWithPipeline({ notifications: { ...notifications, snsTopicArn: EXISTING_TOPIC_ARN } });
}

describe('observability of the stack with an existing topic (pipeline.notifications.snsTopicArn)', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    synthesis = synth(withExistingTopic());
  });

  it('creates no topic, no topic policy and no key', () => {
    // Assert
    synthesis.template.resourceCountIs('AWS::SNS::Topic', 0);
    synthesis.template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    synthesis.template.resourceCountIs('AWS::KMS::Key', 0);
    expect(synthesis.stack.outcomes.key).toBeUndefined();
  });

  it('sends every alarm to the existing topic', () => {
    // Act
    const alarms = Object.values(synthesis.template.findResources('AWS::CloudWatch::Alarm')) as Array<{
      Properties: { AlarmActions: unknown };
    }>;

    // Assert
    expect(alarms).toHaveLength(8);
    expect(alarms.map((alarm) => alarm.Properties.AlarmActions)).toEqual(Array(8).fill([EXISTING_TOPIC_ARN]));
  });

  it.each(NOTIFYING_PHASES)('gives %s the existing topic in BATON_TOPIC_ARN and lets it publish there', (phase) => {
    // Arrange
    const role = roleOf(synthesis, phase);

    // Act
    const environment = environmentOf(synthesis, phase);

    // Assert
    expect(environment).toMatchObject({ BATON_TOPIC_ARN: EXISTING_TOPIC_ARN, BATON_CHAT_WEBHOOK_SECRET_ARN: WEBHOOK_SECRET_ARN });
    synthesis.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectEquals({ Action: 'sns:Publish', Effect: 'Allow', Resource: EXISTING_TOPIC_ARN })]),
      },
    });
  });

  it('grants no KMS action to any role, and sns:Publish only to the notifying phases', () => {
    // Act
    const keyUsers = rolesGranting(synthesis, /^kms:/i);
    const publishers = rolesGranting(synthesis, /^sns:(Publish|\*)$/i);

    // Assert
    expect(keyUsers).toEqual([]);
    expect(publishers).toEqual(NOTIFYING_PHASES.map((phase) => roleOf(synthesis, phase)).sort());
  });

  it('outputs the existing topic ARN and the dashboard name', () => {
    // Assert
    synthesis.template.hasOutput('OutcomesTopicArn', { Value: EXISTING_TOPIC_ARN });
    synthesis.template.hasOutput('DashboardName', {
      Value: { Ref: logicalIdOf(synthesis.stack, synthesis.stack.monitoring.dashboard) },
    });
  });

  it('reports no unacknowledged cdk-nag finding', () => {
    expect(synthesis.findings).toEqual([]);
  });
});
