/**
 * The human summary of a terminal outcome, and of a deployment that waits for
 * approval: published to the SNS topic and, when configured, posted to a chat
 * webhook. The webhook URL is a credential:
 * it is read from Secrets Manager at run time (Powertools Parameters, cached
 * for a few minutes in memory), never from the environment or the template,
 * and never logged. Delivery problems are logged, never thrown.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import * as clients from '../clients.ts';
import { displayIdentity } from '../identity.ts';
import { logger } from '../logger.ts';
import type { DeploymentEventDetail } from './events.ts';

/** Seconds the webhook URL stays cached in the function's memory. */
export const WEBHOOK_CACHE_SECONDS = 300;
const WEBHOOK_TIMEOUT_MS = 5000;

function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}

/** What the people told should do next, by outcome; nothing when there is nothing to do. */
function nextStep(outcome: DeploymentEventDetail): string | undefined {
  const service = outcome.service;
  switch (outcome.status) {
    case 'ROLLED_BACK':
      return `production is back on the old colour; fix the cause above, then deploy again (baton deploy ${service} --tag <tag>)`;
    case 'ROLLBACK_FAILED':
      return `the rollback did not finish and is retried; the lock stays held. If it keeps failing, restore ${service} by hand (see the evidence), then run "baton unlock ${service} --reason <what you did>"`;
    case 'REJECTED':
      return 'nothing was changed; correct what the reason names and start the deployment again';
    case 'QUEUED':
      return `it starts by itself when the deployment holding ${service} ends`;
    default:
      return undefined;
  }
}

export function summarize(outcome: DeploymentEventDetail): { subject: string; text: string } {
  const image = outcome.image ?? 'unknown image';
  const subject = `Baton: ${outcome.service} ${image} ${outcome.status}`.slice(0, 99);
  // The record's evidence opens with the signal, which is the reason itself: say it once.
  const evidence = outcome.evidence.filter((line) => line !== `signal: ${outcome.reason}`);
  const next = nextStep(outcome);
  const lines = [
    `${outcome.service}: ${outcome.status}`,
    `image: ${image}`,
    `deployment: ${outcome.deploymentId}`,
    ...(outcome.trigger ? [`trigger: ${outcome.trigger}`] : []),
    ...(outcome.requestedBy ? [`requested by: ${displayIdentity(outcome.requestedBy)}`] : []),
    ...(outcome.requestReason ? [`why: ${outcome.requestReason}`] : []),
    ...(outcome.approvedBy ? [`approved by: ${displayIdentity(outcome.approvedBy)}`] : []),
    `duration: ${formatDuration(outcome.durationSeconds)} (${outcome.startedAt} to ${outcome.endedAt})`,
    `reason: ${outcome.reason}`,
    ...(evidence.length > 0 ? ['evidence:', ...evidence.map((line) => `  - ${line}`)] : []),
    ...(next ? [`next: ${next}`] : []),
    `execution: ${outcome.consoleUrl}`,
  ];
  return { subject, text: lines.join('\n') };
}

export async function notifyOutcome(outcome: DeploymentEventDetail): Promise<void> {
  const { subject, text } = summarize(outcome);
  await notify(subject, text);
}

/** A deployment that waits for `baton approve`: who is asked what, by when, and what happens otherwise. */
export interface ApprovalRequest {
  readonly service: string;
  readonly deploymentId: string;
  readonly image: string;
  /** The new colour, verified and serving no production traffic yet. */
  readonly colour: string;
  readonly deadline: string;
  readonly consoleUrl: string;
  readonly trigger?: string | undefined;
  readonly requestedBy?: string | undefined;
  readonly requestReason?: string | undefined;
}

export function summarizeApprovalRequest(request: ApprovalRequest): { subject: string; text: string } {
  const subject = `Baton: ${request.service} ${request.image} waits for approval`.slice(0, 99);
  const lines = [
    `${request.service}: WAITING FOR APPROVAL`,
    `image: ${request.image}`,
    `deployment: ${request.deploymentId}`,
    ...(request.trigger ? [`trigger: ${request.trigger}`] : []),
    ...(request.requestedBy ? [`requested by: ${displayIdentity(request.requestedBy)}`] : []),
    ...(request.requestReason ? [`why: ${request.requestReason}`] : []),
    `${request.colour} is verified and takes no production traffic yet.`,
    `next: run "baton approve ${request.service}" to shift traffic, or "baton reject ${request.service} --reason <why>" to roll back, before ${request.deadline}; after that it rolls back by itself`,
    `execution: ${request.consoleUrl}`,
  ];
  return { subject, text: lines.join('\n') };
}

export async function notifyApprovalRequest(request: ApprovalRequest): Promise<void> {
  const { subject, text } = summarizeApprovalRequest(request);
  await notify(subject, text);
}

async function notify(subject: string, text: string): Promise<void> {
  await Promise.all([publishToTopic(subject, text), postToWebhook(text)]);
}

async function publishToTopic(subject: string, text: string): Promise<void> {
  const topicArn = process.env.BATON_TOPIC_ARN;
  if (!topicArn) return;
  try {
    await clients.sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: text }));
  } catch (error) {
    logger.warn('notification not published', { topicArn, error: describe(error) });
  }
}

async function postToWebhook(text: string): Promise<void> {
  const secretArn = process.env.BATON_CHAT_WEBHOOK_SECRET_ARN;
  if (!secretArn) return;
  let url: string;
  try {
    url = webhookUrl(await clients.secretsProvider.get(secretArn, { maxAge: WEBHOOK_CACHE_SECONDS }));
  } catch (error) {
    logger.warn('chat webhook secret unreadable', { secretArn, error: error instanceof Error ? error.name : 'Error' });
    return;
  }
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // `text` is what Slack, Mattermost and Google Chat incoming webhooks display.
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    // The URL is a credential: only the status is logged.
    if (!response.ok) logger.warn('chat webhook refused the message', { secretArn, status: response.status });
  } catch (error) {
    logger.warn('chat webhook unreachable', { secretArn, error: error instanceof Error ? error.name : 'Error' });
  }
}

/** The secret holds the URL itself, or JSON with a `url` key. */
export function webhookUrl(secret: unknown): string {
  let value = typeof secret === 'string' ? secret.trim() : '';
  if (value.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(value);
      value =
        typeof parsed === 'object' && parsed !== null && typeof (parsed as { url?: unknown }).url === 'string'
          ? (parsed as { url: string }).url
          : '';
    } catch {
      value = '';
    }
  }
  if (!/^https?:\/\//.test(value)) throw new TypeError('the chat webhook secret is not a URL nor JSON with a "url" key');
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
