/** What baton says, and the exit code, when AWS refuses a call or cannot be reached: exit 5, the AWS error code and what to check. */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { baton, dynamoMock, resetMocks } from '../../support/cli-clients.ts';

beforeEach(resetMocks);

/** An error as the SDK throws it: its name is the AWS error code; a service's error carries $metadata. */
function sdkError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('baton on an AWS or network error', () => {
  it.each([
    [
      'missing credentials',
      sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
      'baton: CredentialsProviderError: Could not load credentials from any providers\nConfigure credentials (aws configure, or AWS_PROFILE) or pass --profile.\n',
    ],
    [
      'access denied',
      sdkError('AccessDeniedException', 'not authorized to perform: dynamodb:Query', { $metadata: { httpStatusCode: 400 } }),
      'baton: AccessDeniedException: not authorized to perform: dynamodb:Query\nCheck that your credentials (--profile) may make this call in this region (--region).\n',
    ],
    [
      'throttling',
      sdkError('ThrottlingException', 'Rate exceeded', { $metadata: { httpStatusCode: 400 } }),
      'baton: ThrottlingException: Rate exceeded\nAWS is throttling requests: try again in a moment.\n',
    ],
    [
      'an unreachable endpoint',
      sdkError('Error', 'getaddrinfo ENOTFOUND dynamodb.eu-west-1.amazonaws.com', { code: 'ENOTFOUND' }),
      'baton: ENOTFOUND: getaddrinfo ENOTFOUND dynamodb.eu-west-1.amazonaws.com\nCannot reach AWS: check the network and the region (--region).\n',
    ],
    [
      'an AWS error it has no hint for',
      sdkError('InternalServerError', 'try again', { $fault: 'server', $metadata: { httpStatusCode: 500 } }),
      'baton: InternalServerError: try again\n',
    ],
  ])('exits 5 on %s, naming the AWS error code', async (_case, error, err) => {
    // Arrange
    dynamoMock.on(QueryCommand).rejects(error);

    // Act
    const result = await baton('history', 'web');

    // Assert
    expect(result).toMatchObject({ code: 5, out: '', err });
  });

  it('throws an error that is neither ours nor from AWS (a bug) as it is, rather than calling it an AWS error', async () => {
    // Arrange
    dynamoMock.on(QueryCommand).rejects(new TypeError('records.map is not a function'));

    // Act, Assert
    await expect(baton('history', 'web')).rejects.toThrow(TypeError);
  });
});
