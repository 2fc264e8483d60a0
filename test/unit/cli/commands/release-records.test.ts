/** `baton release status <release>` by id, name or ARN, and `baton release history`: read from the release records. */
import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RELEASE_LOOKUP_LIMIT } from '../../../../cli/deployments.ts';
import type { ReleaseRecord } from '../../../../lambdas/shared/records/release.ts';
import { runCli } from '../../../support/cli.ts';
import { dynamoMock, RELEASE_ARN, RELEASE_ID, RELEASE_RECORD, resetMocks, sfnMock, TABLE } from '../../../support/cli-clients.ts';
import { THREE_SERVICES_CONFIG_PATH } from '../../../support/config.ts';

const RELEASE_KEY = { pk: `RELEASE#${RELEASE_ID}`, sk: 'RECORD' };

const RECORD: ReleaseRecord = {
  ...RELEASE_RECORD,
  status: 'ROLLED_BACK',
  endedAt: '2026-11-23T09:04:30.000Z',
  rolledBack: ['api'],
  untouched: ['web', 'worker'],
  outcomeReason: 'api failed verify',
};
const OLDER: ReleaseRecord = {
  ...RECORD,
  releaseId: 'release-2026-11-21_3-20261122T150000Z',
  release: '2026-11-21.3',
  executionArn: `${RELEASE_ARN.replace(RELEASE_ID, 'release-2026-11-21_3-20261122T150000Z')}`,
  status: 'SUCCEEDED',
  startedAt: '2026-11-22T15:00:00.000Z',
  endedAt: '2026-11-22T15:11:05.000Z',
  waves: [['api']],
  outcomeReason: 'release 2026-11-21.3 live: api v1.0.9',
};
/** As stored: with the index keys and the expiry, which no view prints. */
const stored = (record: ReleaseRecord) => ({
  pk: `RELEASE#${record.releaseId}`,
  sk: 'RECORD',
  gsi1pk: 'RELEASES',
  gsi1sk: `${record.startedAt}#${record.releaseId}`,
  expiresAt: 1_800_000_000,
  ...record,
});

function baton(...args: string[]) {
  return runCli(THREE_SERVICES_CONFIG_PATH, args);
}

beforeEach(() => {
  resetMocks();
  vi.stubEnv('NO_COLOR', undefined);
  dynamoMock.on(GetCommand).resolves({});
  sfnMock.on(DescribeExecutionCommand, { executionArn: RELEASE_ARN }).resolves({
    name: RELEASE_ID,
    status: 'FAILED',
    startDate: new Date(RECORD.startedAt),
    stopDate: new Date('2026-11-23T09:04:30.000Z'),
    input: JSON.stringify({ release: '2026-11-22.1', services: { api: { imageTag: 'v1.1.0' } } }),
  });
  sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** What `release status` prints of RECORD's execution: its view, the order, each service (none recorded here), the verdict. */
const SHOWN = [
  `  ${RELEASE_ID}  FAILED  4m30s elapsed`,
  'release 2026-11-22.1: api -> web + worker',
  '  api     not recorded  ',
  '  web     not recorded  ',
  '  worker  not recorded  ',
  'ROLLED_BACK: api failed verify',
  '  rolled back  api',
  '  untouched    web, worker',
  '',
].join('\n');

describe('baton release status', () => {
  it('finds a release by its id (GetItem of its record) and shows its execution', async () => {
    // Arrange
    dynamoMock.on(GetCommand, { Key: RELEASE_KEY }).resolves({ Item: stored(RECORD) });

    // Act
    const result = await baton('release', 'status', RELEASE_ID);

    // Assert
    expect(result).toMatchObject({ code: 0, err: '', out: SHOWN });
    expect(dynamoMock).not.toHaveReceivedCommand(QueryCommand);
  });

  it('finds the newest release of a name: a Query of the RELEASES partition newest first, filtered on the name, at most 500 read', async () => {
    // Arrange: no release has that id; the newest of that name is RECORD
    dynamoMock.on(GetCommand, { Key: RELEASE_KEY }).resolves({ Item: stored(RECORD) });
    dynamoMock.on(QueryCommand).resolves({ Items: [stored(RECORD)], ScannedCount: 3 });

    // Act
    const result = await baton('release', 'status', '2026-11-22.1');

    // Assert
    expect(result).toMatchObject({ code: 0, err: '', out: SHOWN });
    expect(dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        IndexName: 'byService',
        KeyConditionExpression: 'gsi1pk = :pk',
        FilterExpression: '#release = :name',
        ExpressionAttributeNames: { '#release': 'release' },
        ExpressionAttributeValues: { ':pk': 'RELEASES', ':name': '2026-11-22.1' },
        ScanIndexForward: false,
        Limit: RELEASE_LOOKUP_LIMIT,
      },
    ]);
  });

  it('reads on from where a page stopped, and stops after 500 releases read: not found, exit 3', async () => {
    // Arrange
    const next = { pk: 'RELEASE#x', sk: 'RECORD', gsi1pk: 'RELEASES', gsi1sk: 'x' };
    dynamoMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [], ScannedCount: 300, LastEvaluatedKey: next })
      .resolves({ Items: [], ScannedCount: 200, LastEvaluatedKey: next });

    // Act
    const result = await baton('release', 'status', '2026-01-01.9');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe(
      'baton: no release with id "2026-01-01.9", nor named so among the latest 500 releases; list them with "baton release history"\n',
    );
    const calls = dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.Limit, input.ExclusiveStartKey])).toEqual([
      [500, undefined],
      [200, next],
    ]);
  });

  it("shows the records alone when Step Functions no longer keeps the release's execution", async () => {
    // Arrange
    dynamoMock.on(GetCommand, { Key: RELEASE_KEY }).resolves({ Item: stored(RECORD) });
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: RELEASE_ARN })
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    // Act
    const result = await baton('release', 'status', RELEASE_ID);

    // Assert
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      [
        `${RELEASE_ID}  ROLLED_BACK  started 2026-11-23T09:00:00.000Z  (its execution is no longer kept)`,
        ...SHOWN.split('\n').slice(1),
      ].join('\n'),
    );
  });

  it('needs the release (exit 2)', async () => {
    // Act
    const result = await baton('release', 'status');

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toContain('release status: missing argument <release>\nUsage: baton release status <release>\n');
  });
});

describe('baton release history', () => {
  beforeEach(() => {
    dynamoMock.on(QueryCommand).resolves({ Items: [stored(RECORD), stored(OLDER)] });
  });

  it('lists the latest releases newest first, under a header, in aligned columns', async () => {
    // Act
    const result = await baton('release', 'history', '--limit', '5');

    // Assert
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toBe(
      [
        'STARTED                   RELEASE       ID                                     STATUS         TOOK  ORDER                REASON',
        `2026-11-23T09:00:00.000Z  2026-11-22.1  ${RELEASE_ID}  ROLLED_BACK   4m30s  api -> web + worker  api failed verify`,
        '2026-11-22T15:00:00.000Z  2026-11-21.3  release-2026-11-21_3-20261122T150000Z  SUCCEEDED    11m05s  api                  release 2026-11-21.3 live: api v1.0.9',
        '',
      ].join('\n'),
    );
    expect(dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        IndexName: 'byService',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': 'RELEASES' },
        ScanIndexForward: false,
        Limit: 5,
      },
    ]);
  });

  it('paints the statuses on a terminal', async () => {
    // Act
    const result = await runCli(THREE_SERVICES_CONFIG_PATH, ['release', 'history'], { tty: true });

    // Assert
    expect(result.out).toContain(`  \u001b[31mROLLED_BACK\u001b[39m   4m30s  `);
    expect(result.out).toContain(`  \u001b[32mSUCCEEDED\u001b[39m    11m05s  `);
  });

  it('prints the release views with --json: no table keys, no expiry', async () => {
    // Act
    const result = await baton('release', 'history', '--json');

    // Assert
    expect(JSON.parse(result.out)).toEqual([RECORD, OLDER]);
  });

  it('says when there are none', async () => {
    // Arrange
    dynamoMock.on(QueryCommand).resolves({ Items: [] });

    // Act
    const result = await baton('release', 'history');

    // Assert
    expect(result.out).toBe('no releases recorded\n');
  });
});

describe('baton release status and history help', () => {
  it('prints for "help release history" what "release history --help" prints', async () => {
    // Act
    const viaHelp = await baton('help', 'release', 'history');
    const viaOption = await baton('release', 'history', '--help');

    // Assert
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toBe(viaOption.out);
    expect(viaHelp.out.split('\n').slice(0, 3)).toEqual(['baton release history [--limit <n>]', '', 'The latest releases, newest first.']);
  });
});
