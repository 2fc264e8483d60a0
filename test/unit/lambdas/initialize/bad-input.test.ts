/** Input initialize refuses before it changes anything, naming the field: requests, ECR events, services, listener splits. */
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/initialize/index.ts';
import { InvalidInputError, ListenerSplitError, UnknownServiceError } from '../../../../lambdas/shared/errors.ts';
import { productionListenerOf } from '../../../../lambdas/shared/service-resources.ts';
import { failure, listenerWith } from '../../../support/aws.ts';
import { envelope, initializeMocks, request, web } from '../../../support/initialize.ts';
import { NEW_DIGEST, NEW_TAG } from '../../../support/state.ts';

describe('initialize', () => {
  const { elbMock, dynamoMock } = initializeMocks();

  it('rejects an ECR push of a tag no service deploys with InvalidInputError naming the field', async () => {
    // Arrange
    const pushEvent = {
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      detail: { 'action-type': 'PUSH', result: 'SUCCESS', 'repository-name': 'web', 'image-digest': NEW_DIGEST, 'image-tag': 'latest' },
    };

    // Act
    const error = await failure(handler(envelope(pushEvent)));

    // Assert
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toContain('detail.repository-name: no service deploys web:latest');
  });

  it.each([
    [
      'both imageTag and imageDigest',
      { service: 'web', imageTag: NEW_TAG, imageDigest: NEW_DIGEST },
      'imageDigest: give imageTag or imageDigest, not both',
    ],
    ['neither imageTag nor imageDigest', { service: 'web' }, 'imageTag: give imageTag, imageDigest or rollbackTo'],
    [
      'rollbackTo together with imageTag',
      { service: 'web', rollbackTo: 'web-v1_4_1-20250301T080000Z', imageTag: NEW_TAG },
      'rollbackTo: a rollback redeploys the image of that release; do not also give imageTag or imageDigest',
    ],
    ['a digest that is not sha256 and 64 hex digits', { service: 'web', imageDigest: 'sha256:abc123' }, 'imageDigest: expected "sha256:"'],
    ['an unknown field', { service: 'web', imageTag: NEW_TAG, colour: 'green' }, 'colour: unknown field'],
    [
      'a canary percent of 150',
      { service: 'web', imageTag: NEW_TAG, strategy: { type: 'canary', percent: 150, bakeSeconds: 60 } },
      'strategy.percent:',
    ],
    ['input that is not an object', 'web:v1.4.2', 'execution input must be a JSON object'],
  ])('rejects %s with InvalidInputError naming the field', async (_case, input, fragment) => {
    // Arrange: the input of the row.

    // Act
    const error = await failure(handler(envelope(input)));

    // Assert
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toContain(fragment);
  });

  it('reads nothing, takes no lock and writes no record for invalid input', async () => {
    // Arrange
    const invalid = { service: 'web' };

    // Act
    await failure(handler(envelope(invalid)));

    // Assert
    expect(elbMock.calls()).toHaveLength(0);
    expect(dynamoMock).not.toHaveReceivedCommand(GetCommand);
    expect(dynamoMock).not.toHaveReceivedCommand(PutCommand);
  });

  it('rejects a service missing from the config with UnknownServiceError naming the known services', async () => {
    // Arrange
    const unknown = { service: 'billing', imageTag: NEW_TAG };

    // Act
    const error = await failure(handler(envelope(unknown)));

    // Assert
    expect(error).toBeInstanceOf(UnknownServiceError);
    expect(error.message).toContain('"billing" is not configured (known: web)');
  });

  it('rejects a listener split 80/20 with ListenerSplitError and takes no lock', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] })
      .resolves(listenerWith(web, { blue: 80, green: 20 }));

    // Act
    const error = await failure(handler(envelope(request)));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(error.message).toContain('split blue 80 % / green 20 %');
    expect(dynamoMock).not.toHaveReceivedCommand(PutCommand);
  });
});
