/**
 * The ignored-push log of the synthesized stack (issue 16, item 8: "a push
 * whose tag does not match leaves no trace"): per repository, a rule on the
 * successful pushes that are tagged none of its services' patterns or not
 * tagged at all, writing each event to a log group of fixed name that only
 * EventBridge may write to. One synthesis (without bundling) for the example
 * config; the construct alone in a stack of its own for a repository that
 * feeds two services.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../../lambdas/shared/config-schema.ts';
import { IgnoredPushes } from '../../../lib/constructs/ignored-pushes.ts';
import { copyWithOwnResources, rawExampleConfig } from '../../support/config.ts';
import { ACCOUNT, REGION, synthExample } from '../../support/example.ts';
import { evaluate, resolveIntrinsics } from '../../support/iam.ts';
import { logicalIdOf, type Synthesis } from '../../support/synth.ts';
import { onlyTarget, type RuleResource, resourceOf, resourcesOf } from '../../support/template.ts';

const LOG_GROUP_NAME = '/baton/baton-production/ignored-pushes';

describe('ignored-push log of the stack for the example config', () => {
  let synthesis: Synthesis;
  let rule: RuleResource;
  let logGroup: string;

  beforeAll(() => {
    ({ synthesis } = synthExample());
    const web = synthesis.stack.ignoredPushes.rules.web;
    if (!web) throw new Error('no ignored-push rule for the web repository');
    rule = resourceOf<RuleResource>(synthesis, logicalIdOf(synthesis.stack, web));
    logGroup = logicalIdOf(synthesis.stack, synthesis.stack.ignoredPushes.logGroup);
  });

  it("has one rule for the web repository: the push rule's pattern, with the tags it deploys (v*) turned into anything but v*, or untagged", () => {
    // Arrange: the push rule's exact pattern is asserted in ecr-push.test.ts.
    const push = synthesis.stack.ecrTrigger.rules.web;
    if (!push) throw new Error('no push rule for web');
    const pushPattern = resourceOf<RuleResource>(synthesis, logicalIdOf(synthesis.stack, push)).Properties.EventPattern;

    // Act
    const rules = Object.keys(synthesis.stack.ignoredPushes.rules);
    const pattern = rule.Properties.EventPattern;

    // Assert
    expect(rules).toEqual(['web']);
    expect(pushPattern?.detail['image-tag']).toEqual([{ wildcard: 'v*' }]);
    expect(pattern).toEqual({
      ...pushPattern,
      detail: { ...pushPattern?.detail, 'image-tag': [{ 'anything-but': { wildcard: 'v*' } }, { exists: false }] },
    });
    expect(pattern?.detail['repository-name']).toEqual(['web']);
    expect(rule.Properties.State).toBe('ENABLED');
  });

  it('writes each event to the log group, by its ARN without ":*", retrying for a day', () => {
    // Act
    const target = onlyTarget(rule);

    // Assert
    expect(target.Arn).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${REGION}:${ACCOUNT}:log-group:`, { Ref: logGroup }]],
    });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 });
    expect(target.InputTransformer).toBeUndefined();
  });

  it('keeps the log group 90 days under a fixed name, deleted with the stack, and names it in an output', () => {
    // Act
    const resource = resourceOf<unknown>(synthesis, logGroup);

    // Assert
    expect(resource).toEqual({
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: LOG_GROUP_NAME, RetentionInDays: 90 },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
    synthesis.template.hasOutput('IgnoredPushesLogGroupName', { Value: { Ref: logGroup } });
  });

  it('lets EventBridge, and no other service, create streams and put events in the log group (evaluated as IAM would)', async () => {
    // Arrange
    const policies = Object.values(
      resourcesOf<{ Properties: { PolicyName: string; PolicyDocument: unknown } }>(synthesis, 'AWS::Logs::ResourcePolicy'),
    ).filter((policy) => policy.Properties.PolicyName === 'baton-production-ignored-pushes');
    const document = resolveIntrinsics(policies[0]?.Properties.PolicyDocument, { 'AWS::Partition': 'aws', [logGroup]: LOG_GROUP_NAME });
    const stream = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP_NAME}:log-stream:a1b2c3`;
    const write = async (principal: string, action: string) =>
      (await evaluate({ principal, action, resource: stream, resourceAccount: ACCOUNT, resourcePolicy: JSON.parse(String(document)) }))
        .result;

    // Act
    const decisions = [
      await write('events.amazonaws.com', 'logs:CreateLogStream'),
      await write('events.amazonaws.com', 'logs:PutLogEvents'),
      await write('sns.amazonaws.com', 'logs:PutLogEvents'),
    ];

    // Assert
    expect(policies).toHaveLength(1);
    expect(decisions).toEqual(['Allowed', 'Allowed', 'ImplicitlyDenied']);
  });
});

describe('the ignored-push rule of a repository that feeds two services', () => {
  it('logs only the pushes that neither service deploys: tagged none of v*, canary-*, v1.4.2, or untagged', () => {
    // Arrange: web deploys v*, web-canary (same repository) canary-* and v1.4.2.
    const raw = rawExampleConfig() as { services: Array<Record<string, unknown>> };
    const [web] = raw.services;
    if (!web) throw new Error('the example config has no service');
    raw.services.push({ ...copyWithOwnResources(web, 'web-canary'), ecr: { repositoryName: 'web', tagPatterns: ['canary-*', 'v1.4.2'] } });
    const stack = new Stack(new App(), 'Ignored', { env: { account: ACCOUNT, region: REGION } });
    new IgnoredPushes(stack, 'IgnoredPushes', { config: BatonConfigSchema.parse(raw) });

    // Act
    const rules = Object.values(resourcesOf<RuleResource>({ template: Template.fromStack(stack) }, 'AWS::Events::Rule'));

    // Assert
    expect(rules.map((rule) => rule.Properties.EventPattern?.detail)).toEqual([
      {
        'action-type': ['PUSH'],
        result: ['SUCCESS'],
        'repository-name': ['web'],
        'image-tag': [{ 'anything-but': { wildcard: ['v*', 'canary-*', 'v1.4.2'] } }, { exists: false }],
      },
    ]);
  });
});
