/** `baton deploy`: the request it starts, the execution name and how --strategy reads; against mocked Step Functions and DynamoDB clients. */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { executionName, parseStrategy } from '../../../../cli/commands/deploy.ts';
import { UsageError } from '../../../../cli/errors.ts';
import { buildRequest } from '../../../../cli/requests.ts';
import type { DeploymentRequest } from '../../../../lambdas/shared/contract.ts';
import {
  ALIAS_ARN,
  baton,
  DIGEST,
  EXECUTION_ARN,
  OPERATOR_ARN,
  resetMocks,
  STATE_MACHINE_ARN,
  sfnMock,
  startInputs,
} from '../../../support/cli-clients.ts';

beforeEach(resetMocks);

describe('baton deploy', () => {
  it('starts an execution of the pipeline with the request as input and a name from the tag', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date('2026-11-23T09:00:00Z') });

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v1.4.2', '--strategy', 'canary:10:300', '--approval', '--reason', 'r');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const [input] = startInputs();
    expect(input?.stateMachineArn).toBe(ALIAS_ARN);
    expect(input?.name).toMatch(/^web-v1_4_2-\d{8}T\d{6}Z$/);
    expect(JSON.parse(input?.input ?? '')).toEqual({
      service: 'web',
      imageTag: 'v1.4.2',
      strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
      approval: true,
      dryRun: false,
      hotfix: false,
      reason: 'r',
      trigger: 'cli',
      requestedBy: OPERATOR_ARN,
    });
    expect(result.out).toBe(
      [
        `Started ${input?.name}`,
        `  https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`,
        'Follow it with: baton watch web',
        '',
      ].join('\n'),
    );
    expect(result.err).toBe('');
  });

  it('names the execution after the first 12 hex digits of the digest', async () => {
    // Arrange
    vi.useFakeTimers({ now: new Date('2026-11-23T09:00:00.123Z'), toFake: ['Date'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN}:web-2b41c8a0f2e6`, startDate: new Date() });

    // Act
    const result = await baton('deploy', 'web', '--digest', DIGEST);

    // Assert
    expect(result.code).toBe(0);
    const [input] = startInputs();
    expect(input?.name).toBe('web-2b41c8a0f2e6-20261123');
    expect(JSON.parse(input?.input ?? '')).toEqual({
      service: 'web',
      imageDigest: DIGEST,
      dryRun: false,
      hotfix: false,
      trigger: 'cli',
      requestedBy: OPERATOR_ARN,
    });
  });

  it('exits 4 and says how to look at the first execution when the digest was already started', async () => {
    // Arrange
    vi.useFakeTimers({ now: new Date('2026-11-23T09:00:00.123Z'), toFake: ['Date'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists: web-2b41c8a0f2e6', $metadata: {} }));

    // Act
    const result = await baton('deploy', 'web', '--digest', DIGEST);

    // Assert
    expect(result.code).toBe(4);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      'baton: an execution named web-2b41c8a0f2e6-20261123 already exists: this image was already started for web. ' +
        'See it with "baton status web"; pass --name <new-name> to start it again on purpose.\n',
    );
  });

  it('starts the state machine of another region, through a client of that region, with --region', async () => {
    // Arrange
    sfnMock
      .on(StartExecutionCommand)
      .resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:x:y', startDate: new Date() });

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v1.4.2', '--region', 'us-east-1');

    // Assert
    expect(result.code).toBe(0);
    expect(startInputs()[0]?.stateMachineArn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:baton-production:live');
    const client = sfnMock.call(0).thisValue as SFNClient;
    expect(await client.config.region()).toBe('us-east-1');
    expect(result.out).toContain('https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#');
  });

  it('exits 5 and prints the AWS error code and what to check when Step Functions refuses with an error the CLI does not name', async () => {
    // Arrange
    const denied = new Error('User: arn:aws:iam::123456789012:user/ci is not authorized to perform: states:StartExecution');
    denied.name = 'AccessDeniedException';
    sfnMock.on(StartExecutionCommand).rejects(denied);

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v1.4.2');

    // Assert
    expect(result.code).toBe(5);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      'baton: AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: states:StartExecution\n' +
        'Check that your credentials (--profile) may make this call in this region (--region).\n',
    );
  });

  it('exits 2 without calling AWS when neither --tag nor --digest is given', async () => {
    // Act
    const result = await baton('deploy', 'web');

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toBe('baton: deploy: give --tag <tag> or --digest <sha256:...>\nRun "baton --help" or "baton <command> --help".\n');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});

describe('parseStrategy', () => {
  it('reads canary:<percent>:<bakeSeconds>', () => {
    expect(parseStrategy('canary:10:300')).toEqual({ type: 'canary', percent: 10, bakeSeconds: 300 });
  });

  it('reads linear:<stepPercent>:<intervalSeconds>', () => {
    expect(parseStrategy('linear:25:60')).toEqual({ type: 'linear', stepPercent: 25, intervalSeconds: 60 });
  });

  it('reads all-at-once', () => {
    expect(parseStrategy('all-at-once')).toEqual({ type: 'all-at-once' });
  });

  it('reads the JSON form, steps included', () => {
    // Arrange
    const text = '{"type":"steps","steps":[{"weight":10,"pauseSeconds":60},{"weight":100,"pauseSeconds":0}]}';

    // Act
    const strategy = parseStrategy(text);

    // Assert
    expect(strategy).toEqual({
      type: 'steps',
      steps: [
        { weight: 10, pauseSeconds: 60 },
        { weight: 100, pauseSeconds: 0 },
      ],
    });
  });

  it('refuses a canary percent of 150, naming the field and the accepted forms', () => {
    expect(() => parseStrategy('canary:150:300')).toThrow(
      new UsageError(
        '--strategy: percent: Too big: expected number to be <=99 (use all-at-once, canary:<percent>:<bakeSeconds>, linear:<stepPercent>:<intervalSeconds> or JSON)',
      ),
    );
  });

  it('refuses JSON that does not parse', () => {
    expect(() => parseStrategy('{"type":')).toThrow(new UsageError('--strategy: not valid JSON: {"type":'));
  });

  it('refuses an unknown strategy type as a UsageError', () => {
    expect(() => parseStrategy('blue-green')).toThrow(UsageError);
  });
});

describe('executionName', () => {
  const now = new Date('2026-11-23T09:00:00.123Z');
  const request = (fields: Partial<DeploymentRequest>): DeploymentRequest => buildRequest({ service: 'web', ...fields });

  it('is the service, the tag with "." as "_" and the UTC time to the second', () => {
    expect(executionName(request({ imageTag: 'v1.4.2' }), now)).toBe('web-v1_4_2-20261123T090000Z');
  });

  it('is the service, the first 12 hex digits of a digest and the UTC date: the same all day, never again after', () => {
    expect(executionName(request({ imageDigest: DIGEST }), now)).toBe('web-2b41c8a0f2e6-20261123');
    expect(executionName(request({ imageDigest: DIGEST }), new Date('2026-11-23T23:59:59Z'))).toBe('web-2b41c8a0f2e6-20261123');
    // 100 days later Step Functions would take the name again; the record of the first (400 days) would still be there.
    expect(executionName(request({ imageDigest: DIGEST }), new Date('2027-03-03T09:00:00Z'))).toBe('web-2b41c8a0f2e6-20270303');
  });

  it('ends with -dry-run for a dry run, so a dry run never takes the name of the real deployment', () => {
    expect(executionName(request({ imageTag: 'v1.4.2', dryRun: true }), now)).toBe('web-v1_4_2-20261123T090000Z-dry-run');
    expect(executionName(request({ imageDigest: DIGEST, dryRun: true }), now)).toBe('web-2b41c8a0f2e6-20261123-dry-run');
  });

  it('keeps the time and the dry-run suffix within 80 characters when the tag is long', () => {
    // Arrange
    const longTag = `release-${'a'.repeat(100)}`;

    // Act
    const name = executionName(request({ imageTag: longTag, dryRun: true }), now);

    // Assert
    expect(name).toHaveLength(80);
    expect(name).toBe(`web-release-${'a'.repeat(43)}-20261123T090000Z-dry-run`);
  });
});
