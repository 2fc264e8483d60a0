/**
 * The outcome notification: the summary, the SNS message and the chat
 * webhook, posted to a local HTTP server whose URL (a credential) comes from
 * a mocked Secrets Manager secret and must never reach the log.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { secretsProvider } from '../../../../../lambdas/shared/clients/secrets.ts';
import type { DeploymentEventDetail } from '../../../../../lambdas/shared/telemetry/events.ts';
import {
  formatDuration,
  notifyOutcome,
  summarize,
  summarizeApprovalRequest,
  summarizePromotionWait,
  WEBHOOK_CACHE_SECONDS,
  webhookUrl,
} from '../../../../../lambdas/shared/telemetry/notify.ts';
import { rejectByDefault } from '../../../../support/aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NEW_DIGEST, NEW_TAG, STARTED_AT } from '../../../../support/state.ts';
import { spyOnLogger } from '../../../../support/telemetry.ts';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:baton/chat-webhook-Ab12Cd';
/** The path part of a chat webhook is its credential. */
const HOOK_PATH = '/services/T0123ABCD/B0456EFGH/s3cr3tT0k3nXyZ';
const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`;

const OUTCOME: DeploymentEventDetail = {
  deploymentId: DEPLOYMENT_ID,
  service: 'web',
  executionArn: EXECUTION_ARN,
  status: 'ROLLED_BACK',
  image: NEW_TAG,
  startedAt: STARTED_AT,
  endedAt: '2025-03-04T10:06:10.000Z',
  durationSeconds: 372,
  reason: 'GateFailedError: alarm web-5xx-rate is ALARM',
  evidence: ['failed in: Check bake', 'rollback: traffic moved back to 100 % blue'],
  consoleUrl: CONSOLE_URL,
};

const TEXT = [
  'web: ROLLED_BACK',
  `image: ${NEW_TAG}`,
  `deployment: ${DEPLOYMENT_ID}`,
  `duration: 6 min 12 s (${STARTED_AT} to 2025-03-04T10:06:10.000Z)`,
  'reason: GateFailedError: alarm web-5xx-rate is ALARM',
  'evidence:',
  '  - failed in: Check bake',
  '  - rollback: traffic moved back to 100 % blue',
  'next: production is back on the old colour; fix the cause above, then deploy again (baton deploy web --tag <tag>)',
  `execution: ${CONSOLE_URL}`,
].join('\n');

describe('summarize', () => {
  it('gives a subject with service, image and status, and a text with every fact of the outcome', () => {
    // Arrange: OUTCOME.

    // Act
    const summary = summarize(OUTCOME);

    // Assert
    expect(summary).toEqual({ subject: `Baton: web ${NEW_TAG} ROLLED_BACK`, text: TEXT });
  });

  it('says "unknown image", leaves out the evidence list when there is none and gives a short duration in seconds', () => {
    // Arrange
    const { image: _image, ...withoutImage } = OUTCOME;
    const outcome: DeploymentEventDetail = { ...withoutImage, status: 'REJECTED', durationSeconds: 45, evidence: [], reason: 'r' };

    // Act
    const summary = summarize(outcome);

    // Assert
    expect(summary).toEqual({
      subject: 'Baton: web unknown image REJECTED',
      text: [
        'web: REJECTED',
        'image: unknown image',
        `deployment: ${DEPLOYMENT_ID}`,
        `duration: 45 s (${STARTED_AT} to 2025-03-04T10:06:10.000Z)`,
        'reason: r',
        'next: nothing was changed; correct what the reason names and start the deployment again',
        `execution: ${CONSOLE_URL}`,
      ].join('\n'),
    });
  });

  it('says the signal once, who asked and why, and what to do after a failed rollback', () => {
    // Arrange: the rollback's evidence opens with the signal, which is the reason.
    const outcome: DeploymentEventDetail = {
      ...OUTCOME,
      status: 'ROLLBACK_FAILED',
      evidence: ['failed in: Check bake', 'signal: GateFailedError: alarm web-5xx-rate is ALARM', 'rollback: blue has 0/3 healthy targets'],
      trigger: 'cli',
      requestedBy: 'alice@example.com',
      requestReason: 'fix checkout totals',
    };

    // Act
    const { text } = summarize(outcome);

    // Assert
    expect(text).toBe(
      [
        'web: ROLLBACK_FAILED',
        `image: ${NEW_TAG}`,
        `deployment: ${DEPLOYMENT_ID}`,
        'trigger: cli',
        'requested by: alice@example.com',
        'why: fix checkout totals',
        `duration: 6 min 12 s (${STARTED_AT} to 2025-03-04T10:06:10.000Z)`,
        'reason: GateFailedError: alarm web-5xx-rate is ALARM',
        'evidence:',
        '  - failed in: Check bake',
        '  - rollback: blue has 0/3 healthy targets',
        'next: the rollback did not finish and is retried; the lock stays held. If it keeps failing, restore web by hand (see the evidence), then run "baton unlock web --reason <what you did>"',
        `execution: ${CONSOLE_URL}`,
      ].join('\n'),
    );
  });

  it('names who requested and who approved, an assumed role as role and session', () => {
    // Arrange
    const outcome: DeploymentEventDetail = {
      ...OUTCOME,
      status: 'SUCCEEDED',
      reason: 'v1.4.2 live on green',
      evidence: [],
      trigger: 'cli',
      requestedBy: 'arn:aws:sts::123456789012:assumed-role/Deployer/alice',
      approvedBy: 'arn:aws:sts::123456789012:assumed-role/Deployer/bob',
    };

    // Act
    const { text } = summarize(outcome);

    // Assert
    expect(text.split('\n').slice(3, 6)).toEqual(['trigger: cli', 'requested by: Deployer/alice', 'approved by: Deployer/bob']);
  });

  it('gives no next step for a success', () => {
    // Act
    const { text } = summarize({ ...OUTCOME, status: 'SUCCEEDED', reason: 'v1.4.2 live on green', evidence: [] });

    // Assert
    expect(text).not.toContain('next:');
  });

  it('shortens a digest in the subject to 12 hex digits and keeps it whole in the text', () => {
    // Arrange
    const outcome = { ...OUTCOME, image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@${NEW_DIGEST}` };

    // Act
    const { subject, text } = summarize(outcome);

    // Assert
    expect(subject).toBe('Baton: web 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:a1a1a1a1a1a1 ROLLED_BACK');
    expect(text).toContain(`image: ${outcome.image}\n`);
  });

  it('cuts the name, not the outcome, to keep the subject under 100 characters', () => {
    // Arrange: a release of many services names them all.
    const outcome = {
      ...OUTCOME,
      service: 'release spring',
      image: 'api v1.1.0, worker v2.4.0, web v1.4.2, billing v3.0.1, search v0.9.12, mailer v7.1.0',
    };

    // Act
    const { subject } = summarize(outcome);

    // Assert
    expect(subject).toBe('Baton: release spring api v1.1.0, worker v2.4.0, web v1.4.2, billing v3.0.1, search... ROLLED_BACK');
  });

  it.each([
    ['99 characters as it is', 76, `Baton: web ${'x'.repeat(76)} ROLLED_BACK`],
    ['100 characters cut to 99', 77, `Baton: web ${'x'.repeat(73)}... ROLLED_BACK`],
  ])('keeps a subject of %s', (_case, length, expected) => {
    // Arrange
    const outcome = { ...OUTCOME, image: 'x'.repeat(length) };

    // Act
    const { subject } = summarize(outcome);

    // Assert
    expect(subject).toBe(expected);
    expect(subject.length).toBeLessThan(100);
  });

  it('keeps the subject on one line of printable ASCII', () => {
    // Arrange
    const outcome = { ...OUTCOME, service: 'web\nshop', image: 'v1.4.2-caf\u00e9\t\u{1f680}' };

    // Act
    const { subject } = summarize(outcome);

    // Assert
    expect(subject).toBe('Baton: web shop v1.4.2-caf? ?? ROLLED_BACK');
  });

  it('says the reason once, however long, when the evidence repeats it as the signal', () => {
    // Arrange: a 900-character reason, which a recovery's signal repeats with the state it stopped in after it.
    const signal = `DeploymentFailedError: ${'task 0f9e8d7c6b5a49382716 stopped (EssentialContainerExited); '.repeat(15)}`.slice(0, 900);
    const outcome: DeploymentEventDetail = {
      ...OUTCOME,
      reason: signal,
      evidence: ['failed in: Check stability', `signal: ${signal}`, 'rollback: traffic moved back to 100 % blue'],
    };
    const recovered: DeploymentEventDetail = { ...outcome, reason: `${signal}; stopped in: Check stability, before any change` };

    // Act
    const texts = [summarize(outcome).text, summarize(recovered).text];

    // Assert
    expect(signal).toHaveLength(900);
    for (const text of texts) expect(text.split(signal)).toHaveLength(2);
    expect(texts[0]).toContain('evidence:\n  - failed in: Check stability\n  - rollback: traffic moved back to 100 % blue\n');
  });

  it('ends with the links of the alarms and the stopped tasks after the execution', () => {
    // Arrange
    const outcome: DeploymentEventDetail = {
      ...OUTCOME,
      links: [
        {
          label: 'alarm web-5xx-rate',
          url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web-5xx-rate',
        },
        {
          label: 'logs of task 0f9e8d7c6b5a49382716',
          url: 'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0f9e8d7c6b5a49382716/logs?region=eu-west-1',
        },
      ],
    };

    // Act
    const { text } = summarize(outcome);

    // Assert
    expect(text.split('\n').slice(-3)).toEqual([
      `execution: ${CONSOLE_URL}`,
      'alarm web-5xx-rate: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web-5xx-rate',
      'logs of task 0f9e8d7c6b5a49382716: https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0f9e8d7c6b5a49382716/logs?region=eu-west-1',
    ]);
  });
});

describe('summarizeApprovalRequest', () => {
  it('names service, tag and the wait in the subject; who asked, the commands and the deadline in the text', () => {
    // Arrange
    const request = {
      service: 'web',
      deploymentId: DEPLOYMENT_ID,
      image: NEW_TAG,
      colour: 'web-green',
      deadline: '2025-03-04T11:00:00.000Z',
      consoleUrl: CONSOLE_URL,
      trigger: 'cli',
      requestedBy: 'alice@example.com',
      requestReason: 'fix checkout totals',
    };

    // Act
    const summary = summarizeApprovalRequest(request);

    // Assert
    expect(summary).toEqual({
      subject: `Baton: web ${NEW_TAG} waits for approval`,
      text: [
        'web: WAITING FOR APPROVAL',
        `image: ${NEW_TAG}`,
        `deployment: ${DEPLOYMENT_ID}`,
        'trigger: cli',
        'requested by: alice@example.com',
        'why: fix checkout totals',
        'web-green is verified and takes no production traffic yet.',
        'next: run "baton approve web" to shift traffic, or "baton reject web --reason <why>" to roll back, before 2025-03-04T11:00:00.000Z; after that it rolls back by itself',
        `execution: ${CONSOLE_URL}`,
      ].join('\n'),
    });
  });

  it('names an untagged image by its short digest in the subject', () => {
    // Act
    const { subject } = summarizeApprovalRequest({
      service: 'web',
      deploymentId: DEPLOYMENT_ID,
      image: NEW_DIGEST,
      colour: 'web-green',
      deadline: '2025-03-04T11:00:00.000Z',
      consoleUrl: CONSOLE_URL,
    });

    // Assert
    expect(subject).toBe('Baton: web sha256:a1a1a1a1a1a1 waits for approval');
  });
});

describe('summarizePromotionWait', () => {
  const WAIT = {
    service: 'web',
    deploymentId: DEPLOYMENT_ID,
    image: NEW_TAG,
    colour: 'web-green',
    weight: 10,
    step: 1,
    of: 3,
    until: '2025-03-05T10:00:00.000Z',
    onTimeout: 'rollback' as const,
    consoleUrl: CONSOLE_URL,
    trigger: 'cli',
    requestedBy: 'alice@example.com',
    requestReason: 'fix checkout totals',
  };

  it('names the weight in the subject; the step, the commands and the rollback at the deadline in the text', () => {
    // Act
    const summary = summarizePromotionWait(WAIT);

    // Assert
    expect(summary).toEqual({
      subject: `Baton: web ${NEW_TAG} waits for promotion at 10 %`,
      text: [
        'web: WAITING FOR PROMOTION',
        `image: ${NEW_TAG}`,
        `deployment: ${DEPLOYMENT_ID}`,
        'trigger: cli',
        'requested by: alice@example.com',
        'why: fix checkout totals',
        'web-green takes 10 % of production traffic (step 1 of 3); its gates are watched all the while.',
        'next: run "baton promote web" for the next step, "baton promote web --full" to go to 100 % (the gates and the bake still run), or "baton abort web --reason <why>" to roll back; at 2025-03-05T10:00:00.000Z it rolls back by itself',
        `execution: ${CONSOLE_URL}`,
      ].join('\n'),
    });
  });

  it('says the deployment goes on by itself when the step proceeds on timeout', () => {
    // Act
    const { text } = summarizePromotionWait({
      ...WAIT,
      onTimeout: 'proceed',
      trigger: undefined,
      requestedBy: undefined,
      requestReason: undefined,
    });

    // Assert
    expect(text).toBe(
      [
        'web: WAITING FOR PROMOTION',
        `image: ${NEW_TAG}`,
        `deployment: ${DEPLOYMENT_ID}`,
        'web-green takes 10 % of production traffic (step 1 of 3); its gates are watched all the while.',
        'next: run "baton promote web" for the next step, "baton promote web --full" to go to 100 % (the gates and the bake still run), or "baton abort web --reason <why>" to roll back; at 2025-03-05T10:00:00.000Z it goes on to the next step by itself',
        `execution: ${CONSOLE_URL}`,
      ].join('\n'),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [45, '45 s'],
    [60, '1 min'],
    [372, '6 min 12 s'],
    [3600, '1 h'],
    [3720, '1 h 2 min'],
    [86_400, '24 h'],
  ])('words %i seconds as "%s"', (seconds, expected) => {
    // Act
    const words = formatDuration(seconds);

    // Assert
    expect(words).toBe(expected);
  });
});

describe('webhookUrl', () => {
  it.each([
    ['the URL itself', 'https://hooks.example.com/services/T0/B0/x', 'https://hooks.example.com/services/T0/B0/x'],
    ['the URL with surrounding whitespace', '  https://hooks.example.com/x\n', 'https://hooks.example.com/x'],
    ['an http URL', 'http://127.0.0.1:8080/hook', 'http://127.0.0.1:8080/hook'],
    ['JSON with a "url" key', '{"url":"https://chat.example.com/hooks/abc","channel":"#deploys"}', 'https://chat.example.com/hooks/abc'],
    ['indented JSON with a "url" key', ' {\n  "url": "https://chat.example.com/hooks/abc"\n}', 'https://chat.example.com/hooks/abc'],
  ])('reads %s', (_case, secret, expected) => {
    // Arrange: the secret of the row.

    // Act
    const url = webhookUrl(secret);

    // Assert
    expect(url).toBe(expected);
  });

  it.each([
    ['an empty secret', ''],
    ['text that is not a URL', 'hooks.example.com/services/T0/B0/x'],
    ['a URL of another scheme', 'ftp://hooks.example.com/x'],
    ['JSON without a "url" key', '{"webhook":"https://hooks.example.com/x"}'],
    ['JSON whose "url" is not a string', '{"url":42}'],
    ['JSON whose "url" is not http(s)', '{"url":"file:///etc/passwd"}'],
    ['JSON that does not parse', '{"url":"https://hooks.example.com/x"'],
    ['a binary secret', new Uint8Array([104, 116, 116, 112])],
    ['no secret', undefined],
  ])('rejects %s', (_case, secret) => {
    // Arrange: the secret of the row.

    // Act
    const read = () => webhookUrl(secret);

    // Assert
    expect(read).toThrow(new TypeError('the chat webhook secret is not a URL nor JSON with a "url" key'));
  });
});

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe('notifyOutcome', () => {
  const snsMock = mockClient(SNSClient);
  const secretsMock = mockClient(SecretsManagerClient);

  /** A local chat webhook: records each request and answers with `status`. */
  let server: Server;
  let baseUrl: string;
  let status = 200;
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ method: request.method, url: request.url, headers: request.headers, body });
        response.writeHead(status, { 'content-type': 'text/plain' });
        response.end(status === 200 ? 'ok' : 'invalid_payload');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function givenSecret(secretString: string): void {
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ ARN: SECRET_ARN, SecretString: secretString });
  }

  beforeEach(() => {
    rejectByDefault(snsMock, secretsMock);
    // The webhook URL is cached for WEBHOOK_CACHE_SECONDS: every test reads the secret afresh.
    secretsProvider().clearCache();
    received.length = 0;
    status = 200;
    vi.stubEnv('BATON_TOPIC_ARN', undefined);
    vi.stubEnv('BATON_CHAT_WEBHOOK_SECRET_ARN', undefined);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  describe('to the SNS topic', () => {
    beforeEach(() => {
      vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
    });

    it('publishes the summary with its subject to the topic', async () => {
      // Arrange
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });

      // Act
      await notifyOutcome(OUTCOME);

      // Assert
      expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
        { TopicArn: TOPIC_ARN, Subject: `Baton: web ${NEW_TAG} ROLLED_BACK`, Message: TEXT },
      ]);
      expect(secretsMock).not.toHaveReceivedAnyCommand();
      expect(received).toEqual([]);
    });

    it('logs and does not throw when Publish fails', async () => {
      // Arrange
      const log = spyOnLogger();
      snsMock.on(PublishCommand).rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));

      // Act
      const notified = notifyOutcome(OUTCOME);

      // Assert
      await expect(notified).resolves.toBeUndefined();
      expect(log.warnings()).toEqual([
        ['notification not published', { topicArn: TOPIC_ARN, error: 'NotFoundException: Topic does not exist' }],
      ]);
    });
  });

  it('publishes nothing without BATON_TOPIC_ARN', async () => {
    // Arrange: neither topic nor webhook configured (beforeEach).
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-2' });

    // Act
    await notifyOutcome(OUTCOME);

    // Assert
    expect(snsMock).not.toHaveReceivedAnyCommand();
    expect(secretsMock).not.toHaveReceivedAnyCommand();
  });

  describe('to the chat webhook', () => {
    beforeEach(() => {
      vi.stubEnv('BATON_CHAT_WEBHOOK_SECRET_ARN', SECRET_ARN);
    });

    it.each([
      ['the URL itself', (url: string) => url],
      ['JSON with a "url" key', (url: string) => JSON.stringify({ url })],
    ])('posts {text} as JSON to the URL the secret holds as %s', async (_case, secretOf) => {
      // Arrange
      givenSecret(secretOf(`${baseUrl}${HOOK_PATH}`));

      // Act
      await notifyOutcome(OUTCOME);

      // Assert
      expect(secretsMock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: SECRET_ARN }]);
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ method: 'POST', url: HOOK_PATH, headers: { 'content-type': 'application/json' } });
      expect(JSON.parse(received[0]?.body ?? '')).toEqual({ text: TEXT });
      expect(snsMock).not.toHaveReceivedAnyCommand();
    });

    it(`reads the secret once for notifications within ${WEBHOOK_CACHE_SECONDS} seconds`, async () => {
      // Arrange
      givenSecret(`${baseUrl}${HOOK_PATH}`);

      // Act
      await notifyOutcome(OUTCOME);
      await notifyOutcome({ ...OUTCOME, status: 'SUCCEEDED' });

      // Assert
      expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
      expect(received).toHaveLength(2);
    });

    it('logs the status, not the URL, and does not throw when the webhook answers 500', async () => {
      // Arrange
      const log = spyOnLogger();
      status = 500;
      givenSecret(`${baseUrl}${HOOK_PATH}`);

      // Act
      const notified = notifyOutcome(OUTCOME);

      // Assert
      await expect(notified).resolves.toBeUndefined();
      expect(received).toHaveLength(1);
      expect(log.warnings()).toEqual([['chat webhook refused the message', { secretArn: SECRET_ARN, status: 500 }]]);
      expect(log.text()).not.toContain(HOOK_PATH);
      expect(log.text()).not.toContain(baseUrl);
    });

    it('logs the error name, not the URL, and does not throw when the webhook is unreachable', async () => {
      // Arrange: a port nothing listens on any more.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const unreachable = `http://127.0.0.1:${port}${HOOK_PATH}`;
      const log = spyOnLogger();
      givenSecret(JSON.stringify({ url: unreachable }));

      // Act
      const notified = notifyOutcome(OUTCOME);

      // Assert
      await expect(notified).resolves.toBeUndefined();
      expect(log.warnings()).toEqual([['chat webhook unreachable', { secretArn: SECRET_ARN, error: 'TypeError' }]]);
      expect(log.text()).not.toContain(HOOK_PATH);
      expect(log.text()).not.toContain(`127.0.0.1:${port}`);
    });

    it('posts nothing, logs without the secret value and does not throw when the secret is not a URL', async () => {
      // Arrange
      const log = spyOnLogger();
      givenSecret(JSON.stringify({ webhook: `${baseUrl}${HOOK_PATH}` }));

      // Act
      const notified = notifyOutcome(OUTCOME);

      // Assert
      await expect(notified).resolves.toBeUndefined();
      expect(received).toEqual([]);
      expect(log.warnings()).toEqual([['chat webhook secret unreadable', { secretArn: SECRET_ARN, error: 'TypeError' }]]);
      expect(log.text()).not.toContain(HOOK_PATH);
    });

    it('logs and does not throw when the secret cannot be read', async () => {
      // Arrange
      const log = spyOnLogger();
      secretsMock
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
        .rejects(Object.assign(new Error('not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' }));

      // Act
      const notified = notifyOutcome(OUTCOME);

      // Assert
      await expect(notified).resolves.toBeUndefined();
      expect(received).toEqual([]);
      expect(log.warnings()).toEqual([['chat webhook secret unreadable', { secretArn: SECRET_ARN, error: 'GetParameterError' }]]);
    });

    it('still publishes to the topic when the webhook fails', async () => {
      // Arrange
      vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-3' });
      status = 500;
      givenSecret(`${baseUrl}${HOOK_PATH}`);

      // Act
      await notifyOutcome(OUTCOME);

      // Assert
      expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC_ARN, Message: TEXT });
      expect(received).toHaveLength(1);
    });
  });
});
