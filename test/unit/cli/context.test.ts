/** Which region baton works in: --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the config's pipeline.region. */
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { terminalColumns } from '../../../cli/context.ts';
import { baton, resetMocks, sfnMock, startInputs, stsMock } from '../../support/cli-clients.ts';

beforeEach(resetMocks);
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the region baton works in', () => {
  it.each([
    [
      '--region over the environment',
      { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'ap-south-1' },
      ['--region', 'us-west-2'],
      'us-west-2',
    ],
    ['AWS_REGION over AWS_DEFAULT_REGION', { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'ap-south-1' }, [], 'us-east-2'],
    ['AWS_DEFAULT_REGION without AWS_REGION', { AWS_REGION: undefined, AWS_DEFAULT_REGION: 'ap-south-1' }, [], 'ap-south-1'],
    ['AWS_DEFAULT_REGION when AWS_REGION is empty', { AWS_REGION: '', AWS_DEFAULT_REGION: 'ap-south-1' }, [], 'ap-south-1'],
    ["the config's pipeline.region without either", { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined }, [], 'eu-west-1'],
  ])('is %s', async (_case, env, args, region) => {
    // Arrange
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    sfnMock
      .on(StartExecutionCommand)
      .resolves({ executionArn: `arn:aws:states:${region}:123456789012:execution:baton-production:x`, startDate: new Date() });

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v1.4.2', ...args);

    // Assert
    expect(result.code).toBe(0);
    expect(startInputs()[0]?.stateMachineArn).toBe(`arn:aws:states:${region}:123456789012:stateMachine:baton-production:live`);
    expect(await (sfnMock.call(0).thisValue as SFNClient).config.region()).toBe(region);
    // STS, which tells who you are, asks the same region's endpoint.
    expect(await (stsMock.call(0).thisValue as STSClient).config.region()).toBe(region);
    expect(result.out).toContain(`https://${region}.console.aws.amazon.com/states/home?region=${region}#`);
  });
});

describe('the width watch fits its frame to', () => {
  const io = (columns: number | undefined) => ({
    out: () => {},
    err: () => {},
    isTty: true,
    sleep: async () => {},
    columns: () => columns,
  });

  it.each([
    [120, 120],
    [40, 40],
    [0, 80],
    [Number.NaN, 80],
  ])('is %s columns when the terminal says %s', (said, used) => {
    // Act / Assert
    expect(terminalColumns(io(said))).toBe(used);
  });
});
