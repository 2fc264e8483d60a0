/**
 * EventBridge events Baton publishes (source `baton`) so users can wire
 * anything to a deployment: one per finished or failed phase, one per
 * terminal outcome. The detail schemas below are the documented contract.
 * Publishing never fails a deployment: a lost event is logged, not thrown.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import * as z from 'zod';
import { events } from '../clients/eventbridge.ts';
import { TerminalStatusSchema } from '../contract.ts';
import { logger } from '../logger.ts';
import { LinkSchema } from './links.ts';

export const EVENT_SOURCE = 'baton';
export const PHASE_EVENT = 'Baton Phase Changed';
export const DEPLOYMENT_EVENT = 'Baton Deployment Finished';
export const RELEASE_EVENT = 'Baton Release Finished';

export const PhaseEventDetailSchema = z.object({
  deploymentId: z.string(),
  service: z.string(),
  executionArn: z.string(),
  phase: z.string(),
  /** SUCCEEDED when the phase is done (a polling phase: its last check), FAILED when it threw. */
  status: z.enum(['SUCCEEDED', 'FAILED']),
  /** First invocation of the phase in this deployment. */
  startedAt: z.string(),
  endedAt: z.string(),
  durationSeconds: z.number(),
  /** How often the phase ran (polling loops and retries run it more than once). */
  invocations: z.number().int(),
  error: z.object({ name: z.string(), message: z.string() }).optional(),
});
export type PhaseEventDetail = z.infer<typeof PhaseEventDetailSchema>;

export const DeploymentEventDetailSchema = z.object({
  deploymentId: z.string(),
  service: z.string(),
  executionArn: z.string(),
  status: TerminalStatusSchema,
  image: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationSeconds: z.number(),
  reason: z.string(),
  evidence: z.array(z.string()),
  consoleUrl: z.string(),
  /** How it started (console, cli, ecr-push, rollback, ...), who asked and why, when the request said. */
  trigger: z.string().optional(),
  requestedBy: z.string().optional(),
  requestReason: z.string().optional(),
  /** Console pages of the alarms and stopped tasks the reason or evidence names (links.ts); absent when none. */
  links: z.array(LinkSchema).optional(),
  /** Who let traffic move, for a deployment that waited for approval (a caller ARN from `baton approve`). */
  approvedBy: z.string().optional(),
});
export type DeploymentEventDetail = z.infer<typeof DeploymentEventDetailSchema>;

/** The verdict of a multi-service release; each service's own outcome is a "Baton Deployment Finished" event too. */
const ReleaseEventDetailSchema = z.object({
  releaseId: z.string(),
  /** The release's name from its input. */
  release: z.string(),
  executionArn: z.string(),
  status: z.enum(['SUCCEEDED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'REJECTED']),
  /** Service name -> its deployment id (and record). */
  services: z.record(z.string(), z.string()),
  /** What stopped the release: the service, the state that failed, the error. */
  cause: z
    .object({
      service: z.string().optional(),
      deploymentId: z.string().optional(),
      failedPhase: z.string().optional(),
      error: z.string(),
      message: z.string(),
    })
    .optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationSeconds: z.number(),
  reason: z.string(),
  consoleUrl: z.string(),
});
export type ReleaseEventDetail = z.infer<typeof ReleaseEventDetailSchema>;

/** The bus the stack configured; without one (a unit test, a local run) nothing is published. */
function busName(): string | undefined {
  return process.env.BATON_EVENT_BUS_NAME;
}

export async function publishEvent(detailType: typeof PHASE_EVENT, detail: PhaseEventDetail): Promise<void>;
export async function publishEvent(detailType: typeof DEPLOYMENT_EVENT, detail: DeploymentEventDetail): Promise<void>;
export async function publishEvent(detailType: typeof RELEASE_EVENT, detail: ReleaseEventDetail): Promise<void>;
export async function publishEvent(
  detailType: string,
  detail: PhaseEventDetail | DeploymentEventDetail | ReleaseEventDetail,
): Promise<void> {
  const bus = busName();
  if (!bus) return;
  try {
    const out = await events().send(
      new PutEventsCommand({
        Entries: [
          {
            Source: EVENT_SOURCE,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
            EventBusName: bus,
            Resources: [detail.executionArn],
          },
        ],
      }),
    );
    if (out.FailedEntryCount) {
      logger.warn('event not delivered', {
        detailType,
        errorCode: out.Entries?.[0]?.ErrorCode,
        errorMessage: out.Entries?.[0]?.ErrorMessage,
      });
    }
  } catch (error) {
    logger.warn('event not delivered', { detailType, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}
