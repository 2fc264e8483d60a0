/**
 * Which errors are which: transient AWS failures the state machine retries,
 * a conditional write whose condition did not hold, and the rejections that
 * end a deployment without being failures. The errors themselves are in
 * errors.ts.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { TerminalStatus } from './contract.ts';
import { BatonError, TransientAwsError } from './errors.ts';

/** Error names (and HTTP statuses) AWS uses for "slow down" and "try again". */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServiceError',
  'ServerException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ETIMEDOUT',
]);

interface AwsLikeError {
  name?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const aws = error as Error & AwsLikeError;
  if (TRANSIENT_NAMES.has(error.name)) return true;
  const status = aws.$metadata?.httpStatusCode;
  return aws.$fault === 'server' || status === 429 || (typeof status === 'number' && status >= 500);
}

/** Keeps named errors as they are, wraps transient AWS errors, leaves the rest (their name is the AWS error code). */
export function classify(error: unknown): unknown {
  if (error instanceof BatonError) return error;
  if (isTransient(error)) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return new TransientAwsError(`${name}: ${message}`, { cause: error });
  }
  return error;
}

/** A conditional DynamoDB write whose condition did not hold: an answer the caller decides about, not a failure. */
export function isConditionFailed(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException;
}

/** Rejections that are not failures: the trigger was redundant or out of date. */
const REJECTION_STATUS: Readonly<Record<string, TerminalStatus>> = {
  DuplicateTriggerError: 'DUPLICATE',
  SupersededError: 'SUPERSEDED',
  QueuedError: 'QUEUED',
};

/** The terminal status of a deployment an error stopped before it changed anything: REJECTED unless the trigger was only redundant or out of date. */
export function rejectionStatus(errorName: string): TerminalStatus {
  return REJECTION_STATUS[errorName] ?? 'REJECTED';
}
