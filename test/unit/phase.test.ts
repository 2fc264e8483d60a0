import { ECSServiceException, ServiceNotFoundException } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractViolationError, GateFailedError, TransientAwsError } from '../../lambdas/shared/errors.ts';
import { classify, definePhase, isTransient } from '../../lambdas/shared/phase.ts';
import { failure } from '../fixtures/aws.ts';

function awsError(name: string, fault: 'client' | 'server', httpStatusCode: number, message = `${name} happened`): ECSServiceException {
  return new ECSServiceException({ name, $fault: fault, message, $metadata: { httpStatusCode } });
}

describe('isTransient', () => {
  it.each([
    ['a ThrottlingException', awsError('ThrottlingException', 'client', 400), true],
    ['a TooManyRequestsException', awsError('TooManyRequestsException', 'client', 429), true],
    ['a server fault', awsError('ServerException', 'server', 500), true],
    ['an unnamed HTTP 503', awsError('Unknown', 'client', 503), true],
    ['an unnamed HTTP 429', awsError('Unknown', 'client', 429), true],
    ['a network reset', Object.assign(new Error('socket hang up'), { name: 'ECONNRESET' }), true],
    ['a ClientException', awsError('ClientException', 'client', 400), false],
    [
      'a ServiceNotFoundException',
      new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } }),
      false,
    ],
    ['a plain Error', new Error('boom'), false],
    ['a thrown string', 'ThrottlingException', false],
  ])('says %s is transient: %s', (_case, error, expected) => {
    // Arrange: the error of the row.

    // Act
    const transient = isTransient(error);

    // Assert
    expect(transient).toBe(expected);
  });
});

describe('classify', () => {
  it('keeps a named Baton error as it is', () => {
    // Arrange
    const error = new GateFailedError('alarm web-5xx-rate is ALARM');

    // Act
    const classified = classify(error);

    // Assert
    expect(classified).toBe(error);
  });

  it('wraps throttling in TransientAwsError with the AWS name in the message and the original as cause', () => {
    // Arrange
    const error = awsError('ThrottlingException', 'client', 400, 'Rate exceeded');

    // Act
    const classified = classify(error);

    // Assert
    expect(classified).toBeInstanceOf(TransientAwsError);
    expect(classified).toMatchObject({
      name: 'TransientAwsError',
      message: 'ThrottlingException: Rate exceeded',
      cause: error,
      retryable: true,
    });
  });

  it('leaves a non-transient AWS error as it is so its name stays the error type', () => {
    // Arrange
    const error = new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } });

    // Act
    const classified = classify(error);

    // Assert
    expect(classified).toBe(error);
  });
});

describe('definePhase', () => {
  const Schema = z.object({ deploymentId: z.string(), count: z.number().int() });

  it('rejects a payload out of contract with ContractViolationError naming the field', async () => {
    // Arrange
    const handler = definePhase('deploy', Schema, async (input) => input.count);

    // Act
    const error = await failure(handler({ deploymentId: 'd-1', count: 'three' }));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error.message).toContain('deploy received a payload out of contract: count:');
  });

  it('passes the parsed payload to the phase and returns its result', async () => {
    // Arrange
    const handler = definePhase('deploy', Schema, async (input) => input.count * 2);

    // Act
    const result = await handler({ deploymentId: 'd-1', count: 3 });

    // Assert
    expect(result).toBe(6);
  });

  it('throws a transient failure of the phase as TransientAwsError', async () => {
    // Arrange
    const throttled = awsError('ThrottlingException', 'client', 400, 'Rate exceeded');
    const handler = definePhase('deploy', Schema, async () => {
      throw throttled;
    });

    // Act
    const error = await failure(handler({ deploymentId: 'd-1', count: 3 }));

    // Assert
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.cause).toBe(throttled);
  });
});
