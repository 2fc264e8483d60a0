import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SmokeTestFailedError } from '../../lambdas/shared/errors.ts';
import { handler } from '../../lambdas/smoke-test/index.ts';
import { allowLeaseRenewals, failure, rejectByDefault } from '../fixtures/aws.ts';
import { initialState, withTestListener } from '../fixtures/state.ts';

/** A local HTTP server standing in for the test listener: /slow answers after 80 ms, /broken with 503. */
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const answer = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    };
    if (request.url === '/slow') setTimeout(() => answer(200, '{"status":"ok"}'), 80);
    else if (request.url === '/broken') answer(503, '{"status":"degraded","db":"down"}');
    else if (request.url === '/other') answer(200, '{"status":"starting"}');
    else answer(200, '{"status":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function stateWith(paths: string[], maxLatencyMs = 1000) {
  const state = withTestListener(initialState());
  const smokeTest = state.service.smokeTest;
  if (!smokeTest) throw new Error('example config has no smokeTest');
  return { ...state, service: { ...state.service, smokeTest: { ...smokeTest, baseUrl, paths, maxLatencyMs } } };
}

describe('smoke test', () => {
  // The phase tracking of definePhase writes to the record: no DynamoDB call leaves the test.
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    rejectByDefault(dynamoMock);
    allowLeaseRenewals(dynamoMock);
  });

  it('passes when every path answers the expected status and body within the budget', async () => {
    // Arrange
    const state = stateWith(['/healthz', '/']);

    // Act
    const output = await handler(state);

    // Assert
    expect(output).toEqual(state);
  });

  it('does nothing for a service without a smoke test', async () => {
    // Arrange
    const state = initialState();

    // Act / Assert
    expect(await handler(state)).toEqual(state);
  });

  it('fails naming the URL, the status and the body when a path answers 503', async () => {
    // Act
    const error = await failure(handler(stateWith(['/healthz', '/broken'])));

    // Assert
    expect(error).toBeInstanceOf(SmokeTestFailedError);
    expect(error.message).toMatch(
      new RegExp(
        `^smoke test of green through the test listener failed: GET ${baseUrl}/broken -> 503 in \\d+ ms \\(status 503, expected 200; body does not match /"status":\\\\s\\*"ok"/\\); body: \\{"status":"degraded","db":"down"\\}$`,
      ),
    );
  });

  it('fails when a path answers over the latency budget', async () => {
    // Act
    const error = await failure(handler(stateWith(['/slow'], 20)));

    // Assert
    expect(error.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/slow -> 200 in \d+ ms \(\d+ ms, over the 20 ms budget\)/);
  });

  it('fails when the body does not match', async () => {
    // Act
    const error = await failure(handler(stateWith(['/other'])));

    // Assert
    expect(error.message).toContain('body does not match');
  });

  it('fails naming the error when nothing answers', async () => {
    // Arrange
    const state = stateWith(['/']);
    const closed = {
      ...state,
      service: {
        ...state.service,
        smokeTest: { ...state.service.smokeTest, baseUrl: 'http://127.0.0.1:9', paths: ['/'], expectedStatus: 200, maxLatencyMs: 1000 },
      },
    };

    // Act
    const error = await failure(handler(closed));

    // Assert
    expect(error.message).toMatch(
      /^smoke test of green through the test listener failed: GET http:\/\/127\.0\.0\.1:9\/ failed after \d+ ms \(TypeError: fetch failed\)$/,
    );
  });
});
