/**
 * The SNS and chat notifications of a deployment: its start, its wait for
 * approval and its outcome, with the links of the alarms and stopped tasks.
 * run() and runWith() check the invariants of docs/architecture.md after every run.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { secretsProvider } from '../../../lambdas/shared/clients/secrets.ts';
import { at, BAKE_ALARM, CONSOLE_URL, SUCCESS_REASON } from '../../support/records.ts';
import { run } from '../../support/simulation.ts';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
const WEBHOOK_PATH = '/services/T0001/B0002/SIMSECRET-hook-4d2f9a';
const ALARM_LINK =
  'alarm web-5xx-rate: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web-5xx-rate';
const NEXT_AT_START = 'next: follow it with "baton watch web"; stop it and roll back with "baton abort web --reason <why>"';

/** The start message of the example deployment (deploy-1 of v1.4.2, all-at-once with the service's 300 s bake). */
function startMessage(strategy = 'all-at-once; then a 5 min bake'): string {
  return [
    'web: DEPLOYING',
    'image: v1.4.2',
    'deployment: deploy-1',
    'trigger: console',
    `strategy: ${strategy}`,
    'colours: web-green takes production traffic from web-blue',
    NEXT_AT_START,
    `execution: ${CONSOLE_URL}`,
  ].join('\n');
}

beforeEach(() => {
  // The webhook URL is cached for 300 s in the process (Powertools Parameters), while every simulated run
  // starts its webhook server on a new port at the same simulated time: start each test without the cache
  // (see 'each simulated run posts to its own webhook server' below).
  secretsProvider().clearCache();
});

describe('SNS and chat notifications', () => {
  it('publishes the start and the success to SNS and posts the same texts to the chat webhook', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    const message = [
      'web: SUCCEEDED',
      'image: v1.4.2',
      'deployment: deploy-1',
      'trigger: console',
      `duration: 10 min 45 s (${at('09:00:00')} to ${at('09:10:45.250')})`,
      `reason: ${SUCCESS_REASON}`,
      `execution: ${CONSOLE_URL}`,
    ].join('\n');
    expect(result.model.notifications).toEqual([
      // Initialize publishes the start after its transition and invoke, and those of the state before it (sim/stepfunctions/latency.ts).
      { at: at('09:00:00.075'), topicArn: TOPIC_ARN, subject: 'Baton: web v1.4.2 deploying (all-at-once)', message: startMessage() },
      { at: at('09:10:45.250'), topicArn: TOPIC_ARN, subject: 'Baton: web v1.4.2 SUCCEEDED', message },
    ]);
    expect(result.webhook).toEqual([
      { path: WEBHOOK_PATH, body: { text: startMessage() } },
      { path: WEBHOOK_PATH, body: { text: message } },
    ]);
  });

  it("states the outcome, the reason once, the evidence and the alarm's link of a rollback in both", async () => {
    // Arrange / Act
    const result = await run({ faults: ['alarm-during-bake'] });

    // Assert
    const message = [
      'web: ROLLED_BACK',
      'image: v1.4.2',
      'deployment: deploy-1',
      'trigger: console',
      `duration: 1 min 45 s (${at('09:00:00')} to ${at('09:01:45.275')})`,
      `reason: GateFailedError: ${BAKE_ALARM}`,
      'evidence:',
      '  - failed in: Check bake',
      '  - rollback: traffic moved from blue 0 % / green 100 % back to 100 % blue',
      '  - rollback: web-green scaled to 0 on arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6',
      'next: production is back on the old colour; fix the cause above, then deploy again (baton deploy web --tag <tag>)',
      `execution: ${CONSOLE_URL}`,
      ALARM_LINK,
    ].join('\n');
    expect(result.model.notifications).toEqual([
      { at: at('09:00:00.075'), topicArn: TOPIC_ARN, subject: 'Baton: web v1.4.2 deploying (all-at-once)', message: startMessage() },
      { at: at('09:01:45.275'), topicArn: TOPIC_ARN, subject: 'Baton: web v1.4.2 ROLLED_BACK', message },
    ]);
    expect(result.webhook).toEqual([
      { path: WEBHOOK_PATH, body: { text: startMessage() } },
      { path: WEBHOOK_PATH, body: { text: message } },
    ]);
  });

  it('each simulated run posts to its own webhook server, whatever ran before in the process', async () => {
    // Arrange: a first run caches the webhook URL (its server's port) for 300 simulated seconds.
    await run({ faults: ['image-missing'] });

    // Act: the second run starts again at 09:00:00 with a new server, and notifies at 09:00:00 and 09:01:45.
    const result = await run({ faults: ['alarm-during-bake'] });

    // Assert
    expect(result.logLines.filter((line) => line.includes('chat webhook unreachable'))).toEqual([]);
    expect(result.webhook.length).toBe(2);
  });
});

describe('notifications of a canary', () => {
  const canary = { service: 'web', imageTag: 'v1.4.2', strategy: { type: 'canary', percent: 10, bakeSeconds: 300 } };

  it('publishes the start, naming the canary, then the success', async () => {
    // Act
    const result = await run({ input: canary });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.model.notifications.map((n) => n.subject)).toEqual([
      'Baton: web v1.4.2 deploying (canary 10 % for 5 min)',
      'Baton: web v1.4.2 SUCCEEDED',
    ]);
    expect(result.model.notifications[0]?.message).toBe(startMessage('canary 10 % for 5 min; then a 5 min bake'));
  });

  it('publishes the start, then ROLLED_BACK with the link of the alarm that fired at 10 %', async () => {
    // Act
    const result = await run({ input: canary, faults: ['alarm-during-shift'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    const [start, outcome, ...more] = result.model.notifications;
    expect(more).toEqual([]);
    expect(start?.subject).toBe('Baton: web v1.4.2 deploying (canary 10 % for 5 min)');
    expect(outcome?.subject).toBe('Baton: web v1.4.2 ROLLED_BACK');
    const lines = outcome?.message.split('\n') ?? [];
    expect(lines.slice(-2)).toEqual([`execution: ${CONSOLE_URL}`, ALARM_LINK]);
    // The gate's words (the alarm's reason among them) are the reason, said once: the alarm's CloudWatch event (its
    // metric breached 45 s into the hold, ALARM after its 60 s of evaluation periods) came before the next gate check.
    const reason = lines.find((line) => line.startsWith('reason: '))?.slice('reason: '.length) ?? '';
    expect(reason).toBe(
      'GateFailedError: gate failed while holding green at 10 %: alarm web-5xx-rate entered ALARM at 2026-11-23T09:02:30.250Z (CloudWatch event): Threshold Crossed: 2 datapoints [9.1, 11.4] were greater than the threshold (5.0).',
    );
    expect(outcome?.message.split(reason)).toHaveLength(2);
  });
});

describe('notifications of other deployments', () => {
  it('publishes the start, the wait for approval with the commands and the deadline, then the outcome', async () => {
    // Act
    const result = await run({ input: { service: 'web', imageTag: 'v1.4.2', approval: true }, approval: 'approve' });

    // Assert
    expect(result.model.notifications.map((n) => n.subject)).toEqual([
      'Baton: web v1.4.2 deploying (all-at-once)',
      'Baton: web v1.4.2 waits for approval',
      'Baton: web v1.4.2 SUCCEEDED',
    ]);
    expect(result.model.notifications[0]?.message).toContain(
      'strategy: all-at-once; then a 5 min bake; waits for "baton approve web" before traffic moves\n',
    );
    expect(result.model.notifications[1]?.message).toMatch(
      /\nnext: run "baton approve web" to shift traffic, or "baton reject web --reason <why>" to roll back, before \d{4}-\d\d-\d\dT[\d:.]+Z; after that it rolls back by itself\n/,
    );
  });

  it('links the logs of the stopped tasks when the new tasks crash', async () => {
    // Act
    const result = await run({ faults: ['green-tasks-crash'] });

    // Assert
    const outcome = result.model.notifications.at(-1);
    expect(outcome?.subject).toBe('Baton: web v1.4.2 ROLLED_BACK');
    const links = (outcome?.message.split('\n') ?? []).filter((line) => line.startsWith('logs of task '));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      expect(link).toMatch(
        /^logs of task ([0-9a-f-]+): https:\/\/eu-west-1\.console\.aws\.amazon\.com\/ecs\/v2\/clusters\/prod\/tasks\/\1\/logs\?region=eu-west-1$/,
      );
    }
  });

  it('publishes nothing for a dry run', async () => {
    // Act
    const result = await run({ input: { service: 'web', imageTag: 'v1.4.2', dryRun: true } });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.model.notifications).toEqual([]);
    expect(result.webhook).toEqual([]);
  });
});
