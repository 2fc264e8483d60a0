/** `baton status <service>`: the split production serves, read from the production listener with the CLI's own ELB client. */
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../support/cli.ts';
import {
  baton,
  DEPLOYMENT_ID,
  dynamoMock,
  elbMock,
  givenLock,
  givenWeights,
  LISTENER_ARN,
  resetMocks,
  WAITING_RECORD,
} from '../../../support/cli-clients.ts';
import { EXAMPLE_CONFIG_PATH } from '../../../support/config.ts';

beforeEach(() => {
  resetMocks();
  givenLock(undefined);
  dynamoMock.on(QueryCommand).resolves({ Items: [] });
});

describe('baton status of a service with nothing running', () => {
  it("shows the production listener's weights", async () => {
    // Arrange
    givenWeights(0, 100);

    // Act
    const human = await baton('status', 'web');
    const json = await baton('status', 'web', '--json');

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(DescribeListenersCommand, { ListenerArns: [LISTENER_ARN] });
    expect(human.out).toBe(
      [
        'web',
        '  no deployment running',
        '  traffic  blue    0 % ....................',
        '           green 100 % ####################',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(json.out)).toEqual({ service: 'web', traffic: { blue: 0, green: 100 }, running: null, last: null });
  });

  it('says why the weights are unknown when the listener cannot be read, and still exits 0', async () => {
    // Arrange
    const denied = Object.assign(new Error('User is not authorized to perform: elasticloadbalancing:DescribeListeners'), {
      name: 'AccessDenied',
    });
    elbMock.on(DescribeListenersCommand).rejects(denied);

    // Act
    const result = await baton('status', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      '  traffic  unknown (AccessDenied: User is not authorized to perform: elasticloadbalancing:DescribeListeners)\n',
    );
  });
});

describe('baton status in colour', () => {
  const record = {
    ...WAITING_RECORD,
    status: 'ROLLED_BACK' as const,
    awaitingApproval: false,
    outcomeReason: 'GateFailedError: gate failed',
    endedAt: '2026-11-23T09:10:00.000Z',
  };

  beforeEach(() => {
    vi.stubEnv('NO_COLOR', undefined);
    dynamoMock.on(QueryCommand).resolves({ Items: [record] });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("paints the last deployment's status on a terminal", async () => {
    // Act
    const result = await runCli(EXAMPLE_CONFIG_PATH, ['status', 'web'], { tty: true });

    // Assert
    expect(result.out).toContain(
      `  last: ${DEPLOYMENT_ID} \u001b[31mROLLED_BACK\u001b[39m (v1.4.2, started 2026-11-23T09:00:00.000Z): GateFailedError: gate failed\n`,
    );
  });

  it.each([
    ['in a pipe', [], false],
    ['with --no-color', ['--no-color'], true],
  ])('writes no colour %s', async (_name, args, tty) => {
    // Act
    const result = await runCli(EXAMPLE_CONFIG_PATH, ['status', 'web', ...args], { tty });

    // Assert
    expect(result.out).toContain(`  last: ${DEPLOYMENT_ID} ROLLED_BACK (v1.4.2`);
    expect(result.out).not.toContain('\u001b');
  });
});
