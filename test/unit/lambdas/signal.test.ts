/**
 * signal: EventBridge's CloudWatch "Alarm State Change" and ECS "Task State
 * Change" events become a signal on the lock of every service they concern
 * (lambdas/signal/index.ts); a service nobody deploys has no lock item and
 * gets nothing; an event out of contract is refused naming the field.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ContractViolationError } from '../../../lambdas/shared/errors.ts';
import { handler } from '../../../lambdas/signal/index.ts';
import { conditionFailed, failure, rejectByDefault } from '../../support/aws.ts';
import { THREE_SERVICES_CONFIG_PATH } from '../../support/config.ts';
import { lockItem } from '../../support/items.ts';
import { ACCOUNT, REGION } from '../../support/state.ts';

const AT = '2025-03-04T10:02:00Z';
const TASK_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod/0f9e8d7c6b5a49382716`;
const deploymentIdOf = (service: string) => `${service}-20250304-100000-7f3a`;

/** The three-service example, worker also watching api's error rate (it calls api). */
function config(): string {
  const raw = JSON.parse(readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8')) as { services: Array<{ name: string; alarms: string[] }> };
  for (const service of raw.services) if (service.name === 'worker') service.alarms = [...service.alarms, 'api-5xx-rate'];
  return JSON.stringify(raw);
}

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html */
function alarmEvent(alarmName: string, value: string): Record<string, unknown> {
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: ACCOUNT,
    time: AT,
    region: REGION,
    resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value, reason: 'Threshold Crossed: 1 datapoint [12.5] was greater than the threshold (5.0).', timestamp: AT },
      previousState: { value: 'OK', reason: '', timestamp: '2025-03-04T09:00:00Z' },
    },
  };
}

/** https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html */
function taskEvent(fields: { cluster?: string; group?: string; lastStatus?: string } = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '3317b2af-7005-947d-b652-f55e762e571a',
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: ACCOUNT,
    time: AT,
    region: REGION,
    resources: [TASK_ARN],
    detail: {
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${fields.cluster ?? 'prod'}`,
      taskArn: TASK_ARN,
      group: fields.group ?? 'service:web-green',
      lastStatus: fields.lastStatus ?? 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
    },
  };
}

describe('signal', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  /** The signals written, by lock. */
  function written(): Array<[unknown, unknown]> {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .map((input) => [input.Key?.pk, input.ExpressionAttributeValues?.[':signal']]);
  }

  beforeEach(() => {
    // Arrange (shared): every service's lock is held by a deployment of it.
    vi.stubEnv('BATON_CONFIG', config());
    rejectByDefault(dynamoMock);
    dynamoMock.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
      const service = String(input.Key?.pk).replace('LOCK#', '');
      return { Attributes: { ...input.Key, ...lockItem({ service, deploymentId: deploymentIdOf(service) }) } };
    });
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('records an alarm entering ALARM on the lock of every service that lists it', async () => {
    // Act
    const result = await handler(alarmEvent('api-5xx-rate', 'ALARM'));

    // Assert
    const signal = {
      kind: 'alarm',
      subject: 'api-5xx-rate',
      at: AT,
      reason: 'Threshold Crossed: 1 datapoint [12.5] was greater than the threshold (5.0).',
    };
    expect(result).toEqual({ signalled: ['api', 'worker'], idle: [] });
    expect(written()).toEqual([
      ['LOCK#api', signal],
      ['LOCK#worker', signal],
    ]);
  });

  it.each(['OK', 'INSUFFICIENT_DATA'])('records nothing for an alarm entering %s', async (value) => {
    // Act
    const result = await handler(alarmEvent('api-5xx-rate', value));

    // Assert
    expect(result).toEqual({ signalled: [], idle: [] });
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('records nothing for an alarm no service lists', async () => {
    // Act
    const result = await handler(alarmEvent('billing-estimated-charges', 'ALARM'));

    // Assert
    expect(result).toEqual({ signalled: [], idle: [] });
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('records a stopped task of web-green in cluster prod on the lock of web, with its ECS service', async () => {
    // Act
    const result = await handler(taskEvent());

    // Assert
    expect(result).toEqual({ signalled: ['web'], idle: [] });
    expect(written()).toEqual([
      [
        'LOCK#web',
        {
          kind: 'task',
          subject: TASK_ARN,
          serviceName: 'web-green',
          at: AT,
          reason: 'EssentialContainerExited: Essential container in task exited',
        },
      ],
    ]);
  });

  it.each([
    ['of a cluster no service runs in', { cluster: 'staging' }],
    ['started by no service (a standalone task)', { group: 'family:web' }],
    ['that is still running', { lastStatus: 'RUNNING' }],
    ['of an ECS service no config lists', { group: 'service:reports-green' }],
  ])('records nothing for a task %s', async (_name, fields) => {
    // Act
    const result = await handler(taskEvent(fields));

    // Assert
    expect(result).toEqual({ signalled: [], idle: [] });
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('reports a service nobody deploys as idle: its lock item does not exist, and nothing is created', async () => {
    // Arrange: worker's lock is free
    dynamoMock.on(UpdateCommand, { Key: { pk: 'LOCK#worker', sk: 'LOCK' } }).rejects(conditionFailed());

    // Act
    const result = await handler(alarmEvent('api-5xx-rate', 'ALARM'));

    // Assert
    expect(result).toEqual({ signalled: ['api'], idle: ['worker'] });
    expect(dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input.ConditionExpression)).toEqual([
      'attribute_exists(deploymentId)',
      'attribute_exists(deploymentId)',
    ]);
  });

  it.each([
    [
      'an alarm event without its alarm name',
      { ...alarmEvent('api-5xx-rate', 'ALARM'), detail: { state: { value: 'ALARM' } } },
      'detail.alarmName: required (string)',
    ],
    [
      'a task event without its task',
      { ...taskEvent(), detail: { clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod', lastStatus: 'STOPPED' } },
      'detail.taskArn: required (string)',
    ],
    [
      'an event of another source',
      { ...alarmEvent('api-5xx-rate', 'ALARM'), source: 'aws.s3' },
      "source: Invalid discriminator value. Expected 'aws.cloudwatch' | 'aws.ecs'",
    ],
  ])('refuses %s with ContractViolationError naming the field', async (_name, event, problem) => {
    // Act
    const error = await failure(handler(event));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error.message).toBe(`signal received a payload out of contract: ${problem}`);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });
});
