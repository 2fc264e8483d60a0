/** `baton status <execution-arn>`: the view read from DescribeExecution and the execution history. */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  baton,
  DEPLOYMENT_ID,
  dynamoMock,
  EXECUTION_ARN,
  givenRecord,
  givenWeights,
  RECORD_KEY,
  resetMocks,
  STATE_MACHINE_ARN,
  sfnMock,
  TABLE,
  WAITING_RECORD,
} from '../../../support/cli-clients.ts';

beforeEach(resetMocks);

describe('baton status of an execution ARN', () => {
  const INPUT = JSON.stringify({ service: 'web', imageTag: 'v1.4.2' });
  const startDate = new Date('2026-11-23T09:00:00.000Z');
  const stopDate = new Date('2026-11-23T09:02:30.000Z');
  const events: HistoryEvent[] = [
    { id: 1, timestamp: startDate, type: 'ExecutionStarted' },
    { id: 2, timestamp: startDate, type: 'PassStateEntered', stateEnteredEventDetails: { name: 'Receive request' } },
    { id: 3, timestamp: startDate, type: 'PassStateExited', stateExitedEventDetails: { name: 'Receive request', output: '{}' } },
    { id: 4, timestamp: startDate, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Initialize' } },
    {
      id: 5,
      timestamp: startDate,
      type: 'TaskStateExited',
      stateExitedEventDetails: { name: 'Initialize', output: '{"live":{"colour":"blue"}}' },
    },
    { id: 6, timestamp: startDate, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Shift traffic' } },
    {
      id: 7,
      timestamp: startDate,
      type: 'TaskStateExited',
      stateExitedEventDetails: { name: 'Shift traffic', output: JSON.stringify({ idle: { colour: 'green' }, traffic: { weight: 10 } }) },
    },
    { id: 8, timestamp: startDate, type: 'WaitStateEntered', stateEnteredEventDetails: { name: 'Wait between traffic steps' } },
  ];

  it("reports the current state, the Task states done and the listener's traffic split, not the last output's", async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      stateMachineArn: STATE_MACHINE_ARN,
      name: DEPLOYMENT_ID,
      status: 'ABORTED',
      input: INPUT,
      startDate,
      stopDate,
      error: 'AbortedByOperator',
      cause: 'aborted by alice',
    });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events });
    givenRecord(undefined);

    // Act
    const result = await baton('status', EXECUTION_ARN, '--json');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: EXECUTION_ARN });
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(GetExecutionHistoryCommand, {
      executionArn: EXECUTION_ARN,
      maxResults: 1000,
      includeExecutionData: true,
    });
    expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true });
    expect(JSON.parse(result.out)).toEqual({
      executionArn: EXECUTION_ARN,
      name: DEPLOYMENT_ID,
      status: 'ABORTED',
      startDate: '2026-11-23T09:00:00.000Z',
      stopDate: '2026-11-23T09:02:30.000Z',
      elapsedSeconds: 150,
      currentState: 'Wait between traffic steps',
      completed: ['Initialize', 'Shift traffic'],
      failed: [],
      image: 'v1.4.2',
      // The last output held green at 10 %; the rollback put production back on blue.
      traffic: { blue: 100, green: 0 },
      error: 'AbortedByOperator',
      cause: 'aborted by alice',
      record: null,
    });
  });

  it("prints the record's view: no approval task token, no table keys", async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ name: DEPLOYMENT_ID, status: 'RUNNING', input: INPUT, startDate });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events });
    dynamoMock.on(GetCommand, { Key: RECORD_KEY }).resolves({
      Item: { ...RECORD_KEY, gsi1pk: 'SERVICE#web', gsi1sk: `2026-11-23T09:00:00.000Z#${DEPLOYMENT_ID}`, expiresAt: 1, ...WAITING_RECORD },
    });

    // Act
    const result = await baton('status', EXECUTION_ARN, '--json');

    // Assert
    const { approvalToken: _token, ...view } = WAITING_RECORD;
    expect(JSON.parse(result.out).record).toEqual(view);
    expect(result.out).not.toContain(String(WAITING_RECORD.approvalToken));
  });

  it('reads every page of the execution history', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ name: DEPLOYMENT_ID, status: 'ABORTED', input: INPUT, startDate, stopDate });
    givenWeights(75, 25);
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: events.slice(0, 5), nextToken: 'page-2' })
      .resolvesOnce({ events: events.slice(5) });
    givenRecord(undefined);

    // Act
    const result = await baton('status', EXECUTION_ARN, '--json');

    // Assert
    expect(sfnMock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 2);
    expect(sfnMock).toHaveReceivedNthCommandWith(GetExecutionHistoryCommand, 2, { executionArn: EXECUTION_ARN, nextToken: 'page-2' });
    expect(JSON.parse(result.out)).toMatchObject({
      currentState: 'Wait between traffic steps',
      completed: ['Initialize', 'Shift traffic'],
      traffic: { blue: 75, green: 25 },
    });
  });
});
