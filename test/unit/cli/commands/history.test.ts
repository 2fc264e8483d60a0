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

  it('prints a header and columns as wide as their widest value, durations on the right', async () => {
    // Arrange: tags, statuses, durations and reasons of different widths; one still running, one by digest
    const items: DeploymentRecord[] = [
      { ...WAITING_RECORD, deploymentId: 'web-v10_0_0-20261124T100000Z', imageTag: 'v10.0.0-rc.1', startedAt: '2026-11-24T10:00:00.000Z' },
      {
        ...WAITING_RECORD,
        deploymentId: 'web-v1-20261123T090000Z',
        imageTag: 'v1',
        status: 'SUCCEEDED',
        startedAt: '2026-11-23T09:00:00.000Z',
        endedAt: '2026-11-23T10:05:00.000Z',
        outcomeReason: 'all gates passed',
      },
      {
        ...WAITING_RECORD,
        deploymentId: 'web-2b41c8a0f2e6-20261120',
        imageTag: undefined,
        imageDigest: 'sha256:2b41',
        status: 'ROLLBACK_FAILED',
        startedAt: '2026-11-20T10:15:00.000Z',
        endedAt: '2026-11-20T10:15:09.000Z',
        outcomeReason: 'alarm web-5xx-rate fired',
      },
    ];
    dynamoMock.on(QueryCommand).resolves({ Items: items });

    // Act
    const result = await baton('history', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toBe(
      [
        'STARTED                   DEPLOYMENT                    IMAGE         STATUS              TOOK  REASON',
        '2026-11-24T10:00:00.000Z  web-v10_0_0-20261124T100000Z  v10.0.0-rc.1  IN_PROGRESS      running',
        '2026-11-23T09:00:00.000Z  web-v1-20261123T090000Z       v1            SUCCEEDED          1h05m  all gates passed',
        '2026-11-20T10:15:00.000Z  web-2b41c8a0f2e6-20261120     sha256:2b41   ROLLBACK_FAILED    0m09s  alarm web-5xx-rate fired',
        '',
      ].join('\n'),
    );
  });

  it('says so when the service has no deployments recorded', async () => {
    // Arrange
    dynamoMock.on(QueryCommand).resolves({ Items: [] });

    // Act
    const result = await baton('history', 'web');

    // Assert
    expect(result).toMatchObject({ code: 0, out: 'no deployments of web recorded\n', err: '' });
  });
});
