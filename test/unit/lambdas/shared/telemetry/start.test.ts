/**
 * The start announcement: its exact subject and text, and that Prepare's
 * retries announce it once (the record's announcedStart flag), a dry run never.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ValidatedState, ValidatedStateSchema } from '../../../../../lambdas/shared/stages.ts';
import { summarizeStart } from '../../../../../lambdas/shared/telemetry/notify.ts';
import { announceStart, startAnnouncement } from '../../../../../lambdas/shared/telemetry/start.ts';
import { conditionFailed, rejectByDefault, updatedFields } from '../../../../support/aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NEW_DIGEST, NOW, STARTED_AT, stateAfter } from '../../../../support/state.ts';

const TABLE = 'baton-test-deployments';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`;

/** The example's web service after validate, deploying v1.4.2 as a canary that waits for approval. */
function canary(fields: Partial<ValidatedState> = {}): ValidatedState {
  const state = ValidatedStateSchema.parse(stateAfter('validate'));
  return {
    ...state,
    strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
    bakeSeconds: 600,
    approval: { required: true },
    request: { ...state.request, requestedBy: 'alice@example.com', reason: 'fix checkout totals' },
    ...fields,
  };
}

describe('summarizeStart', () => {
  it('names service, tag and strategy in the subject; who asked, why, the plan and what to do in the text', () => {
    // Arrange: canary() as above.

    // Act
    const summary = summarizeStart(startAnnouncement(canary()));

    // Assert
    expect(summary).toEqual({
      subject: 'Baton: web v1.4.2 deploying (canary 10 % for 5 min)',
      text: [
        'web: DEPLOYING',
        'image: v1.4.2',
        `deployment: ${DEPLOYMENT_ID}`,
        'trigger: cli',
        'requested by: alice@example.com',
        'why: fix checkout totals',
        'strategy: canary 10 % for 5 min; then a 10 min bake; waits for "baton approve web" before traffic moves',
        'colours: web-green takes production traffic from web-blue',
        'next: follow it with "baton watch web"; stop it and roll back with "baton abort web --reason <why>"',
        `execution: ${CONSOLE_URL}`,
      ].join('\n'),
    });
  });

  it('names an untagged image by its short digest, and says what a rollback and a release service restore and belong to', () => {
    // Arrange
    const state = canary({
      strategy: { type: 'all-at-once' },
      bakeSeconds: 0,
      approval: { required: false },
      restore: { deploymentId: 'web-20250301-090000-aaaa', taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:39' },
      releaseId: 'spring-1',
    });
    const { tag: _tag, ...untagged } = state.image;
    const { requestedBy: _by, reason: _why, ...request } = state.request;

    // Act
    const summary = summarizeStart(startAnnouncement({ ...state, image: untagged, request: { ...request, trigger: 'console' } }));

    // Assert
    expect(summary).toEqual({
      subject: 'Baton: web sha256:a1a1a1a1a1a1 deploying (all-at-once)',
      text: [
        'web: DEPLOYING',
        `image: ${NEW_DIGEST}`,
        `deployment: ${DEPLOYMENT_ID}`,
        'release: spring-1',
        'restores: the revision of deployment web-20250301-090000-aaaa',
        'trigger: console',
        'strategy: all-at-once',
        'colours: web-green takes production traffic from web-blue',
        'next: follow it with "baton watch web"; stop it and roll back with "baton abort web --reason <why>"',
        `execution: ${CONSOLE_URL}`,
      ].join('\n'),
    });
  });

  it.each([
    [{ type: 'linear', stepPercent: 25, intervalSeconds: 3600 }, 'Baton: web v1.4.2 deploying (linear 25 % every 1 h)'],
    [
      {
        type: 'steps',
        steps: [
          { weight: 10, pauseSeconds: 60 },
          { weight: 50, pauseSeconds: 60 },
        ],
      },
      'Baton: web v1.4.2 deploying (steps 10/50)',
    ],
  ] as const)('words the strategy %j in the subject', (strategy, subject) => {
    // Act
    const summary = summarizeStart(startAnnouncement(canary({ strategy: structuredClone(strategy) as ValidatedState['strategy'] })));

    // Assert
    expect(summary.subject).toBe(subject);
  });
});

describe('announceStart', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const snsMock = mockClient(SNSClient);

  beforeEach(() => {
    // Arrange (shared): the first claim of the record's flag passes, any later one fails its condition.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
    vi.stubEnv('BATON_CHAT_WEBHOOK_SECRET_ARN', undefined);
    rejectByDefault(dynamoMock, snsMock);
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolvesOnce({}).rejects(conditionFailed());
    snsMock.on(PublishCommand, { TopicArn: TOPIC_ARN }).resolves({ MessageId: 'm-1' });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('sets the flag on the record only if unset and only for its execution, then publishes; a retry publishes nothing', async () => {
    // Arrange: canary().
    const state = canary();

    // Act
    await announceStart(state);
    await announceStart(state);

    // Assert
    const [claim] = dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(claim?.ConditionExpression).toBe('#owner = :owner AND #started = :started AND attribute_not_exists(#unless)');
    expect(claim?.ExpressionAttributeNames).toMatchObject({ '#unless': 'announcedStart' });
    expect(claim?.ExpressionAttributeValues).toMatchObject({ ':owner': EXECUTION_ARN, ':started': STARTED_AT });
    expect(updatedFields(claim)).toEqual({ announcedStart: NOW });
    expect(dynamoMock).toHaveReceivedCommandTimes(UpdateCommand, 2);
    const { subject, text } = summarizeStart(startAnnouncement(state));
    expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      { TopicArn: TOPIC_ARN, Subject: subject, Message: text },
    ]);
  });

  it('announces nothing for a dry run and leaves the record alone', async () => {
    // Arrange
    const state = canary();

    // Act
    await announceStart({ ...state, request: { ...state.request, dryRun: true } });

    // Assert
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('throws a failure of the flag update other than its condition, before publishing anything', async () => {
    // Arrange
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).rejects(throttled);

    // Act
    const announced = announceStart(canary());

    // Assert
    await expect(announced).rejects.toBe(throttled);
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });
});
