/** Which errors definePhase lets Step Functions retry (isTransient) and how it names them (classify). */
import { ServiceNotFoundException } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { classify, isTransient } from '../../../../lambdas/shared/error-classification.ts';
import { GateFailedError, TransientAwsError } from '../../../../lambdas/shared/errors.ts';
import { awsError } from '../../../support/phase.ts';

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
