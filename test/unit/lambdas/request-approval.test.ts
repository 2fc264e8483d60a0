import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { approvalWindowSeconds } from '../../../lambdas/request-approval/index.ts';
import { failure, isLeaseRenewal, isPhaseBookkeeping, rejectByDefault, updatedFields } from '../../support/aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NOW, stateAfter } from '../../support/state.ts';

const TABLE = 'baton-test-deployments';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
const TASK_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAXsample-token';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';

/**
 * The handler as a fresh cold start sees it: the approval window comes from
 * BATON_APPROVAL_TIMEOUT_SECONDS when the module loads.
 */
async function loadHandler(approvalTimeoutSeconds: string | undefined) {
  vi.stubEnv('BATON_APPROVAL_TIMEOUT_SECONDS', approvalTimeoutSeconds);
  vi.resetModules();
  const module = await import('../../../lambdas/request-approval/index.ts');
  return module.handler;
}

describe('request approval', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const snsMock = mockClient(SNSClient);

  /**
   * The lease renewals the wrapper sent after the phase wrote the record (the
   * wrapper may also check the lock before the phase runs).
   */
  function leaseRenewalsAfterThePhase() {
    const updates = dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    const phaseWrite = updates.findIndex((input) => !isPhaseBookkeeping(input));
    if (phaseWrite < 0) throw new Error('the phase wrote nothing to the record');
    return updates.slice(phaseWrite + 1).filter((input) => isLeaseRenewal(input));
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(dynamoMock);
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({});
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).resolves({});
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: LOCK_KEY }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('stores the task token in the record and marks it awaiting approval', async () => {
    // Arrange
    const handler = await loadHandler('3600');

    // Act
    const result = await handler({ taskToken: TASK_TOKEN, state: stateAfter('verify') });

    // Assert
    expect(result).toEqual({ requested: true });
    const updates = dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => !isPhaseBookkeeping(input));
    expect(updates).toHaveLength(1);
    expect(updates[0]?.Key).toEqual(RECORD_KEY);
    expect(updatedFields(updates[0])).toEqual({ approvalToken: TASK_TOKEN, approvalRequestedAt: NOW, awaitingApproval: true });
  });

  it('tells the outcomes topic who must approve, how and by when, without the task token', async () => {
    // Arrange
    vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
    const handler = await loadHandler('3600');
    const state = stateAfter('verify');

    // Act
    await handler({ taskToken: TASK_TOKEN, state });

    // Assert
    const published = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(published).toEqual([
      {
        TopicArn: TOPIC_ARN,
        Subject: `Baton: web ${state.image?.tag} waits for approval`,
        Message: [
          'web: WAITING FOR APPROVAL',
          `image: ${state.image?.tag}`,
          `deployment: ${DEPLOYMENT_ID}`,
          `trigger: ${state.request.trigger}`,
          `${state.idle.serviceName} is verified and takes no production traffic yet.`,
          `next: run "baton approve web" to shift traffic, or "baton reject web --reason <why>" to roll back, before ${new Date(Date.parse(NOW) + 3600_000).toISOString()}; after that it rolls back by itself`,
          `execution: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`,
        ].join('\n'),
      },
    ]);
    expect(JSON.stringify(published)).not.toContain(TASK_TOKEN);
  });

  it('renews the lease for 900 seconds beyond the approval window the stack configured', async () => {
    // Arrange
    const handler = await loadHandler('3600');

    // Act
    await handler({ taskToken: TASK_TOKEN, state: stateAfter('verify') });

    // Assert
    expect(leaseRenewalsAfterThePhase()).toEqual([
      {
        TableName: TABLE,
        Key: LOCK_KEY,
        UpdateExpression: 'SET leaseExpiresAt = :until, renewedAt = :now, renewedBy = :phase',
        ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
        ExpressionAttributeValues: {
          ':until': nowSeconds + 900 + 3600,
          ':now': NOW,
          ':phase': 'requestApproval',
          ':me': DEPLOYMENT_ID,
          ':execution': EXECUTION_ARN,
        },
      },
    ]);
  });

  it('renews the lease beyond the longest approval window the config allows (86400 s) when the stack did not say', async () => {
    // Arrange
    const handler = await loadHandler(undefined);

    // Act
    await handler({ taskToken: TASK_TOKEN, state: stateAfter('verify') });

    // Assert
    expect(leaseRenewalsAfterThePhase().map((input) => input.ExpressionAttributeValues?.[':until'])).toEqual([nowSeconds + 900 + 86_400]);
  });

  it('renews the lease for 900 seconds only when storing the token fails: no approval is awaited', async () => {
    // Arrange
    const handler = await loadHandler('3600');
    const denied = Object.assign(new Error('not authorized to perform: dynamodb:UpdateItem'), { name: 'AccessDeniedException' });
    dynamoMock
      .on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, ConditionExpression: '#owner = :owner AND #started = :started' })
      .rejects(denied);

    // Act
    const error = await failure(handler({ taskToken: TASK_TOKEN, state: stateAfter('verify') }));

    // Assert
    expect(error).toBe(denied);
    expect(leaseRenewalsAfterThePhase().map((input) => input.ExpressionAttributeValues?.[':until'])).toEqual([nowSeconds + 900]);
  });
});

describe('approvalWindowSeconds', () => {
  it.each<[string, string | undefined, number]>([
    ['a whole number of seconds', '3600', 3600],
    ['one second', '1', 1],
    ['nothing (the stack did not say)', undefined, 86_400],
    ['an empty string', '', 86_400],
    ['NaN', 'NaN', 86_400],
    ['a word', 'one hour', 86_400],
    ['zero', '0', 86_400],
    ['a negative number', '-5', 86_400],
    ['a fraction', '3600.5', 86_400],
  ])('reads %s as %i seconds', (_case, configured, expected) => {
    // Arrange: the configured value of the row.

    // Act
    const seconds = approvalWindowSeconds(configured);

    // Assert
    expect(seconds).toBe(expected);
  });
});
