/**
 * What operators see of the synthesized stack: the outcomes topic and its key,
 * the dashboard, the alarms, what the phase functions need to publish
 * (environment and IAM), and the outputs. One synthesis (without bundling) per
 * config: the example config, and the example config naming an existing topic.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../lambdas/shared/config-schema.ts';
import { PHASE_NAMES, type PhaseName } from '../../lib/constructs/phases.ts';
import { exampleConfig, ROOT, rawExampleConfig } from '../fixtures/config.ts';
import { deployedIn, evaluate, identityPoliciesOf, resolveIntrinsics } from '../fixtures/iam.ts';
import { logicalIdOf, resolveToString, type Synthesis, synth } from '../fixtures/synth.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const WEBHOOK_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:baton/chat-webhook-Hk7Qz1`;
/** The existing topic the variant config names. */
const EXISTING_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ops-outcomes`;
/** The confused-deputy conditions on what CloudWatch may do for the topic: alarms of this account only. */
const ALARMS_OF_THIS_ACCOUNT = {
  StringEquals: { 'aws:SourceAccount': ACCOUNT },
  ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:${REGION}:${ACCOUNT}:alarm:*`]] } },
};
/** Every phase function of the stack. */
const ALL_PHASES: readonly PhaseName[] = PHASE_NAMES;
/**
 * The phases that track their runs in the record: all but the backstop (it handles EventBridge events, not a
 * deployment) and the smoke test (it calls no AWS API; record-smoke-test tracks its runs).
 */
/** Every phase but those that track no run: the backstop, the smoke test (no AWS call) and plan release (no record yet). */
const TRACKING_PHASES: readonly PhaseName[] = ALL_PHASES.filter(
  (phase) => phase !== 'backstop' && phase !== 'smokeTest' && phase !== 'planRelease',
);
/** The phases that publish events: all but the smoke test. */
const PUBLISHING_PHASES: readonly PhaseName[] = ALL_PHASES.filter((phase) => phase !== 'smokeTest');
/** The phases that announce a terminal outcome (need "notify"). */
const NOTIFYING_PHASES: PhaseName[] = ['complete', 'rollback', 'recordFailure', 'recover', 'backstop', 'unwindRelease', 'finishRelease'];

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
  readonly Principal?: unknown;
  readonly Sid?: string;
}

interface PolicyResource {
  readonly Properties: {
    readonly Roles: Array<{ Ref: string }>;
    readonly PolicyDocument: { readonly Statement: Statement[] };
  };
}

interface FunctionResource {
  readonly Properties: { readonly Environment: { readonly Variables: Record<string, unknown> } };
}

interface DashboardWidget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly metrics?: unknown[][];
  };
}

/** The example config with pipeline.notifications.snsTopicArn set to an existing topic. */
function withExistingTopic(): Record<string, unknown> {
  const raw = rawExampleConfig() as { pipeline: Record<string, unknown> & { notifications: Record<string, unknown> } };
  return { ...raw, pipeline: { ...raw.pipeline, notifications: { ...raw.pipeline.notifications, snsTopicArn: EXISTING_TOPIC_ARN } } };
}

/** The webhook URL the example account file stores in the chat webhook secret. */
function exampleWebhookUrl(): string {
  const account = JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')) as {
    secretsManager: { secrets: Record<string, { versions: Array<{ value: { url: string } }> }> };
  };
  const url = account.secretsManager.secrets[WEBHOOK_SECRET_ARN]?.versions[0]?.value.url;
  if (!url) throw new Error('the example account has no chat webhook URL');
  return url;
}

/** Logical id of a phase's role. */
function roleOf(synthesis: Synthesis, phase: PhaseName): string {
  return logicalIdOf(synthesis.stack, synthesis.stack.phases.roles[phase]);
}

/** Logical id of a phase's function. */
function functionOf(synthesis: Synthesis, phase: PhaseName): string {
  return logicalIdOf(synthesis.stack, synthesis.stack.phases.functions[phase]);
}

/** Every statement of every AWS::IAM::Policy attached to the role. */
function statementsOf(synthesis: Synthesis, roleLogicalId: string): Statement[] {
  const policies = Object.values(synthesis.template.findResources('AWS::IAM::Policy')) as PolicyResource[];
  return policies
    .filter((policy) => policy.Properties.Roles.some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** Logical ids of the roles any of whose Allow statements grant an action matching `pattern` (e.g. /^sns:/). */
function rolesGranting(synthesis: Synthesis, pattern: RegExp): string[] {
  const policies = Object.values(synthesis.template.findResources('AWS::IAM::Policy')) as PolicyResource[];
  const roles = policies
    .filter((policy) =>
      policy.Properties.PolicyDocument.Statement.some(
        (statement) => statement.Effect === 'Allow' && [statement.Action].flat().some((action) => pattern.test(action) || action === '*'),
      ),
    )
    .flatMap((policy) => policy.Properties.Roles.map((role) => role.Ref));
  return [...new Set(roles)].sort();
}

function environmentOf(synthesis: Synthesis, phase: PhaseName): Record<string, unknown> {
  const resources = synthesis.template.toJSON().Resources as Record<string, FunctionResource>;
  const fn = resources[functionOf(synthesis, phase)];
  if (!fn) throw new Error(`no function for ${phase}`);
  return fn.Properties.Environment.Variables;
}

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
  let stateMachine: string;
  let dashboard: string;

  beforeAll(() => {
    synthesis = synth(exampleConfig());
    const { stack } = synthesis;
    const outcomeKey = stack.outcomes.key;
    if (!outcomeKey) throw new Error('the example config should create the topic key');
    topic = logicalIdOf(stack, stack.outcomes.topic);
    key = logicalIdOf(stack, outcomeKey);
    table = logicalIdOf(stack, stack.deployments.table);
    stateMachine = logicalIdOf(stack, stack.pipeline.stateMachine);
    dashboard = logicalIdOf(stack, stack.monitoring.dashboard);
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
      const policies = Object.values(synthesis.template.findResources('AWS::Logs::ResourcePolicy')) as Array<{
        Properties: { PolicyDocument: unknown };
      }>;
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
      const policies = Object.values(synthesis.template.findResources('AWS::Logs::ResourcePolicy')) as Array<{
        Properties: { PolicyName: string; PolicyDocument: unknown };
      }>;

      // Act
      const document = JSON.parse(JSON.stringify(synthesis.stack.resolve(policies[0]?.Properties.PolicyDocument)));

      // Assert
      expect(policies.map((p) => p.Properties.PolicyName)).toEqual(['baton-production-events-archive']);
      expect(JSON.stringify(document)).toContain('events.amazonaws.com');
      expect(JSON.stringify(document)).toContain('logs:PutLogEvents');
      expect(JSON.stringify(document)).toContain(logGroup);
    });
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

    it('has five alarms, each notifying the topic', () => {
      // Assert
      expect(alarms.map((alarm) => alarm.name).sort()).toEqual(
        ['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ReleaseRollbackFailed', 'RollbackFailed0'].map(
          (id) => `BatonProduction-${id}`,
        ),
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

  describe('dashboard', () => {
    let body: { widgets: DashboardWidget[] };
    let bodyText: string;

    beforeAll(() => {
      const dashboards = Object.values(synthesis.template.findResources('AWS::CloudWatch::Dashboard')) as Array<{
        Properties: { DashboardBody: unknown };
      }>;
      if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
      bodyText = resolveToString(dashboards[0]?.Properties.DashboardBody);
      body = JSON.parse(bodyText) as { widgets: DashboardWidget[] };
    });

    it('is exactly one dashboard named baton-production', () => {
      // Act
      const dashboards = synthesis.template.findResources('AWS::CloudWatch::Dashboard');

      // Assert
      expect(Object.keys(dashboards)).toEqual([dashboard]);
      synthesis.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: 'baton-production',
        DashboardBody: { 'Fn::Join': ['', Match.anyValue()] },
      });
    });

    it('has the outcome, duration, rollback-rate, phase-duration, executions and releases graphs', () => {
      // Act
      const titles = body.widgets.flatMap((widget) => (widget.properties.title ? [widget.properties.title] : []));

      // Assert
      expect(titles).toEqual([
        'Deployments per hour, by outcome',
        'Deployment duration (seconds)',
        'Rollback rate (% of deployments that reached production)',
        'Phase duration (seconds, average)',
        'Executions',
        'Multi-service releases per hour, by outcome',
      ]);
    });

    it('graphs every outcome metric and the deployment duration of the web service, and the release outcomes, in the Baton namespace', () => {
      // Act
      const batonMetrics = body.widgets
        .flatMap((widget) => widget.properties.metrics ?? [])
        .filter((line) => line[0] === 'Baton')
        .map((line) => line.slice(0, 4).join(' '));

      // Assert
      expect([...new Set(batonMetrics)].sort()).toEqual(
        [
          'DeploymentSucceeded',
          'DeploymentRolledBack',
          'DeploymentRollbackFailed',
          'DeploymentRejected',
          'DeploymentDuplicate',
          'DeploymentSuperseded',
          'DeploymentQueued',
          'DeploymentDuration',
        ]
          .map((name) => `Baton ${name} service web`)
          .concat(
            ['ReleaseSucceeded', 'ReleaseRolledBack', 'ReleaseRollbackFailed', 'ReleaseRejected'].map(
              (name) => `Baton ${name} service release`,
            ),
          )
          .sort(),
      );
    });

    it('computes the rollback rate from the succeeded, rolled-back and rollback-failed counts', () => {
      // Act
      const widget = body.widgets.find((w) => w.properties.title === 'Rollback rate (% of deployments that reached production)');

      // Assert
      expect(widget?.properties.metrics).toEqual([
        [
          {
            label: 'web rollback rate %',
            expression: '100 * (FILL(rb0, 0) + FILL(rbf0, 0)) / MAX([FILL(s0, 0) + FILL(rb0, 0) + FILL(rbf0, 0), 1])',
            period: 3600,
          },
        ],
        ['Baton', 'DeploymentSucceeded', 'service', 'web', { id: 's0', visible: false, period: 3600, stat: 'Sum' }],
        ['Baton', 'DeploymentRolledBack', 'service', 'web', { id: 'rb0', visible: false, period: 3600, stat: 'Sum' }],
        ['Baton', 'DeploymentRollbackFailed', 'service', 'web', { id: 'rbf0', visible: false, period: 3600, stat: 'Sum' }],
      ]);
    });

    it('searches the PhaseDuration metrics of every phase and service', () => {
      // Act
      const widget = body.widgets.find((w) => w.properties.title === 'Phase duration (seconds, average)');

      // Assert
      expect(widget?.properties.metrics).toEqual([
        [{ expression: `SEARCH('{Baton,phase,service} MetricName="PhaseDuration"', 'Average', 3600)`, period: 3600 }],
      ]);
    });

    it('graphs the executions of the state machine', () => {
      // Act
      const widget = body.widgets.find((w) => w.properties.title === 'Executions');

      // Assert
      expect(widget?.properties.metrics).toEqual(
        ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((name) => [
          'AWS/States',
          name,
          'StateMachineArn',
          `\${${stateMachine}}`,
          { period: 3600, stat: 'Sum' },
        ]),
      );
      expect(bodyText).not.toContain('undefined');
    });
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

    it('are exactly five for one service, each publishing to the topic and nothing else', () => {
      // Act
      const alarms = Object.values(synthesis.template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: unknown }>;

      // Assert
      expect(alarms).toHaveLength(5);
      for (const alarm of alarms) {
        expect(alarm.Properties).toMatchObject({ ...COMMON, AlarmActions: [{ Ref: topic }] });
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

    it.each(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])('alarms on AWS/States %s of the state machine', (metric) => {
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

  describe('phase environment', () => {
    it.each(ALL_PHASES)('gives %s the metrics namespace and the default event bus', (phase) => {
      // Act
      const environment = environmentOf(synthesis, phase);

      // Assert
      expect(environment).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'Baton', BATON_EVENT_BUS_NAME: 'default' });
    });

    it.each(NOTIFYING_PHASES)('gives %s the topic and the ARN of the chat webhook secret', (phase) => {
      // Act
      const environment = environmentOf(synthesis, phase);

      // Assert
      expect(environment).toMatchObject({ BATON_TOPIC_ARN: { Ref: topic }, BATON_CHAT_WEBHOOK_SECRET_ARN: WEBHOOK_SECRET_ARN });
    });

    it('gives the topic and the webhook secret to no other phase', () => {
      // Act
      const others = ALL_PHASES.filter((phase) => !NOTIFYING_PHASES.includes(phase)).filter((phase) => {
        const environment = environmentOf(synthesis, phase);
        return 'BATON_TOPIC_ARN' in environment || 'BATON_CHAT_WEBHOOK_SECRET_ARN' in environment;
      });

      // Assert
      expect(others).toEqual([]);
    });

    it('gives only requestApproval the approval timeout', () => {
      // Act
      const withTimeout = ALL_PHASES.filter((phase) => 'BATON_APPROVAL_TIMEOUT_SECONDS' in environmentOf(synthesis, phase));

      // Assert
      expect(withTimeout).toEqual(['requestApproval']);
      expect(environmentOf(synthesis, 'requestApproval').BATON_APPROVAL_TIMEOUT_SECONDS).toBe('3600');
    });

    it('never puts the webhook URL into the template or the cloud assembly, only the secret ARN', () => {
      // Arrange
      const url = exampleWebhookUrl();
      const assembly = readdirSync(synthesis.outdir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
        .join('\n');

      // Act
      const template = JSON.stringify(synthesis.template.toJSON());

      // Assert
      expect(url).toContain('hooks.chat.example.com');
      expect(template).toContain(WEBHOOK_SECRET_ARN);
      expect(template).not.toContain('hooks.chat.example.com');
      expect(template).not.toContain(url);
      expect(assembly).not.toContain('hooks.chat.example.com');
    });
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

    it('lets no role but complete, rollback, recordFailure, recover, backstop, unwindRelease and finishRelease publish to SNS or use KMS', () => {
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

describe('observability of the stack with an existing topic (pipeline.notifications.snsTopicArn)', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    synthesis = synth(BatonConfigSchema.parse(withExistingTopic()));
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
    expect(alarms).toHaveLength(5);
    expect(alarms.map((alarm) => alarm.Properties.AlarmActions)).toEqual(Array(5).fill([EXISTING_TOPIC_ARN]));
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
