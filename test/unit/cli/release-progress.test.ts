/** `baton release --dry-run`: the execution's output read as plans, or its refusal. */
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../lambdas/shared/contract.ts';
import { releaseFiles } from '../../support/cli.ts';
import { ALIAS_ARN, dynamoMock, fixedDate, OPERATOR_ARN, release, resetMocks, sfnMock, startInputs } from '../../support/cli-clients.ts';

beforeEach(resetMocks);

describe('baton release --dry-run', () => {
  const RELEASE_ID = 'release-2026-11-22_1-20261123T090000Z-dry-run';
  const RELEASE_ARN = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${RELEASE_ID}`;
  const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${RELEASE_ARN}`;
  const SERVICES = { api: { imageTag: 'v1.1.0' }, worker: { imageTag: 'v2.4.0' }, web: { imageTag: 'v1.4.2' } };
  const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  const OLD = `sha256:${'b2'.repeat(32)}`;
  const NEW = `sha256:${'a1'.repeat(32)}`;
  const WEB_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab';
  const WEB_SECRET_VERSION = 'c0ffee00-1234-4abc-9def-0123456789ab';
  const STARTED = [
    'Started a dry run of release 2026-11-22.1',
    `  execution  ${RELEASE_ID}`,
    '  order      api -> web + worker',
    '  shift      each',
    `  ${CONSOLE_URL}`,
  ];
  const releaseFile = releaseFiles('baton-release-dry-run-').write;
  fixedDate();

  /** The plan validate writes for a service whose live colour is `live`, to move from the OLD image to the NEW one. */
  function planOf(service: string, live: 'blue' | 'green', extra: Partial<Plan> = {}): Plan {
    const current = `${REGISTRY}/${service}@${OLD}`;
    const next = `${REGISTRY}/${service}@${NEW}`;
    return {
      service,
      liveColour: live,
      targetColour: live === 'blue' ? 'green' : 'blue',
      image: { current, next },
      taskDefinition: {
        base: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${service}:41`,
        family: service,
        changes: [`container ${service} image: ${current} -> ${next}`],
      },
      secretVersions: { current: [] },
      traffic: [{ weight: 100, pauseSeconds: 0 }],
      bakeSeconds: 300,
      ...extra,
    };
  }

  /** The output of the dry run's last state (Describe plan): the release, its order and each service's plan, wave by wave. */
  const OUTPUT = {
    release: '2026-11-22.1',
    waves: [['api'], ['web', 'worker']],
    plans: [
      planOf('api', 'blue'),
      planOf('web', 'green', {
        taskDefinition: {
          base: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:41',
          family: 'web',
          changes: [
            `container web image: ${REGISTRY}/web@${OLD} -> ${REGISTRY}/web@${NEW}`,
            `secrets DATABASE_URL, LOG_LEVEL, SESSION_SECRET, WORKER_CONCURRENCY pinned to version ${WEB_SECRET_VERSION} of ${WEB_SECRET_ARN}`,
          ],
        },
        secretVersions: { current: [WEB_SECRET_VERSION], next: WEB_SECRET_VERSION },
        configDiff: {
          secretArn: WEB_SECRET_ARN,
          fromVersionId: WEB_SECRET_VERSION,
          toVersionId: WEB_SECRET_VERSION,
          added: [],
          removed: [],
          changed: [],
        },
      }),
      planOf('worker', 'blue'),
    ],
  };

  const PLAN_LINES = [
    'Dry run of release 2026-11-22.1 passed: every service validated, nothing changed',
    '  order  api -> web + worker',
    `  api: blue -> green, ${REGISTRY}/api@${OLD} -> ${REGISTRY}/api@${NEW}`,
    `    container api image: ${REGISTRY}/api@${OLD} -> ${REGISTRY}/api@${NEW}`,
    '    traffic 100 %, bake 300 s',
    `  web: green -> blue, ${REGISTRY}/web@${OLD} -> ${REGISTRY}/web@${NEW}`,
    `    container web image: ${REGISTRY}/web@${OLD} -> ${REGISTRY}/web@${NEW}`,
    `    secrets DATABASE_URL, LOG_LEVEL, SESSION_SECRET, WORKER_CONCURRENCY pinned to version ${WEB_SECRET_VERSION} of ${WEB_SECRET_ARN}`,
    '    traffic 100 %, bake 300 s',
    `  worker: blue -> green, ${REGISTRY}/worker@${OLD} -> ${REGISTRY}/worker@${NEW}`,
    `    container worker image: ${REGISTRY}/worker@${OLD} -> ${REGISTRY}/worker@${NEW}`,
    '    traffic 100 %, bake 300 s',
  ];

  const IMAGE_MESSAGE = 'image tag v1.4.2 not found in ECR repository web';
  /** The error and cause the dry run fails with (Rejected, from finish release's outcome) when web's image is missing. */
  const REFUSAL = {
    error: 'ImageNotFoundError',
    cause: `release 2026-11-22.1 dry run refused: ImageNotFoundError: web failed in Validate (release): ${IMAGE_MESSAGE}`,
  };

  function givenStarted(): void {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RELEASE_ARN, startDate: new Date() });
  }

  function givenSucceeded(): void {
    const startDate = new Date('2026-11-23T09:00:00.000Z');
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: RELEASE_ARN })
      .resolvesOnce({ executionArn: RELEASE_ARN, name: RELEASE_ID, status: 'RUNNING', startDate })
      .resolves({
        executionArn: RELEASE_ARN,
        name: RELEASE_ID,
        status: 'SUCCEEDED',
        startDate,
        stopDate: new Date('2026-11-23T09:00:40.000Z'),
        output: JSON.stringify(OUTPUT),
      });
  }

  function givenRefused(): void {
    sfnMock.on(DescribeExecutionCommand, { executionArn: RELEASE_ARN }).resolves({
      executionArn: RELEASE_ARN,
      name: RELEASE_ID,
      status: 'FAILED',
      startDate: new Date('2026-11-23T09:00:00.000Z'),
      stopDate: new Date('2026-11-23T09:00:20.000Z'),
      ...REFUSAL,
    });
  }

  it("starts the execution with dryRun true, under the release name with -dry-run, so it never takes the real release's name", async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenSucceeded();

    // Act
    await release('--file', file, '--dry-run');

    // Assert
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const [input] = startInputs();
    expect(input?.stateMachineArn).toBe(ALIAS_ARN);
    expect(input?.name).toBe(RELEASE_ID);
    expect(JSON.parse(input?.input ?? '')).toEqual({
      release: '2026-11-22.1',
      services: SERVICES,
      shift: 'each',
      dryRun: true,
      trigger: 'cli',
      requestedBy: OPERATOR_ARN,
    });
  });

  it('waits for the execution, polling every 2 s, prints the order and each service plan, and exits 0', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenSucceeded();

    // Act
    const result = await release('--file', file, '--dry-run');

    // Assert
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toBe([...STARTED, ...PLAN_LINES, ''].join('\n'));
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 2);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: RELEASE_ARN });
    expect(result.sleeps).toEqual([2000]);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('sleeps the --interval between polls', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenSucceeded();

    // Act
    const result = await release('--file', file, '--dry-run', '--interval', '5');

    // Assert
    expect(result.code).toBe(0);
    expect(result.sleeps).toEqual([5000]);
  });

  it('prints the refusal, the error and the cause of a refused dry run, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenRefused();

    // Act
    const result = await release('--file', file, '--dry-run');

    // Assert
    expect(result.code).toBe(1);
    expect(result.err).toBe('');
    expect(result.out).toBe(
      [...STARTED, `release 2026-11-22.1 dry run refused: ImageNotFoundError: web failed in Validate (release): ${IMAGE_MESSAGE}`, ''].join(
        '\n',
      ),
    );
    expect(result.sleeps).toEqual([]);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('with --json, prints one JSON document: the release, the status and the plan', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenSucceeded();

    // Act
    const result = await release('--file', file, '--dry-run', '--json');

    // Assert
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out.endsWith('\n')).toBe(true);
    expect(result.out.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.out)).toEqual({
      release: '2026-11-22.1',
      releaseId: RELEASE_ID,
      executionArn: RELEASE_ARN,
      waves: [['api'], ['web', 'worker']],
      order: 'api -> web + worker',
      shift: 'each',
      consoleUrl: CONSOLE_URL,
      status: 'SUCCEEDED',
      plan: OUTPUT,
      error: null,
      cause: null,
    });
  });

  it('with --json, prints one JSON document with the error and cause of a refused dry run, no plan, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    givenRefused();

    // Act
    const result = await release('--file', file, '--dry-run', '--json');

    // Assert
    expect(result.code).toBe(1);
    expect(result.out.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.out)).toEqual({
      release: '2026-11-22.1',
      releaseId: RELEASE_ID,
      executionArn: RELEASE_ARN,
      waves: [['api'], ['web', 'worker']],
      order: 'api -> web + worker',
      shift: 'each',
      consoleUrl: CONSOLE_URL,
      status: 'FAILED',
      error: REFUSAL.error,
      cause: REFUSAL.cause,
    });
  });

  it('does not count an execution that succeeded without the plans in its output as passed, and exits 1', async () => {
    // Arrange
    const file = releaseFile({ release: '2026-11-22.1', services: SERVICES });
    givenStarted();
    sfnMock.on(DescribeExecutionCommand, { executionArn: RELEASE_ARN }).resolves({
      executionArn: RELEASE_ARN,
      name: RELEASE_ID,
      status: 'SUCCEEDED',
      startDate: new Date('2026-11-23T09:00:00.000Z'),
      output: '{"unexpected":true}',
    });

    // Act
    const result = await release('--file', file, '--dry-run');

    // Assert
    expect(result.code).toBe(1);
    expect(result.out.trimEnd().split('\n').at(-1)).toBe(
      'Dry run of release 2026-11-22.1 ended without a plan in its output; see the execution in the console',
    );
  });
});
