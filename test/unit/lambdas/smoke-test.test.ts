/**
 * The smoke-test function: one attempt of HTTP checks through the test
 * listener, reported at $.smoke. It calls no AWS API (with pipeline.network it
 * runs in a VPC that may have no route to AWS): record-smoke-test records
 * the attempt and decides (test/unit/lambdas/record-smoke-test.test.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeploymentState } from '../../../lambdas/shared/stages.ts';
import { handler } from '../../../lambdas/smoke-test/index.ts';
import { rejectByDefault } from '../../support/aws.ts';
import { initialState, NOW, stateAfter, withTestListener } from '../../support/state.ts';

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

/** Every AWS SDK client a handler can use (lambdas/shared/clients/): any call rejects, and is counted. */
const CLIENTS = [
  ECSClient,
  ElasticLoadBalancingV2Client,
  ECRClient,
  SecretsManagerClient,
  ElastiCacheClient,
  CloudWatchClient,
  SFNClient,
  EventBridgeClient,
  SNSClient,
  DynamoDBClient,
  DynamoDBDocumentClient,
] as const;
const mocks = CLIENTS.map((client) => mockClient(client as never));

beforeEach(() => {
  rejectByDefault(...mocks);
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
  // As the stack configures it: a phase that tracked its runs would publish its events.
  vi.stubEnv('BATON_EVENT_BUS_NAME', 'default');
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

/** The state verify hands on (the deployment holds its lock), with the smoke test aimed at the local server. */
function stateWith(paths: string[], maxLatencyMs = 1000): DeploymentState {
  const state = withTestListener(stateAfter('verify'));
  const smokeTest = state.service.smokeTest;
  if (!smokeTest) throw new Error('example config has no smokeTest');
  return { ...state, service: { ...state.service, smokeTest: { ...smokeTest, baseUrl, paths, maxLatencyMs } } };
}

/** The number of AWS calls sent through any client. */
function awsCalls(): number {
  return mocks.reduce((count, mock) => count + mock.calls().length, 0);
}

describe('smoke test', () => {
  it('reports a passed first attempt with one ok check per path', async () => {
    // Arrange
    const state = stateWith(['/healthz', '/']);

    // Act
    const run = await handler(state);

    // Assert
    expect(run).toEqual({
      attempt: 1,
      passed: true,
      startedAt: NOW,
      endedAt: NOW,
      checks: [
        { url: `${baseUrl}/healthz`, ok: true, summary: expect.stringMatching(new RegExp(`^GET ${baseUrl}/healthz -> 200 in \\d+ ms$`)) },
        { url: `${baseUrl}/`, ok: true, summary: expect.stringMatching(new RegExp(`^GET ${baseUrl}/ -> 200 in \\d+ ms$`)) },
      ],
    });
  });

  it('counts the attempt after the one the state carries', async () => {
    // Arrange
    const previous = { attempt: 2, passed: false, startedAt: NOW, endedAt: NOW, checks: [] };

    // Act
    const run = await handler({ ...stateWith(['/']), smoke: previous });

    // Assert
    expect(run.attempt).toBe(3);
  });

  it('passes with no checks for a service without a smoke test', async () => {
    // Act
    const run = await handler(initialState());

    // Assert
    expect(run).toEqual({ attempt: 1, passed: true, startedAt: NOW, endedAt: NOW, checks: [] });
  });

  it('fails naming the URL, the status and the body when a path answers 503', async () => {
    // Act
    const run = await handler(stateWith(['/healthz', '/broken']));

    // Assert
    expect(run.passed).toBe(false);
    expect(run.checks.map((check) => check.ok)).toEqual([true, false]);
    expect(run.checks[1]?.summary).toMatch(
      new RegExp(
        `^GET ${baseUrl}/broken -> 503 in \\d+ ms \\(status 503, expected 200; body does not match /"status":\\\\s\\*"ok"/\\); body: \\{"status":"degraded","db":"down"\\}$`,
      ),
    );
  });

  it('fails when a path answers over the latency budget', async () => {
    // Act
    const run = await handler(stateWith(['/slow'], 20));

    // Assert
    expect(run.passed).toBe(false);
    expect(run.checks[0]?.summary).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/slow -> 200 in \d+ ms \(\d+ ms, over the 20 ms budget\); body: \{"status":"ok"\}$/,
    );
  });

  it('fails when the body does not match', async () => {
    // Act
    const run = await handler(stateWith(['/other']));

    // Assert
    expect(run.passed).toBe(false);
    expect(run.checks[0]?.summary).toContain('body does not match');
  });

  it('fails naming the error when nothing answers', async () => {
    // Arrange
    const state = stateWith(['/']);
    const smokeTest = { ...state.service.smokeTest, baseUrl: 'http://127.0.0.1:9', paths: ['/'], expectedStatus: 200, maxLatencyMs: 1000 };

    // Act
    const run = await handler({ ...state, service: { ...state.service, smokeTest } });

    // Assert
    expect(run.passed).toBe(false);
    expect(run.checks).toEqual([
      {
        url: 'http://127.0.0.1:9/',
        ok: false,
        summary: expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:9\/ failed after \d+ ms \(TypeError: fetch failed\)$/),
      },
    ]);
  });

  it.each([
    ['a passing attempt', ['/healthz', '/']],
    ['a failing attempt', ['/broken']],
  ])('makes no AWS call at all in %s of a deployment that holds its lock', async (_case, paths) => {
    // Arrange: every client of lambdas/shared/clients/ rejects whatever it is sent.
    const state = stateWith(paths);

    // Act
    await handler(state);

    // Assert
    expect(awsCalls()).toBe(0);
  });
});
