/**
 * The ECR push rules of the synthesized stack: one per service, matching its
 * repository and tag patterns, starting the state machine through a role
 * only EventBridge rules of this account may assume, with the input a
 * deployment request needs. One synthesis (without bundling) for the example
 * config, one for two services fed by one repository, and the trigger alone
 * in a stack of its own for the default tag patterns.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../../lambdas/shared/config-schema.ts';
import { DeploymentRequestSchema } from '../../../lambdas/shared/contract.ts';
import { tagMatches } from '../../../lambdas/shared/request.ts';
import { EcrPushTrigger } from '../../../lib/constructs/ecr-push-trigger.ts';
import { copyWithOwnResources, rawExampleConfig } from '../../support/config.ts';
import { ACCOUNT, REGION, synthExample } from '../../support/example.ts';
import { deployedIn, evaluate, resolveIntrinsics } from '../../support/iam.ts';
import { logicalIdOf, type Synthesis, synth } from '../../support/synth.ts';
import { onlyTarget, queuePolicyStatements, type RuleResource, resourceOf, resourcesOf } from '../../support/template.ts';

const DIGEST = 'sha256:2b41c8a0f2e6d7c95e3a1b4f6d8e0c2a4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f73';

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

/** The rules on aws.ecr that start deployments (the ignored-push rules log the others: ignored-pushes.test.ts). */
function ecrRules(synthesis: Synthesis): Array<[string, RuleResource]> {
  const logging = new Set(Object.values(synthesis.stack.ignoredPushes.rules).map((rule) => logicalIdOf(synthesis.stack, rule)));
  return Object.entries(resourcesOf<RuleResource>(synthesis, 'AWS::Events::Rule')).filter(
    ([id, rule]) => rule.Properties.EventPattern?.source.includes('aws.ecr') && !logging.has(id),
  );
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

describe('triggers of the Baton stack for the example config', () => {
  let synthesis: Synthesis;
  let stateMachineId: string;

  beforeAll(() => {
    ({ synthesis, stateMachine: stateMachineId } = synthExample());
  });

  describe('ECR push rule', () => {
    it('is exactly one rule on aws.ecr that deploys, matching successful pushes to "web" tagged v*', () => {
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

    it('targets the live alias of the state machine through the events role, with 8 retries over at most 2 hours', () => {
      // Arrange
      const [[, rule] = []] = ecrRules(synthesis);
      if (!rule) throw new Error('no ECR rule');

      // Act
      const target = onlyTarget(rule);

      // Assert
      // The alias, not the state machine: a push deploys on the version the last cdk deploy published (safe upgrades).
      const aliasId = (target.Arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      type Resource = { Type: string; Properties: Record<string, unknown> };
      const alias = resourceOf<Resource>(synthesis, aliasId);
      const [route] = alias.Properties.RoutingConfiguration as Array<{
        StateMachineVersionArn: { 'Fn::GetAtt': [string, string] };
        Weight: number;
      }>;
      const version = resourceOf<Resource>(synthesis, route?.StateMachineVersionArn['Fn::GetAtt'][0] ?? '');
      expect(alias).toMatchObject({ Type: 'AWS::StepFunctions::StateMachineAlias', Properties: { Name: 'live' } });
      expect(route?.Weight).toBe(100);
      expect(version).toMatchObject({
        Type: 'AWS::StepFunctions::StateMachineVersion',
        Properties: { StateMachineArn: { Ref: stateMachineId } },
      });
      expect(target.RoleArn).toBeDefined();
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 });
    });

    it('lets EventBridge assume the events role only for rules of this account (aws:SourceAccount, aws:SourceArn)', async () => {
      // Arrange
      const [[, rule] = []] = ecrRules(synthesis);
      if (!rule) throw new Error('no ECR rule');
      const roleId = (onlyTarget(rule).RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const trust = resolveIntrinsics(
        resourceOf<{ Properties: { AssumeRolePolicyDocument: unknown } }>(synthesis, roleId).Properties.AssumeRolePolicyDocument,
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
      expect(resourceOf<{ Type: string; Properties: Record<string, unknown> }>(synthesis, queueId)).toMatchObject({
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

    it('starts the execution with the pushed digest and tag, trigger "ecr", and a reason naming the pushed repository:tag and the event id', () => {
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
        reason: 'ECR push of web:v1.4.2 (event 7bf73129-1428-4cd3-a780-95db273d1602)',
      });
      expect(DeploymentRequestSchema.safeParse(input).success).toBe(true);
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
        const target = onlyTarget(resourceOf<RuleResource>(synthesis, logicalIdOf(synthesis.stack, rule)));
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
    const pattern = resourceOf<RuleResource>(synthesis, ruleId).Properties.EventPattern;

    // Assert
    expect(pattern?.detail).toEqual({
      'action-type': ['PUSH'],
      result: ['SUCCESS'],
      'repository-name': ['web'],
      'image-tag': [{ wildcard: 'canary-*' }, 'v1.4.2'],
    });
  });
});

describe('the ECR push rule of a service whose config sets no tagPatterns (issue 16, item 8)', () => {
  /** The trigger alone in a stack of its own: the rule is all this looks at, and a whole synthesis takes a minute. */
  function ruleOf(ecr: Record<string, unknown>): { description: string; tags: unknown } {
    const raw = rawExampleConfig() as { services: Array<Record<string, unknown>> };
    const [web] = raw.services;
    if (!web) throw new Error('the example config has no service');
    web.ecr = ecr;
    const stack = new Stack(new App(), 'Trigger', { env: { account: ACCOUNT, region: REGION } });
    const stateMachine = StateMachine.fromStateMachineArn(stack, 'Pipeline', `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:baton`);
    new EcrPushTrigger(stack, 'Ecr', { config: BatonConfigSchema.parse(raw), stateMachine });
    const rules = Object.values(resourcesOf<RuleResource>({ template: Template.fromStack(stack) }, 'AWS::Events::Rule'));
    const [rule, ...others] = rules;
    if (!rule || others.length > 0) throw new Error(`expected one rule, found ${rules.length}`);
    const { Description } = rule.Properties as { Description?: string };
    return { description: Description ?? '', tags: rule.Properties.EventPattern?.detail['image-tag'] };
  }

  it('matches release tags only (*.*.*): v1.4.2 and 1.4.2 deploy, latest and pr-123 do not', () => {
    // Act
    const rule = ruleOf({ repositoryName: 'web' });

    // Assert
    expect(rule.tags).toEqual([{ wildcard: '*.*.*' }]);
    expect(rule.description).toBe('Baton: deploy web when web receives a push tagged *.*.*');
    expect(['v1.4.2', '1.4.2', 'latest', 'pr-123', 'main', 'sha-2b41c8a'].filter((tag) => tagMatches('*.*.*', tag))).toEqual([
      'v1.4.2',
      '1.4.2',
    ]);
  });

  it('matches every tag only when the config says ["*"]', () => {
    // Act
    const rule = ruleOf({ repositoryName: 'web', tagPatterns: ['*'] });

    // Assert
    expect(rule.tags).toEqual([{ wildcard: '*' }]);
  });
});
