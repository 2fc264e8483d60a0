/**
 * An error none of the commands named (exit 5): what the AWS SDK throws when
 * AWS refuses a call or cannot be reached. Its name is the AWS error code,
 * which is what to search for; the hint says what usually fixes it.
 */
import { AwsError } from './errors.ts';

const HINTS: readonly { readonly names: readonly string[]; readonly hint: string }[] = [
  {
    names: [
      'CredentialsProviderError',
      'ExpiredToken',
      'ExpiredTokenException',
      'UnrecognizedClientException',
      'InvalidSignatureException',
    ],
    hint: 'Configure credentials (aws configure, or AWS_PROFILE) or pass --profile.',
  },
  {
    names: ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'NotAuthorized'],
    hint: 'Check that your credentials (--profile) may make this call in this region (--region).',
  },
  {
    names: [
      'ThrottlingException',
      'Throttling',
      'TooManyRequestsException',
      'ProvisionedThroughputExceededException',
      'RequestLimitExceeded',
    ],
    hint: 'AWS is throttling requests: try again in a moment.',
  },
];

/** Node's codes for an endpoint that cannot be reached; the SDK passes them through. */
const NETWORK_CODES = ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'];

function networkCode(error: Error): string | undefined {
  const code = 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && NETWORK_CODES.includes(code)) return code;
  return error.name === 'TimeoutError' ? error.name : undefined;
}

/** The AWS error an SDK call threw, with its hint; undefined for anything else (a bug, to surface as it is). */
export function awsError(error: unknown): AwsError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = networkCode(error);
  if (code)
    return new AwsError(`${code}: ${error.message}\nCannot reach AWS: check the network and the region (--region).`, {
      cause: error,
    });
  const fromSdk = '$metadata' in error || '$fault' in error;
  const known = HINTS.find((entry) => entry.names.includes(error.name));
  if (!fromSdk && !known) return undefined;
  return new AwsError(`${error.name}: ${error.message}${known ? `\n${known.hint}` : ''}`, { cause: error });
}
