/**
 * The human summaries of a deployment: its start, its wait for approval and
 * its terminal outcome, published to the SNS topic and, when configured,
 * posted to a chat webhook. Each subject names the service, the image and
 * what happened (subject.ts). The webhook URL is a credential:
 * it is read from Secrets Manager at run time (Powertools Parameters, cached
 * for a few minutes in memory), never from the environment or the template,
 * and never logged. Delivery problems are logged, never thrown.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import { secretsProvider } from '../clients/secrets.ts';
import { sns } from '../clients/sns.ts';
import { displayIdentity } from '../identity.ts';
import { logger } from '../logger.ts';
import type { DeploymentEventDetail } from './events.ts';
import { shortImage, subjectLine } from './subject.ts';

/** Seconds the webhook URL stays cached in the function's memory. */
export const WEBHOOK_CACHE_SECONDS = 300;
const WEBHOOK_TIMEOUT_MS = 5000;

/** "1 h 5 min", "6 min 12 s", "45 s": the units that are not zero. */
export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const parts: Array<[number, string]> = [
    [Math.floor(whole / 3600), 'h'],
    [Math.floor((whole % 3600) / 60), 'min'],
    [whole % 60, 's'],
  ];
  const said = parts.filter(([value]) => value > 0).map(([value, unit]) => `${value} ${unit}`);
  return said.length > 0 ? said.join(' ') : '0 s';
}

/** Who asked and why, as every message of a deployment says it. */
interface Request {
  readonly trigger?: string | undefined;
  readonly requestedBy?: string | undefined;
  readonly requestReason?: string | undefined;
}

function requestLines(request: Request): string[] {
  return [
    ...(request.trigger ? [`trigger: ${request.trigger}`] : []),
    ...(request.requestedBy ? [`requested by: ${displayIdentity(request.requestedBy)}`] : []),
    ...(request.requestReason ? [`why: ${request.requestReason}`] : []),
  ];
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

/**
 * An evidence line that says again what the reason says: the signal a
 * rollback or a recovery records is the reason, or its first part, and may
 * run to hundreds of characters.
 */
function repeatsReason(line: string, reason: string): boolean {
  if (line === reason) return true;
  return line.startsWith('signal: ') && reason.includes(line.slice('signal: '.length));
}

export function summarize(outcome: DeploymentEventDetail): { subject: string; text: string } {
  const image = outcome.image ?? 'unknown image';
  const subject = subjectLine(`${outcome.service} ${shortImage(image)}`, outcome.status);
  const evidence = outcome.evidence.filter((line) => !repeatsReason(line, outcome.reason));
  const next = nextStep(outcome);
  const lines = [
    `${outcome.service}: ${outcome.status}`,
    `image: ${image}`,
    `deployment: ${outcome.deploymentId}`,
    ...requestLines(outcome),
    ...(outcome.approvedBy ? [`approved by: ${displayIdentity(outcome.approvedBy)}`] : []),
    `duration: ${formatDuration(outcome.durationSeconds)} (${outcome.startedAt} to ${outcome.endedAt})`,
    `reason: ${outcome.reason}`,
    ...(evidence.length > 0 ? ['evidence:', ...evidence.map((line) => `  - ${line}`)] : []),
    ...(next ? [`next: ${next}`] : []),
    `execution: ${outcome.consoleUrl}`,
    ...(outcome.links ?? []).map((link) => `${link.label}: ${link.url}`),
  ];
  return { subject, text: lines.join('\n') };
}

export async function notifyOutcome(outcome: DeploymentEventDetail): Promise<void> {
  const { subject, text } = summarize(outcome);
  await notify(subject, text);
}

/** A deployment that waits for `baton approve`: who is asked what, by when, and what happens otherwise. */
export interface ApprovalRequest extends Request {
  readonly service: string;
  readonly deploymentId: string;
  readonly image: string;
  /** The new colour, verified and serving no production traffic yet. */
  readonly colour: string;
  readonly deadline: string;
  readonly consoleUrl: string;
}

export function summarizeApprovalRequest(request: ApprovalRequest): { subject: string; text: string } {
  const subject = subjectLine(`${request.service} ${shortImage(request.image)}`, 'waits for approval');
  const lines = [
    `${request.service}: WAITING FOR APPROVAL`,
    `image: ${request.image}`,
    `deployment: ${request.deploymentId}`,
    ...requestLines(request),
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

/** A traffic step that waits for `baton promote`: where traffic stands, how to act, and what happens otherwise. */
export interface PromotionWait extends Request {
  readonly service: string;
  readonly deploymentId: string;
  readonly image: string;
  readonly colour: string;
  readonly weight: number;
  readonly step: number;
  readonly of: number;
  readonly until: string;
  readonly onTimeout: 'rollback' | 'proceed';
  readonly consoleUrl: string;
}

export function summarizePromotionWait(wait: PromotionWait): { subject: string; text: string } {
  const subject = subjectLine(`${wait.service} ${shortImage(wait.image)}`, `waits for promotion at ${wait.weight} %`);
  const otherwise = wait.onTimeout === 'rollback' ? 'rolls back by itself' : 'goes on to the next step by itself';
  const lines = [
    `${wait.service}: WAITING FOR PROMOTION`,
    `image: ${wait.image}`,
    `deployment: ${wait.deploymentId}`,
    ...requestLines(wait),
    `${wait.colour} takes ${wait.weight} % of production traffic (step ${wait.step} of ${wait.of}); its gates are watched all the while.`,
    `next: run "baton promote ${wait.service}" for the next step, "baton promote ${wait.service} --full" to go to 100 % (the gates and the bake still run), or "baton abort ${wait.service} --reason <why>" to roll back; at ${wait.until} it ${otherwise}`,
    `execution: ${wait.consoleUrl}`,
  ];
  return { subject, text: lines.join('\n') };
}

export async function notifyPromotionWait(wait: PromotionWait): Promise<void> {
  const { subject, text } = summarizePromotionWait(wait);
  await notify(subject, text);
}

/** A deployment that starts changing the service: what goes where, how, and how to follow or stop it. */
export interface StartAnnouncement extends Request {
  readonly service: string;
  readonly deploymentId: string;
  readonly image: string;
  /** The strategy in words (describeStrategy), as the subject shows it. */
  readonly strategy: string;
  readonly bakeSeconds: number;
  readonly approval: boolean;
  /** The old colour's and the new colour's ECS service names. */
  readonly from: string;
  readonly to: string;
  readonly consoleUrl: string;
  /** For a rollback by redeployment: the deployment whose revision comes back. */
  readonly restores?: string | undefined;
  /** For a service of a release: the release's id. */
  readonly release?: string | undefined;
}

export function summarizeStart(start: StartAnnouncement): { subject: string; text: string } {
  const subject = subjectLine(`${start.service} ${shortImage(start.image)}`, `deploying (${start.strategy})`);
  const plan = [
    start.strategy,
    ...(start.bakeSeconds > 0 ? [`then a ${formatDuration(start.bakeSeconds)} bake`] : []),
    ...(start.approval ? [`waits for "baton approve ${start.service}" before traffic moves`] : []),
  ];
  const lines = [
    `${start.service}: DEPLOYING`,
    `image: ${start.image}`,
    `deployment: ${start.deploymentId}`,
    ...(start.release ? [`release: ${start.release}`] : []),
    ...(start.restores ? [`restores: the revision of deployment ${start.restores}`] : []),
    ...requestLines(start),
    `strategy: ${plan.join('; ')}`,
    `colours: ${start.to} takes production traffic from ${start.from}`,
    `next: follow it with "baton watch ${start.service}"; stop it and roll back with "baton abort ${start.service} --reason <why>"`,
    `execution: ${start.consoleUrl}`,
  ];
  return { subject, text: lines.join('\n') };
}

export async function notifyStart(start: StartAnnouncement): Promise<void> {
  const { subject, text } = summarizeStart(start);
  await notify(subject, text);
}

async function notify(subject: string, text: string): Promise<void> {
  await Promise.all([publishToTopic(subject, text), postToWebhook(text)]);
}

async function publishToTopic(subject: string, text: string): Promise<void> {
  const topicArn = process.env.BATON_TOPIC_ARN;
  if (!topicArn) return;
  try {
    await sns().send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: text }));
  } catch (error) {
    logger.warn('notification not published', { topicArn, error: describe(error) });
  }
}

async function postToWebhook(text: string): Promise<void> {
  const secretArn = process.env.BATON_CHAT_WEBHOOK_SECRET_ARN;
  if (!secretArn) return;
  let url: string;
  try {
    url = webhookUrl(await secretsProvider().get(secretArn, { maxAge: WEBHOOK_CACHE_SECONDS }));
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
