/**
 * The wrapper every phase handler is built with: parse the payload with its
 * zod schema, put deployment id, service and phase on every log line, and
 * turn transient AWS failures into TransientAwsError, the one name the state
 * machine retries with backoff.
 */
import type { z } from 'zod';
import type { PhaseName } from './config-schema.ts';
import { BatonError, ContractViolationError, TransientAwsError } from './errors.ts';
import { logger } from './logger.ts';
import { formatIssues } from './zod-format.ts';

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

export interface PhaseContext {
  readonly phase: PhaseName;
}

export function definePhase<Schema extends z.ZodType, Result>(
  phase: PhaseName,
  schema: Schema,
  run: (input: z.infer<Schema>, context: PhaseContext) => Promise<Result>,
): (event: unknown) => Promise<Result> {
  return async (event: unknown) => {
    logger.resetKeys();
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const error = new ContractViolationError(`${phase} received a payload out of contract: ${formatIssues(parsed.error)}`);
      logger.error('payload out of contract', { phase, error });
      throw error;
    }
    const input = parsed.data as z.infer<Schema>;
    const keys = identify(input);
    logger.appendKeys({ phase, ...keys });
    logger.info('phase started');
    try {
      const result = await run(input, { phase });
      logger.info('phase finished');
      return result;
    } catch (caught) {
      const error = classify(caught);
      if (error instanceof Error) {
        logger.warn('phase failed', { errorName: error.name, errorMessage: error.message });
      }
      throw error;
    }
  };
}

function identify(input: unknown): Record<string, string> {
  if (typeof input !== 'object' || input === null) return {};
  const record = input as { deploymentId?: unknown; service?: unknown };
  const keys: Record<string, string> = {};
  if (typeof record.deploymentId === 'string') keys.deploymentId = record.deploymentId;
  const service = record.service;
  if (typeof service === 'object' && service !== null && typeof (service as { name?: unknown }).name === 'string') {
    keys.targetService = (service as { name: string }).name;
  }
  return keys;
}
