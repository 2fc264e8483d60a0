/**
 * What the phase roles of the synthesized stack for the example config may
 * do to record runs, publish events and announce outcomes, and which roles
 * may read executions. One synthesis (without bundling).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHASE_NAMES, type PhaseName } from '../../../lib/constructs/phases.ts';
import { ACCOUNT, NOTIFYING_PHASES, REGION, synthExample, WEBHOOK_SECRET_ARN } from '../../support/example.ts';
import type { Synthesis } from '../../support/synth.ts';
import { roleOf, rolesGranting, type Statement, statementsOf } from '../../support/template.ts';

/** Every phase function of the stack. */
const ALL_PHASES: readonly PhaseName[] = PHASE_NAMES;
/**
 * Every phase but those that track no run: the backstop, signal (an event belongs to no one deployment), the smoke
 * test (no AWS call) and plan release (no record yet).
 */
const TRACKING_PHASES: readonly PhaseName[] = ALL_PHASES.filter(
  (phase) => phase !== 'backstop' && phase !== 'signal' && phase !== 'smokeTest' && phase !== 'planRelease',
);
/** The phases that publish events: all but the smoke test and signal (which only marks a lock). */
const PUBLISHING_PHASES: readonly PhaseName[] = ALL_PHASES.filter((phase) => phase !== 'smokeTest' && phase !== 'signal');

/** The IAM statement every deployment phase gets to record its runs ("trackPhase"). */
function trackPhaseStatement(tableLogicalId: string): Statement {
  return {
    Action: 'dynamodb:UpdateItem',
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DEPLOYMENT#*', 'LOCK#*'] } },
    Effect: 'Allow',
    Resource: { 'Fn::GetAtt': [tableLogicalId, 'Arn'] },
  };
}

/** The IAM statement every phase gets to publish its events ("publishEvents"). */
const PUBLISH_EVENTS_STATEMENT: Statement = {
  Action: 'events:PutEvents',
  Condition: { 'ForAllValues:StringEquals': { 'events:source': 'baton' } },
  Effect: 'Allow',
  Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:${REGION}:${ACCOUNT}:event-bus/default`]] },
};

const WEBHOOK_STATEMENT: Statement = {
  Action: 'secretsmanager:GetSecretValue',
  Effect: 'Allow',
  Resource: WEBHOOK_SECRET_ARN,
};

describe('observability of the stack for the example config', () => {
  let synthesis: Synthesis;
  let topic: string;
  let key: string;
  let table: string;

  beforeAll(() => {
    ({ synthesis, topic, key, table } = synthExample());
  });

  describe('phase IAM', () => {
    it.each(TRACKING_PHASES)('lets %s update only record and lock items to track its runs', (phase) => {
      // Assert
      synthesis.template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleOf(synthesis, phase) }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectEquals(trackPhaseStatement(table))]) },
      });
    });

    it('gives the backstop, which tracks no phase, no trackPhase statement', () => {
      // Act
      // (Its only conditioned table statement is the queue's: QUEUE# items.)
      const conditioned = statementsOf(synthesis, roleOf(synthesis, 'backstop')).filter((s) =>
        JSON.stringify(s.Condition ?? {}).includes('DEPLOYMENT#'),
      );

      // Assert
      expect(conditioned).toEqual([]);
    });

    it.each(PUBLISHING_PHASES)('lets %s put events with source baton on the default bus only', (phase) => {
      // Arrange
      const role = roleOf(synthesis, phase);

      // Act
      const putEvents = statementsOf(synthesis, role).filter((s) => [s.Action].flat().some((a) => a.startsWith('events:')));

      // Assert
      expect(putEvents).toEqual([PUBLISH_EVENTS_STATEMENT]);
      synthesis.template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: role }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectEquals(PUBLISH_EVENTS_STATEMENT)]) },
      });
    });

    it.each(NOTIFYING_PHASES)('lets %s publish to the topic, use its key and read the webhook secret', (phase) => {
      // Arrange
      const role = roleOf(synthesis, phase);

      // Act
      const notify = statementsOf(synthesis, role).filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('sns:') || a.startsWith('kms:') || a === 'secretsmanager:GetSecretValue'),
      );

      // Assert
      expect(notify).toEqual([
        { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topic } },
        { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [key, 'Arn'] } },
        WEBHOOK_STATEMENT,
      ]);
      synthesis.template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: role }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectEquals({ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topic } }),
            Match.objectEquals({
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [key, 'Arn'] },
            }),
          ]),
        },
      });
    });

    it('lets no role but prepare, shiftTraffic, requestApproval, complete, rollback, recordFailure, recover, backstop, unwindRelease and finishRelease publish to SNS or use KMS', () => {
      // Arrange
      const notifying = NOTIFYING_PHASES.map((phase) => roleOf(synthesis, phase)).sort();

      // Act
      const publishers = rolesGranting(synthesis, /^sns:(Publish|\*)$/i);
      const keyUsers = rolesGranting(synthesis, /^kms:/i);

      // Assert
      expect(publishers).toEqual(notifying);
      expect(keyUsers).toEqual(notifying);
    });

    it('lets initialize and plan release describe executions of its own state machine, and the recovery phases also read their history', () => {
      // Arrange
      const describeExecution = {
        Action: 'states:DescribeExecution',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:states:${REGION}:${ACCOUNT}:execution:baton-production:*`]],
        },
      };

      // Act
      const describers = rolesGranting(synthesis, /^states:(DescribeExecution|\*)$/i);

      // Assert
      const recovering = ['recover', 'unwindRelease', 'backstop'] as const;
      expect(describers).toEqual(
        [roleOf(synthesis, 'initialize'), roleOf(synthesis, 'planRelease'), ...recovering.map((phase) => roleOf(synthesis, phase))].sort(),
      );
      expect(rolesGranting(synthesis, /^states:(GetExecutionHistory|\*)$/i)).toEqual(
        recovering.map((phase) => roleOf(synthesis, phase)).sort(),
      );
      for (const phase of ['initialize', 'planRelease'] as const) {
        synthesis.template.hasResourceProperties('AWS::IAM::Policy', {
          Roles: [{ Ref: roleOf(synthesis, phase) }],
          PolicyDocument: { Statement: Match.arrayWith([Match.objectEquals(describeExecution)]) },
        });
      }
      for (const phase of recovering) {
        synthesis.template.hasResourceProperties('AWS::IAM::Policy', {
          Roles: [{ Ref: roleOf(synthesis, phase) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectEquals({ ...describeExecution, Action: ['states:DescribeExecution', 'states:GetExecutionHistory'] }),
            ]),
          },
        });
      }
    });
  });
});
