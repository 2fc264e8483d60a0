/** The command table: what `baton` does before any command runs (help, an unknown command, extra arguments). */
import { beforeEach, describe, expect, it } from 'vitest';
import { baton, dynamoMock, resetMocks, sfnMock } from '../../support/cli-clients.ts';

beforeEach(resetMocks);

const COMMANDS = ['deploy', 'release', 'status', 'watch', 'approve', 'reject', 'abort', 'rollback', 'unlock', 'history'];

describe('baton', () => {
  it('lists every command of the table with its summary, and exits 2 without a command (0 with --help)', async () => {
    // Act
    const bare = await baton();
    const help = await baton('--help');

    // Assert
    expect(bare.code).toBe(2);
    expect(help.code).toBe(0);
    expect(bare.out).toBe(help.out);
    const listed = help.out.split('Commands:\n')[1]?.split('\n\n')[0]?.split('\n') ?? [];
    expect(listed.map((line) => line.trim().split(' ')[0])).toEqual(COMMANDS);
    expect(help.out).toContain("  history   a service's deployments, newest first\n");
  });

  it('refuses an unknown command as a usage error naming the commands, without calling AWS', async () => {
    // Act
    const result = await baton('frobnicate', 'web');

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      `baton: unknown command "frobnicate" (commands: ${COMMANDS.join(', ')})\nRun "baton --help" or "baton <command> --help".\n`,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('refuses a second argument', async () => {
    // Act
    const result = await baton('status', 'web', 'api');

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toContain('baton: status: unexpected argument "api"\n');
  });

  it("opens a command's help with its usage and its summary as a sentence", async () => {
    // Act
    const result = await baton('watch', '--help');

    // Assert
    expect(result.code).toBe(0);
    expect(
      result.out.startsWith(
        'baton watch <service> [--interval <seconds>]\n\nLive view of the running deployment: phases, traffic split, elapsed time.\n\n',
      ),
    ).toBe(true);
    expect(result.out).toContain('Global options:\n');
  });
});
