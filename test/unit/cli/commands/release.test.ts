/** `baton release`: the file checked against the config, the execution it starts and --watch to the verdict; its help and execution name. */

import { DescribeExecutionCommand, ExecutionAlreadyExists, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { releaseExecutionName } from '../../../../cli/commands/release.ts';
import type { RecordItem } from '../../../../cli/deployments.ts';
import { releaseFiles } from '../../../support/cli.ts';
import {
  ALIAS_ARN,
  baton,
  dynamoMock,
  fixedDate,
  OPERATOR_ARN,
  RELEASE_ARN,
  RELEASE_ID,
  RELEASE_RECORD,
  release,
  resetMocks,
  STATE_MACHINE_ARN,
  sfnMock,
  startInputs,
  stsMock,
  TABLE,
} from '../../../support/cli-clients.ts';

beforeEach(resetMocks);

describe('baton release', () => {
  const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${RELEASE_ARN}`;
  const RELEASE_KEY = { pk: `RELEASE#${RELEASE_ID}`, sk: 'RECORD' };
  const SERVICES = { api: { imageTag: 'v1.1.0' }, worker: { imageTag: 'v2.4.0' }, web: { imageTag: 'v1.4.2' } };
  const STARTED = [
    'Started release 2026-11-22.1',
    `  execution  ${RELEASE_ID}`,
    '  order      api -> web + worker',
    '  shift      each',
    `  ${CONSOLE_URL}`,
  ];
  const files = releaseFiles('baton-release-');
  const releaseFile = files.write;
  fixedDate();

  const USAGE_HINT = 'Run "baton --help" or "baton <command> --help".\n';
  const DIGEST_A = `sha256:${'a'.repeat(64)}`;

  it.each([
    ['an unknown field', { release: '2026-11-22.1', services: SERVICES, colour: 'blue' }, 'invalid release input: colour: unknown field'],
    [
      'a service the config does not have',
      { release: '2026-11-22.1', services: { ...SERVICES, billing: { imageTag: 'v1' } } },
      'invalid release input: services: "billing" is not configured (known: api, worker, web)',
    ],
    ['no services', { release: '2026-11-22.1', services: {} }, 'invalid release input: services: name at least one service and its image'],
    [
      'a tag and a digest for one service',
      { release: '2026-11-22.1', services: { api: { imageTag: 'v1.1.0', imageDigest: DIGEST_A } } },
      'invalid release input: services.api.imageDigest: give imageTag or imageDigest, not both',
    ],
    [
      'a service without an image',
      { release: '2026-11-22.1', services: { api: {} } },
      'invalid release input: services.api.imageTag: give imageTag or imageDigest',
    ],
    ['no release name', { services: SERVICES }, 'invalid release input: release: required (string)'],
    [
      'an unknown shift mode',
      { release: '2026-11-22.1', services: SERVICES, shift: 'sideways' },
      'invalid release input: shift: Invalid option: expected one of "each"|"together"',
    ],
    [
      'a JSON array',
      [{ release: '2026-11-22.1' }],
      'release input must be a JSON object such as {"release": "2026-11-22.1", "services": {"api": {"imageTag": "v2"}}}',
    ],
  ])('exits 2 naming the field, without starting anything, for %s', async (_case, content, message) => {
    // Arrange
    const file = releaseFile(content);

    // Act
    const result = await release('--file', file);

    // Assert
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toBe(`baton: release file ${file}: ${message}\n${USAGE_HINT}`);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 2 naming the path, without starting anything, when the file cannot be read', async () => {
    // Arrange
    const file = files.path('missing.json');

    // Act
    const result = await release('--file', file);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toBe(`baton: cannot read release file ${file}: ENOENT: no such file or directory, open '${file}'\n${USAGE_HINT}`);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 2 naming the path, without starting anything, when the file is not JSON', async () => {
    // Arrange
    const file = releaseFile('{"release": "2026-11-22.1", "services": ', 'broken.json');

    // Act
    const result = await release('--file', file);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err.startsWith(`baton: release file ${file} is not valid JSON: `)).toBe(true);
    expect(result.err.endsWith(`\n${USAGE_HINT}`)).toBe(true);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it.each([
    [[], 'release: give the release with --file <release.json>'],
    [['api'], 'release: unexpected argument "api" (give the release with --file <release.json>)'],
    [['--name', 'release 1'], '--name: use letters, digits, "-" and "_" only, at most 80 characters (got "release 1")'],
    [['--name', 'r'.repeat(81)], `--name: use letters, digits, "-" and "_" only, at most 80 characters (got "${'r'.repeat(81)}")`],
    [['--tag', 'v1'], 'release does not take --tag'],
    [['--dry-run', '--watch'], 'release: --dry-run waits for its result already; drop --watch'],
    [['--watch', '--dry-run', '--json'], 'release: --dry-run waits for its result already; drop --watch'],
  ])('baton release %j exits 2 without starting anything', async (args, message) => {
    // Arrange: a valid file, where one is given
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    const withFile = args.length === 0 || args[0] === 'api' ? args : ['--file', file, ...args];

    // Act
    const result = await release(...withFile);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toBe(`baton: ${message}\n${USAGE_HINT}`);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('starts the state machine with the release as input, trigger "cli" and the operator, under a name from the release', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });

    // Act
    const result = await release('--file', file);

    // Assert
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const [input] = startInputs();
    expect(input?.stateMachineArn).toBe(ALIAS_ARN);
    expect(input?.name).toBe(RELEASE_ID);
    expect(JSON.parse(input?.input ?? '')).toEqual({
      release: '2026-11-22.1',
      services: SERVICES,
      shift: 'each',
      dryRun: false,
      trigger: 'cli',
      requestedBy: OPERATOR_ARN,
    });
    expect(result.out).toBe([...STARTED, `See it with: baton status ${RELEASE_ARN}`, ''].join('\n'));
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('keeps the trigger the file gives, records the caller as the requester, and the execution name --name gives; --json prints the plan', async () => {
    // Arrange
    const file = releaseFile({
      release: '2026-11-22.1',
      services: { web: { imageTag: 'v1.4.2' }, api: { imageDigest: DIGEST_A } },
      shift: 'together',
      reason: 'weekly release',
      trigger: 'console',
    });
    const arn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:weekly-1`;
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: new Date() });

    // Act
    const result = await release('--file', file, '--name', 'weekly-1', '--json');

    // Assert
    expect(result.code).toBe(0);
    const [input] = startInputs();
    expect(input?.name).toBe('weekly-1');
    expect(JSON.parse(input?.input ?? '')).toEqual({
      release: '2026-11-22.1',
      services: { web: { imageTag: 'v1.4.2' }, api: { imageDigest: DIGEST_A } },
      shift: 'together',
      dryRun: false,
      reason: 'weekly release',
      trigger: 'console',
      requestedBy: OPERATOR_ARN,
    });
    expect(JSON.parse(result.out)).toEqual({
      release: '2026-11-22.1',
      releaseId: 'weekly-1',
      executionArn: arn,
      waves: [['api'], ['web']],
      order: 'api -> web',
      shift: 'together',
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
    });
  });

  it('exits 2 without asking STS or starting anything when the file names its own requester', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES, requestedBy: 'release-bot' });

    // Act
    const result = await release('--file', file);

    // Assert
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `baton: release file ${file}: requestedBy: baton records your AWS identity as the requester; remove the field from the file\n` +
        'Run "baton --help" or "baton <command> --help".\n',
    );
    expect(stsMock).not.toHaveReceivedAnyCommand();
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 4 when an execution of that name already exists', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const result = await release('--file', file, '--name', 'weekly-1');

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(
      'baton: an execution named weekly-1 already exists: a release of that id was already started. ' +
        'See it with "baton release status weekly-1"; pass another --name to start it again on purpose.\n',
    );
  });

  const RECORD = RELEASE_RECORD;

  function serviceRecord(service: string, fields: Partial<RecordItem> = {}): RecordItem {
    return {
      deploymentId: `${RELEASE_ID}-${service}`,
      service,
      status: 'IN_PROGRESS',
      executionArn: RELEASE_ARN,
      startedAt: '2026-11-23T09:00:00.000Z',
      trigger: 'cli',
      release: RELEASE_ID,
      ...fields,
    };
  }

  /** Each GetCommand of a key answers the given items in turn, the last one from then on. */
  function givenItems(key: { pk: string; sk: string }, ...items: Array<object | undefined>): void {
    let stub = dynamoMock.on(GetCommand, { Key: key });
    for (const item of items.slice(0, -1)) stub = stub.resolvesOnce(item ? { Item: { ...key, ...item } } : {});
    const last = items[items.length - 1];
    stub.resolves(last ? { Item: { ...key, ...last } } : {});
  }

  const serviceKey = (service: string) => ({ pk: `DEPLOYMENT#${RELEASE_ID}-${service}`, sk: 'RECORD' });

  it('with --watch, polls the execution and the records every 2 s, prints each status change and the verdict, and exits 0', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });
    const startDate = new Date('2026-11-23T09:00:00.000Z');
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ name: RELEASE_ID, status: 'RUNNING', startDate })
      .resolvesOnce({ name: RELEASE_ID, status: 'RUNNING', startDate })
      .resolves({ name: RELEASE_ID, status: 'SUCCEEDED', startDate, stopDate: new Date('2026-11-23T09:12:00.000Z') });
    const endedAt = '2026-11-23T09:12:00.000Z';
    const live = (service: string, tag: string) =>
      serviceRecord(service, { status: 'SUCCEEDED', endedAt, outcomeReason: `${tag} live on green (${service}-green) after a 300 s bake` });
    // First poll: the release is not planned yet. Second: planned, every service in progress. Third: done.
    givenItems(RELEASE_KEY, undefined, RECORD, {
      ...RECORD,
      status: 'SUCCEEDED',
      outcomeReason: 'release 2026-11-22.1 live: api v1.1.0, web v1.4.2, worker v2.4.0',
      endedAt,
    });
    givenItems(serviceKey('api'), undefined, serviceRecord('api'), live('api', 'v1.1.0'));
    givenItems(serviceKey('web'), undefined, serviceRecord('web'), live('web', 'v1.4.2'));
    givenItems(serviceKey('worker'), undefined, serviceRecord('worker'), live('worker', 'v2.4.0'));

    // Act
    const result = await release('--file', file, '--watch');

    // Assert
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: RELEASE_ARN });
    expect(sfnMock).not.toHaveReceivedCommand(GetExecutionHistoryCommand);
    expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true });
    expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: serviceKey('worker'), ConsistentRead: true });
    expect(result.sleeps).toEqual([2000, 2000]);
    expect(result.out).toBe(
      [
        ...STARTED,
        `  api     IN_PROGRESS  wave 1, deployment ${RELEASE_ID}-api`,
        `  web     IN_PROGRESS  wave 2, deployment ${RELEASE_ID}-web`,
        `  worker  IN_PROGRESS  wave 2, deployment ${RELEASE_ID}-worker`,
        '  api     SUCCEEDED    12m00s  v1.1.0 live on green (api-green) after a 300 s bake',
        '  web     SUCCEEDED    12m00s  v1.4.2 live on green (web-green) after a 300 s bake',
        '  worker  SUCCEEDED    12m00s  v2.4.0 live on green (worker-green) after a 300 s bake',
        'Release 2026-11-22.1 ended: execution SUCCEEDED after 12m00s',
        'SUCCEEDED: release 2026-11-22.1 live: api v1.1.0, web v1.4.2, worker v2.4.0',
        '',
      ].join('\n'),
    );
  });

  it('with --watch, prints the cause, the services rolled back and those untouched of a rolled-back release, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });
    sfnMock.on(DescribeExecutionCommand).resolves({
      name: RELEASE_ID,
      status: 'FAILED',
      startDate: new Date('2026-11-23T09:00:00.000Z'),
      stopDate: new Date('2026-11-23T09:04:30.000Z'),
      error: 'VerificationFailedError',
    });
    const cause = {
      service: 'api',
      deploymentId: `${RELEASE_ID}-api`,
      failedPhase: 'Verify new colour (release)',
      error: 'VerificationFailedError',
      message: 'green failed verification: alarm api-5xx-rate is ALARM',
    };
    givenItems(RELEASE_KEY, {
      ...RECORD,
      status: 'ROLLED_BACK',
      cause,
      rollingBack: ['api'],
      rolledBack: ['api'],
      untouched: ['worker', 'web'],
      outcomeReason:
        'release 2026-11-22.1 rolled back because api failed in Verify new colour (release): VerificationFailedError: green failed verification: alarm api-5xx-rate is ALARM; rolled back api; untouched: worker, web',
      endedAt: '2026-11-23T09:04:30.000Z',
    });
    const endedAt = '2026-11-23T09:04:30.000Z';
    givenItems(
      serviceKey('api'),
      serviceRecord('api', { status: 'ROLLED_BACK', endedAt, outcomeReason: `VerificationFailedError: ${cause.message}` }),
    );
    givenItems(serviceKey('web'), serviceRecord('web', { status: 'REJECTED', endedAt, outcomeReason: 'NotStarted: nothing was changed' }));
    givenItems(
      serviceKey('worker'),
      serviceRecord('worker', { status: 'REJECTED', endedAt, outcomeReason: 'NotStarted: nothing was changed' }),
    );

    // Act
    const result = await release('--file', file, '--watch', '--interval', '5');

    // Assert
    expect(result.code).toBe(1);
    expect(result.sleeps).toEqual([]);
    expect(result.out).toBe(
      [
        ...STARTED,
        'Rolling back api (VerificationFailedError)',
        `  api     ROLLED_BACK  4m30s  VerificationFailedError: ${cause.message}`,
        '  web     REJECTED     4m30s  NotStarted: nothing was changed',
        '  worker  REJECTED     4m30s  NotStarted: nothing was changed',
        'Release 2026-11-22.1 ended: execution FAILED after 4m30s',
        'ROLLED_BACK: release 2026-11-22.1 rolled back because api failed in Verify new colour (release): VerificationFailedError: green failed verification: alarm api-5xx-rate is ALARM; rolled back api; untouched: worker, web',
        `  cause        api failed in Verify new colour (release): VerificationFailedError: ${cause.message}`,
        '  rolled back  api',
        '  untouched    worker, web',
        '',
      ].join('\n'),
    );
  });

  it('with --watch, says the backstop takes over when the execution stopped before the release had a verdict, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });
    sfnMock.on(DescribeExecutionCommand).resolves({
      name: RELEASE_ID,
      status: 'ABORTED',
      startDate: new Date('2026-11-23T09:00:00.000Z'),
      stopDate: new Date('2026-11-23T09:03:00.000Z'),
      error: 'AbortedByOperator',
      cause: 'aborted by alice',
    });
    givenItems(RELEASE_KEY, RECORD);
    for (const service of ['api', 'web', 'worker']) givenItems(serviceKey(service), serviceRecord(service));

    // Act
    const result = await release('--file', file, '--watch');

    // Assert
    expect(result.code).toBe(1);
    expect(
      result.out.endsWith(
        [
          `  worker  IN_PROGRESS  wave 2, deployment ${RELEASE_ID}-worker`,
          'Release 2026-11-22.1 ended: execution ABORTED after 3m00s',
          'ABORTED: AbortedByOperator: aborted by alice',
          '  the release has no verdict yet: the backstop rolls it back in a recovery execution',
          '',
        ].join('\n'),
      ),
    ).toBe(true);
  });
});

describe('baton release --help', () => {
  it('shows the usage, the options and examples, and baton --help lists the command', async () => {
    // Act
    const help = await baton('release', '--help');
    const main = await baton('--help');

    // Assert
    expect(help.code).toBe(0);
    expect(
      help.out.startsWith('baton release --file <release.json> [--watch | --dry-run] [--name <execution-name>] [--interval <seconds>]\n'),
    ).toBe(true);
    for (const option of [
      '--file <file>',
      '--name <name>',
      '--watch',
      '--dry-run',
      '--interval <seconds>   refresh period with --watch or --dry-run (default 2, at least 1)',
      'Examples:',
      'baton release --file release.json --dry-run',
      'baton release --file release.json --watch',
    ]) {
      expect(help.out).toContain(option);
    }
    expect(main.out).toContain('  release   start a multi-service release: services deploy in dependency order and roll back together\n');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});

describe('releaseExecutionName', () => {
  const now = new Date('2026-11-23T09:00:00.123Z');

  it('is "release-", the release name with characters other than letters, digits, "_" and "-" as "_", and the UTC time', () => {
    expect(releaseExecutionName('2026-11-22.1', ['api', 'web'], now)).toBe('release-2026-11-22_1-20261123T090000Z');
  });

  it('ends with -dry-run for a dry run', () => {
    expect(releaseExecutionName('2026-11-22.1', ['api', 'web'], now, true)).toBe('release-2026-11-22_1-20261123T090000Z-dry-run');
  });

  it('shortens a long release name to keep the time within 80 characters', () => {
    // Arrange
    const name = `r${'x'.repeat(63)}`;

    // Act
    const execution = releaseExecutionName(name, ['api'], now);

    // Assert
    expect(execution).toHaveLength(80);
    expect(execution).toBe(`release-r${'x'.repeat(54)}-20261123T090000Z`);
  });

  it('leaves room for "-<service>" within the 160 characters of a deployment id', () => {
    // Arrange: a long release name and a (hypothetical) service name of 90 characters
    const name = `r${'x'.repeat(63)}`;
    const service = 's'.repeat(90);

    // Act
    const execution = releaseExecutionName(name, [service, 'api'], now);

    // Assert
    expect(`${execution}-${service}`).toHaveLength(160);
    expect(execution).toBe(`release-r${'x'.repeat(43)}-20261123T090000Z`);
  });
});
