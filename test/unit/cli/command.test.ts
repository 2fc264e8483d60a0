/** The number options every command parses alike: --interval (at least 1 s, so no polling in a loop) and --limit. */
import { beforeEach, describe, expect, it } from 'vitest';
import { baton, dynamoMock, resetMocks, sfnMock } from '../../support/cli-clients.ts';

beforeEach(resetMocks);

const RUN_HELP = 'Run "baton --help" or "baton <command> --help".\n';

describe('baton number options', () => {
  it.each([
    ['watch', 'web', '--interval', '0'],
    ['watch', 'web', '--interval=-2'],
    ['watch', 'web', '--interval', '0.5'],
    ['watch', 'web', '--interval', 'soon'],
    ['watch', 'web', '--interval', ''],
    ['deploy', 'web', '--tag', 'v1.4.2', '--watch', '--interval', '0'],
    ['rollback', 'web', '--watch', '--interval', '0'],
  ])('refuses %s %s … %s %s as a usage error naming --interval and its range, without calling AWS', async (...args) => {
    // Act
    const result = await baton(...args);

    // Assert
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `baton: --interval: expected a number of seconds, at least 1; got "${args.at(-1)?.replace('--interval=', '')}"\n${RUN_HELP}`,
    );
    expect(result.sleeps).toEqual([]);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it.each([['0'], ['2.5'], ['-1'], ['all']])('refuses history --limit=%s as a usage error naming --limit and its range', async (limit) => {
    // Act
    const result = await baton('history', 'web', `--limit=${limit}`);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toBe(`baton: --limit: expected a whole number of deployments, at least 1; got "${limit}"\n${RUN_HELP}`);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });
});
