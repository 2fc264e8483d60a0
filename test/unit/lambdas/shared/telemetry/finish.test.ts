import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type TerminalStatus, TerminalStatusSchema } from '../../../../../lambdas/shared/contract.ts';
import type { DeploymentRecord } from '../../../../../lambdas/shared/records/deployment.ts';
import type { DeploymentEventDetail } from '../../../../../lambdas/shared/telemetry/events.ts';
import { finishDeployment } from '../../../../../lambdas/shared/telemetry/finish.ts';
import { summarize } from '../../../../../lambdas/shared/telemetry/notify.ts';
import { conditionFailed, failure, rejectByDefault, updatedFields } from '../../../../support/aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NEW_DIGEST, NEW_TAG, NOW, STARTED_AT } from '../../../../support/state.ts';
import { captureMetrics, type EmfLine, metricNames } from '../../../../support/telemetry.ts';

const TABLE = 'baton-test-deployments';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const BUS = 'baton-production-events';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`;
const REASON = 'v1.4.2 live on green (web-green) after a 300 s bake';

const BASE: DeploymentRecord = {
  deploymentId: DEPLOYMENT_ID,
  service: 'web',
  status: 'IN_PROGRESS',
  executionArn: EXECUTION_ARN,
  startedAt: STARTED_AT,
  trigger: 'cli',
  imageTag: NEW_TAG,
  imageDigest: NEW_DIGEST,
};

/** The count metric of each terminal outcome. */
const OUTCOME_METRIC_ROWS = [
  ['SUCCEEDED', 'DeploymentSucceeded'],
  ['ROLLED_BACK', 'DeploymentRolledBack'],
  ['ROLLBACK_FAILED', 'DeploymentRollbackFailed'],
  ['REJECTED', 'DeploymentRejected'],
  ['DUPLICATE', 'DeploymentDuplicate'],
  ['SUPERSEDED', 'DeploymentSuperseded'],
  ['QUEUED', 'DeploymentQueued'],
] as const;

/** What the update returns with ReturnValues ALL_NEW: the record as the update left it. */
function allNew(input: UpdateCommandInput) {
  return { Attributes: { ...RECORD_KEY, ...updatedFields(input) } };
}

describe('finishDeployment', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const eventsMock = mockClient(EventBridgeClient);
  const snsMock = mockClient(SNSClient);
  let metrics: EmfLine[];

  beforeEach(() => {
    // Arrange (shared): the record is in progress until the first update ends it; bus and topic configured.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    vi.stubEnv('BATON_EVENT_BUS_NAME', BUS);
    vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
    vi.stubEnv('BATON_CHAT_WEBHOOK_SECRET_ARN', undefined);
    rejectByDefault(dynamoMock, eventsMock, snsMock);
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).callsFakeOnce(allNew).rejects(conditionFailed());
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    snsMock.on(PublishCommand, { TopicArn: TOPIC_ARN }).resolves({ MessageId: 'm-1' });
    metrics = captureMetrics();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('ends the record with an update conditional on it still running that returns the whole record', async () => {
    // Arrange: the record is in progress (beforeEach).

    // Act
    await finishDeployment(BASE, { status: 'SUCCEEDED', outcomeReason: REASON });

    // Assert
    const [update] = dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(update).toMatchObject({
      TableName: TABLE,
      Key: RECORD_KEY,
      ConditionExpression: 'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      ReturnValues: 'ALL_NEW',
    });
    expect(update?.ExpressionAttributeNames?.['#f_status']).toBe('status');
    expect(update?.ExpressionAttributeValues?.[':running']).toBe('IN_PROGRESS');
    expect(updatedFields(update)).toEqual({
      gsi1pk: 'SERVICE#web',
      gsi1sk: `${STARTED_AT}#${DEPLOYMENT_ID}`,
      ...BASE,
      status: 'SUCCEEDED',
      outcomeReason: REASON,
      evidence: [],
      warnings: [],
      endedAt: NOW,
      expiresAt: Math.floor(Date.parse(NOW) / 1000) + 400 * 86_400,
    });
  });

  it('lets a rollback that succeeds end a record that says ROLLBACK_FAILED, and announces it', async () => {
    // Arrange: the update passes (beforeEach), as it does over ROLLBACK_FAILED with this condition.

    // Act
    await finishDeployment(BASE, { status: 'ROLLED_BACK', outcomeReason: 'GateFailedError: alarm web-5xx-rate is ALARM' });

    // Assert
    const [update] = dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(update?.ConditionExpression).toBe(
      'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running OR #f_owner = :owner AND #f_started = :started AND #f_status = :rollbackFailed',
    );
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':running': 'IN_PROGRESS', ':rollbackFailed': 'ROLLBACK_FAILED' });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { Subject: `Baton: web ${NEW_TAG} ROLLED_BACK` });
  });

  it('announces the outcome once: the metrics, the event and the notification, and nothing on a second call', async () => {
    // Arrange: the first update ends the record, the second fails its condition (beforeEach).
    const detail: DeploymentEventDetail = {
      deploymentId: DEPLOYMENT_ID,
      service: 'web',
      executionArn: EXECUTION_ARN,
      status: 'SUCCEEDED',
      image: NEW_TAG,
      startedAt: STARTED_AT,
      endedAt: NOW,
      durationSeconds: 2,
      reason: REASON,
      evidence: ['bake: 300 s without an alarm'],
      consoleUrl: CONSOLE_URL,
      trigger: 'cli',
    };

    // Act
    await finishDeployment(BASE, { status: 'SUCCEEDED', outcomeReason: REASON, evidence: ['bake: 300 s without an alarm'] });
    await finishDeployment(BASE, { status: 'SUCCEEDED', outcomeReason: REASON, evidence: ['bake: 300 s without an alarm'] });

    // Assert
    expect(dynamoMock).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(eventsMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            Source: 'baton',
            DetailType: 'Baton Deployment Finished',
            Detail: JSON.stringify(detail),
            EventBusName: BUS,
            Resources: [EXECUTION_ARN],
          },
        ],
      },
    ]);
    const { subject, text } = summarize(detail);
    expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      { TopicArn: TOPIC_ARN, Subject: subject, Message: text },
    ]);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'Baton',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'DeploymentSucceeded', Unit: 'Count' },
              { Name: 'DeploymentDuration', Unit: 'Seconds' },
            ],
          },
        ],
      },
      service: 'web',
      deploymentId: DEPLOYMENT_ID,
      DeploymentSucceeded: 1,
      DeploymentDuration: 2,
    });
  });

  it('announces nothing when the record had already ended', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).rejects(conditionFailed());

    // Act
    await finishDeployment(BASE, { status: 'ROLLED_BACK', outcomeReason: 'GateFailedError: alarm web-5xx-rate is ALARM' });

    // Assert
    expect(dynamoMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(eventsMock).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
    expect(metrics).toEqual([]);
  });

  it('throws a failure of the update other than its condition and announces nothing', async () => {
    // Arrange
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ProvisionedThroughputExceededException',
    });
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).rejects(throttled);

    // Act
    const error = await failure(finishDeployment(BASE, { status: 'SUCCEEDED', outcomeReason: REASON }));

    // Assert
    expect(error).toBe(throttled);
    expect(eventsMock).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('names the image by digest when the record has no tag, cut to 12 hex digits in the subject', async () => {
    // Arrange
    const { imageTag: _tag, ...byDigest } = BASE;

    // Act
    await finishDeployment(byDigest, { status: 'REJECTED', outcomeReason: 'ImageNotFoundError: not found' });

    // Assert
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(JSON.parse(entry?.Detail ?? '')).toMatchObject({
      status: 'REJECTED',
      image: NEW_DIGEST,
      reason: 'ImageNotFoundError: not found',
    });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { Subject: 'Baton: web sha256:a1a1a1a1a1a1 REJECTED' });
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message).toContain(`image: ${NEW_DIGEST}\n`);
  });

  it('links the alarms and stopped tasks the outcome names, from what the state knows of the service, in event and message', async () => {
    // Arrange
    const reason = 'GateFailedError: gate failed during the bake of green at 100 %: alarm web-5xx-rate is ALARM (Threshold Crossed)';
    const alarmUrl = 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web-5xx-rate';

    // Act
    await finishDeployment(
      BASE,
      { status: 'ROLLED_BACK', outcomeReason: reason, evidence: ['failed in: Check bake', `signal: ${reason}`] },
      { cluster: 'prod', alarms: ['web-5xx-rate', 'web-p99-latency'] },
    );

    // Assert
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(JSON.parse(entry?.Detail ?? '').links).toEqual([{ label: 'alarm web-5xx-rate', url: alarmUrl }]);
    const message = snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
    expect(message.split('\n').slice(-2)).toEqual([`execution: ${CONSOLE_URL}`, `alarm web-5xx-rate: ${alarmUrl}`]);
    expect(message.split(reason)).toHaveLength(2);
  });

  it.each(OUTCOME_METRIC_ROWS)('counts a %s outcome as %s, with the deployment duration', async (status, metric) => {
    // Arrange: the record is in progress (beforeEach).

    // Act
    await finishDeployment(BASE, { status, outcomeReason: 'r' });

    // Assert
    expect(metricNames(metrics)).toEqual([metric, 'DeploymentDuration']);
    expect(metrics[0]).toMatchObject({ [metric]: 1, DeploymentDuration: 2 });
    expect(JSON.parse(eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '')).toMatchObject({ status });
  });

  it('has an outcome metric row for every terminal status', () => {
    // Arrange
    const covered: TerminalStatus[] = OUTCOME_METRIC_ROWS.map(([status]) => status);

    // Act
    const statuses = TerminalStatusSchema.options;

    // Assert
    expect([...statuses].sort()).toEqual([...covered].sort());
  });
});
