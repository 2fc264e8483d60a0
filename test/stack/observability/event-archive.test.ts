/**
 * The event archive of the synthesized stack for the example config: the rule
 * that sends every Baton phase and deployment event to a log group, the log
 * group, and who may write to it. One synthesis (without bundling).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, REGION, synthExample } from '../../support/example.ts';
import { evaluate, resolveIntrinsics } from '../../support/iam.ts';
import { logicalIdOf, type Synthesis } from '../../support/synth.ts';

interface LogResourcePolicy {
  readonly Properties: { readonly PolicyName: string; readonly PolicyDocument: unknown };
}

function logResourcePolicies(synthesis: Synthesis): LogResourcePolicy[] {
  return Object.values(synthesis.template.findResources('AWS::Logs::ResourcePolicy')) as LogResourcePolicy[];
}

/** The CloudWatch Logs resource policies that name the archive. */
function archivePolicies(synthesis: Synthesis): LogResourcePolicy[] {
  return logResourcePolicies(synthesis).filter((policy) => policy.Properties.PolicyName === 'baton-production-events-archive');
}

describe('observability of the stack for the example config', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    ({ synthesis } = synthExample());
  });

  describe('event archive', () => {
    it('sends every Baton phase and deployment event to a log group kept for a year', () => {
      // Assert
      synthesis.template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: Match.absent(),
        RetentionInDays: 365,
      });
      synthesis.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['baton'], 'detail-type': ['Baton Phase Changed', 'Baton Deployment Finished'] },
        State: 'ENABLED',
        Targets: [
          {
            Id: 'Archive',
            Arn: Match.anyValue(),
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          },
        ],
      });
    });

    it('has a log group without a fixed name, retained by a stack update or delete but deleted when its first create rolls back', () => {
      // Arrange
      const logGroup = logicalIdOf(synthesis.stack, synthesis.stack.events.logGroup);

      // Act
      const resource = synthesis.template.toJSON().Resources[logGroup];

      // Assert: CloudFormation names it; the output tells operators which group to query.
      expect(resource).toEqual({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 365 },
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
      });
      synthesis.template.hasOutput('EventArchiveLogGroupName', { Value: { Ref: logGroup } });
    });

    it('targets the log group by its ARN without the ":*" of its Arn attribute, the form EventBridge delivers to', () => {
      // Arrange
      const logGroup = logicalIdOf(synthesis.stack, synthesis.stack.events.logGroup);
      const rule = synthesis.stack.getLogicalId(synthesis.stack.events.rule);
      const resources = synthesis.template.toJSON().Resources as Record<string, { Properties: { Targets: Array<{ Arn: unknown }> } }>;

      // Act
      const targets = resources[rule]?.Properties.Targets.map((target) => target.Arn);

      // Assert
      expect(targets).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${REGION}:${ACCOUNT}:log-group:`, { Ref: logGroup }]] },
      ]);
    });

    it('lets EventBridge, and no other service, create streams and put events in the archive log group (evaluated as IAM would)', async () => {
      // Arrange
      const logGroup = logicalIdOf(synthesis.stack, synthesis.stack.events.logGroup);
      const name = 'BatonProduction-EventsArchive1234-AbCdEf';
      const policies = archivePolicies(synthesis);
      const document = resolveIntrinsics(policies[0]?.Properties.PolicyDocument, {
        'AWS::Partition': 'aws',
        [logGroup]: name,
        [`${logGroup}.Arn`]: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`,
      });
      const stream = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:log-stream:a1b2c3`;
      const write = (principal: string, action: string) =>
        evaluate({ principal, action, resource: stream, resourceAccount: ACCOUNT, resourcePolicy: JSON.parse(String(document)) });

      // Act
      const decisions = [
        await write('events.amazonaws.com', 'logs:CreateLogStream'),
        await write('events.amazonaws.com', 'logs:PutLogEvents'),
        await write('sns.amazonaws.com', 'logs:PutLogEvents'),
      ];

      // Assert
      expect(policies).toHaveLength(1);
      expect(decisions.map((d) => d.result)).toEqual(['Allowed', 'Allowed', 'ImplicitlyDenied']);
    });

    it('lets only EventBridge (and log delivery) write to the archive log group', () => {
      // Arrange
      const logGroup = logicalIdOf(synthesis.stack, synthesis.stack.events.logGroup);
      const policies = archivePolicies(synthesis);

      // Act
      const document = JSON.parse(JSON.stringify(synthesis.stack.resolve(policies[0]?.Properties.PolicyDocument)));

      // Assert: the stack's other log resource policy is the ignored-push log's (test/stack/triggers/ignored-pushes.test.ts).
      expect(logResourcePolicies(synthesis).map((p) => p.Properties.PolicyName)).toEqual([
        'baton-production-ignored-pushes',
        'baton-production-events-archive',
      ]);
      expect(policies).toHaveLength(1);
      expect(JSON.stringify(document)).toContain('events.amazonaws.com');
      expect(JSON.stringify(document)).toContain('logs:PutLogEvents');
      expect(JSON.stringify(document)).toContain(logGroup);
    });
  });
});
