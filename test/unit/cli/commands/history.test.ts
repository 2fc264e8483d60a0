/** `baton history`: a service's records, newest first. */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../../../lambdas/shared/records/deployment.ts';
import { baton, dynamoMock, resetMocks, TABLE, WAITING_RECORD } from '../../../support/cli-clients.ts';

beforeEach(resetMocks);

describe('baton history', () => {
  it('queries the byService index newest first and prints the records as a JSON array', async () => {
    // Arrange
    const items: DeploymentRecord[] = [
      { ...WAITING_RECORD, status: 'SUCCEEDED', awaitingApproval: false, endedAt: '2026-11-23T09:12:00.000Z' },
      {
        deploymentId: 'web-v1_4_1-20261120T101500Z',
        service: 'web',
        status: 'ROLLED_BACK',
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_1-20261120T101500Z',
        startedAt: '2026-11-20T10:15:00.000Z',
        trigger: 'ecr',
        endedAt: '2026-11-20T10:21:00.000Z',
        imageTag: 'v1.4.1',
        outcomeReason: 'alarm web-5xx-rate fired during the bake',
      },
    ];
    dynamoMock.on(QueryCommand).resolves({ Items: items });

    // Act
    const result = await baton('history', 'web', '--limit', '5', '--json');

    // Assert
    expect(result.code).toBe(0);
    expect(dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        IndexName: 'byService',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': 'SERVICE#web' },
        ScanIndexForward: false,
        Limit: 5,
      },
    ]);
    // The records' view (cli/views.ts): the approval task token never leaves the table.
    expect(JSON.parse(result.out)).toEqual(items.map(({ approvalToken: _token, ...view }) => view));
    expect(result.out.endsWith('\n')).toBe(true);
  });
});
