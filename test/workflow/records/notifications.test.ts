/**
 * The SNS and chat notifications of an outcome.
 * run() and runWith() check the invariants of docs/architecture.md after every run.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import * as clients from '../../../lambdas/shared/clients.ts';
import { at, BAKE_ALARM, CONSOLE_URL, SUCCESS_REASON } from '../../support/records.ts';
import { run } from '../../support/simulation.ts';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
const WEBHOOK_PATH = '/services/T0001/B0002/SIMSECRET-hook-4d2f9a';

beforeEach(() => {
  // The webhook URL is cached for 300 s in the process (Powertools Parameters), while every simulated run
  // starts its webhook server on a new port at the same simulated time: start each test without the cache
  // (see 'each simulated run posts to its own webhook server' below).
  clients.secretsProvider.clearCache();
});

describe('SNS and chat notifications', () => {
  it('publishes one SNS message for a success and posts the same text to the chat webhook', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    const message = [
      'web: SUCCEEDED',
      'image: v1.4.2',
      'deployment: deploy-1',
      'trigger: console',
      `duration: 11 min 0 s (${at('09:00:00')} to ${at('09:11:00')})`,
      `reason: ${SUCCESS_REASON}`,
      `execution: ${CONSOLE_URL}`,
    ].join('\n');
    expect(result.model.notifications).toEqual([
      { at: at('09:11:00'), topicArn: TOPIC_ARN, subject: 'Baton: web v1.4.2 SUCCEEDED', message },
    ]);
    expect(result.webhook).toEqual([{ path: WEBHOOK_PATH, body: { text: message } }]);
  });

  it('states the outcome, the reason and the evidence of a rollback in both', async () => {
    // Arrange / Act
    const result = await run({ faults: ['alarm-during-bake'] });

    // Assert
    const message = [
      'web: ROLLED_BACK',
      'image: v1.4.2',
      'deployment: deploy-1',
      'trigger: console',
      `duration: 1 min 30 s (${at('09:00:00')} to ${at('09:01:30')})`,
      `reason: GateFailedError: ${BAKE_ALARM}`,
      'evidence:',
      '  - failed in: Check bake',
      '  - rollback: traffic moved from blue 0 % / green 100 % back to 100 % blue',
      '  - rollback: web-green scaled to 0 on arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6',
      'next: production is back on the old colour; fix the cause above, then deploy again (baton deploy web --tag <tag>)',
      `execution: ${CONSOLE_URL}`,
    ].join('\n');
    expect(result.model.notifications).toEqual([
      { at: at('09:01:30'), topicArn: TOPIC_ARN, subject: 'Baton: web v1.4.2 ROLLED_BACK', message },
    ]);
    expect(result.webhook).toEqual([{ path: WEBHOOK_PATH, body: { text: message } }]);
  });

  it('each simulated run posts to its own webhook server, whatever ran before in the process', async () => {
    // Arrange: a first run caches the webhook URL (its server's port) for 300 simulated seconds.
    await run({ faults: ['image-missing'] });

    // Act: the second run starts again at 09:00:00 with a new server, and notifies at 09:01:30.
    const result = await run({ faults: ['alarm-during-bake'] });

    // Assert
    expect(result.logLines.filter((line) => line.includes('chat webhook unreachable'))).toEqual([]);
    expect(result.webhook.length).toBe(1);
  });
});
