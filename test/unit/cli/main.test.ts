/** The command table: what `baton` does before any command runs (help, an unknown command, extra arguments). */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { baton, dynamoMock, resetMocks, sfnMock } from '../../support/cli-clients.ts';

beforeEach(resetMocks);

const COMMANDS = [
  'init',
  'deploy',
  'release',
  'status',
  'watch',
  'approve',
  'reject',
  'promote',
  'abort',
  'rollback',
  'unlock',
  'history',
  'report',
];

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

  it.each([['--version'], ['-v'], ['status', '--version']])(
    'prints the version of package.json for %s and exits 0, without calling AWS',
    async (...args) => {
      // Arrange
      const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

      // Act
      const result = await baton(...args);

      // Assert
      expect(result).toMatchObject({ code: 0, out: `${version}\n`, err: '' });
      expect(version).toMatch(/^\d+\.\d+\.\d+/);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    },
  );

  it('prints for "help <command>" what "<command> --help" prints, and for "help" the main help', async () => {
    // Act
    const helpHistory = await baton('help', 'history');
    const historyHelp = await baton('history', '--help');
    const helpAlone = await baton('help');
    const mainHelp = await baton('--help');

    // Assert
    expect(helpHistory).toMatchObject({ code: 0, out: historyHelp.out, err: '' });
    expect(helpHistory.out.startsWith('baton history <service> [--limit <n>]\n')).toBe(true);
    expect(helpAlone).toMatchObject({ code: 0, out: mainHelp.out, err: '' });
    expect(mainHelp.out).toContain('Run "baton <command> --help" (or "baton help <command>") for a command\'s options and examples.\n');
    expect(mainHelp.out).toContain('  -v, --version      the version of baton\n');
  });

  it('refuses help on an unknown command as a usage error naming the commands', async () => {
    // Act
    const result = await baton('help', 'frobnicate');

    // Assert
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `baton: unknown command "frobnicate" (commands: ${COMMANDS.join(', ')})\nRun "baton --help" or "baton <command> --help".\n`,
    );
  });

  it.each([
    ['history', 'baton history <service> [--limit <n>]'],
    ['deploy', 'baton deploy <service> (--tag <tag> | --digest <sha256:...>) [options]'],
    ['unlock', 'baton unlock <service> --reason <text>'],
  ])(
    'refuses %s without its service as a usage error (exit 2) naming the argument and the usage line, without calling AWS',
    async (name, usage) => {
      // Act
      const result = await baton(name);

      // Assert
      expect(result.code).toBe(2);
      expect(result.out).toBe('');
      expect(result.err).toBe(
        `baton: ${name}: missing argument <service>\nUsage: ${usage}\nRun "baton --help" or "baton <command> --help".\n`,
      );
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    },
  );

  it('lists the exit codes in its help, one code each', async () => {
    // Act
    const result = await baton('--help');

    // Assert
    expect(result.out).toContain(
      [
        'Exit codes:',
        '  0   done',
        '  1   the followed deployment or release did not succeed',
        '  2   bad usage: a missing argument, an unknown option, a bad value',
        '  3   not found: the config, a service, a deployment or an execution',
        '  4   conflict with what is running: locked, nothing awaiting approval, already started',
        '  5   AWS or network error: credentials, access denied, throttling, endpoint unreachable',
        '  70  a bug in baton: the stack trace says where',
        '',
      ].join('\n'),
    );
  });
});
