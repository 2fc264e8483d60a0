/** Colour: on a terminal only, off with NO_COLOR (any non-empty value) or --no-color, never in a pipe or in JSON. */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeploymentRecord } from '../../../lambdas/shared/records/deployment.ts';
import { runCli } from '../../support/cli.ts';
import { dynamoMock, resetMocks, WAITING_RECORD } from '../../support/cli-clients.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/config.ts';

const ITEMS: DeploymentRecord[] = [
  { ...WAITING_RECORD, deploymentId: 'web-c', startedAt: '2026-11-24T10:00:00.000Z', imageTag: 'v3' },
  {
    ...WAITING_RECORD,
    deploymentId: 'web-b',
    startedAt: '2026-11-23T10:00:00.000Z',
    imageTag: 'v2',
    status: 'ROLLED_BACK',
    endedAt: '2026-11-23T10:01:00.000Z',
  },
  {
    ...WAITING_RECORD,
    deploymentId: 'web-a',
    startedAt: '2026-11-22T10:00:00.000Z',
    imageTag: 'v1',
    status: 'SUCCEEDED',
    endedAt: '2026-11-22T10:01:00.000Z',
  },
];

const PLAIN = [
  'STARTED                   DEPLOYMENT  IMAGE  STATUS          TOOK  REASON',
  '2026-11-24T10:00:00.000Z  web-c       v3     IN_PROGRESS  running',
  '2026-11-23T10:00:00.000Z  web-b       v2     ROLLED_BACK    1m00s',
  '2026-11-22T10:00:00.000Z  web-a       v1     SUCCEEDED      1m00s',
  '',
].join('\n');

/** The same lines with each status in its colour: yellow under way, red rolled back, green succeeded; the padding plain. */
const COLOURED = [
  'STARTED                   DEPLOYMENT  IMAGE  STATUS          TOOK  REASON',
  '2026-11-24T10:00:00.000Z  web-c       v3     \u001b[33mIN_PROGRESS\u001b[39m  running',
  '2026-11-23T10:00:00.000Z  web-b       v2     \u001b[31mROLLED_BACK\u001b[39m    1m00s',
  '2026-11-22T10:00:00.000Z  web-a       v1     \u001b[32mSUCCEEDED\u001b[39m      1m00s',
  '',
].join('\n');

beforeEach(() => {
  resetMocks();
  vi.stubEnv('NO_COLOR', undefined);
  dynamoMock.on(QueryCommand).resolves({ Items: ITEMS });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function history(tty: boolean, ...args: string[]) {
  return runCli(EXAMPLE_CONFIG_PATH, ['history', 'web', ...args], { tty });
}

describe('baton colour', () => {
  it('colours the statuses on a terminal', async () => {
    // Act
    const result = await history(true);

    // Assert
    expect(result).toMatchObject({ code: 0, out: COLOURED, err: '' });
  });

  it('colours on a terminal when NO_COLOR is set but empty', async () => {
    // Arrange
    vi.stubEnv('NO_COLOR', '');

    // Act
    const result = await history(true);

    // Assert
    expect(result.out).toBe(COLOURED);
  });

  it.each([['1'], ['true'], ['0']])('does not colour on a terminal with NO_COLOR=%s', async (value) => {
    // Arrange
    vi.stubEnv('NO_COLOR', value);

    // Act
    const result = await history(true);

    // Assert
    expect(result).toMatchObject({ code: 0, out: PLAIN, err: '' });
  });

  it('does not colour on a terminal with --no-color', async () => {
    // Act
    const result = await history(true, '--no-color');

    // Assert
    expect(result).toMatchObject({ code: 0, out: PLAIN, err: '' });
  });

  it('does not colour in a pipe', async () => {
    // Act
    const result = await history(false);

    // Assert
    expect(result).toMatchObject({ code: 0, out: PLAIN, err: '' });
  });

  it('does not colour JSON on a terminal', async () => {
    // Act
    const result = await history(true, '--json');

    // Assert
    expect(result.out).not.toContain('\u001b');
    // The records' view (cli/views.ts): the approval task token never leaves the table.
    expect(JSON.parse(result.out)).toEqual(ITEMS.map(({ approvalToken: _token, ...view }) => view));
  });
});
