/**
 * Turning a deployment state and a caught error into the words of its record:
 * the record it starts with, and the terminal one's status, reason and evidence.
 */
import type { ServiceConfig } from './config-schema.ts';
import type { CaughtError } from './contract.ts';
import { ContractViolationError } from './errors.ts';
import type { DeploymentRecord, Revision } from './records/deployment.ts';
import { type DeploymentState, DeploymentStateSchema } from './stages.ts';
import { planSteps } from './strategy.ts';
import { formatIssues } from './zod-format.ts';

/** Lambda puts `{"errorType","errorMessage","trace"}` in Cause; other sources put plain text. */
export function describeCaught(error: CaughtError): { name: string; message: string } {
  const cause = error.Cause ?? '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null) {
      const record = parsed as { errorType?: unknown; errorMessage?: unknown };
      const name = typeof record.errorType === 'string' ? record.errorType : error.Error;
      const message = typeof record.errorMessage === 'string' ? record.errorMessage : cause;
      return { name, message };
    }
  } catch {
    // Not JSON: the cause is the message.
  }
  return { name: error.Error, message: cause || error.Error };
}

/** The parts of the state a recovery execution rebuilds a rollback from. ARNs and ids only. */
const RESUME_FIELDS = [
  'request',
  'strategy',
  'bakeSeconds',
  'live',
  'idle',
  'previous',
  'image',
  'secret',
  'configDiff',
  'restore',
  'release',
  'approval',
  'releaseId',
  'scaling',
] as const;

export function resumePoint(state: DeploymentState): string {
  return JSON.stringify(Object.fromEntries(RESUME_FIELDS.map((field) => [field, state[field]])));
}

/**
 * The state a rollback of a recorded deployment starts from, rebuilt from the
 * record's resume point: for a recovery execution, and for the services of a
 * release that a joint rollback undoes.
 */
export function stateFromRecord(
  record: DeploymentRecord,
  service: ServiceConfig,
  extra: { error: CaughtError; failedPhase?: string; warnings: string[] },
): DeploymentState {
  if (!record.resume) throw new ContractViolationError(`record ${record.deploymentId} has no resume point`);
  const resume = JSON.parse(record.resume) as Record<(typeof RESUME_FIELDS)[number], unknown>;
  const state = DeploymentStateSchema.safeParse({
    ...resume,
    deploymentId: record.deploymentId,
    executionArn: record.executionArn,
    startedAt: record.startedAt,
    service,
    error: extra.error,
    ...(extra.failedPhase ? { failedPhase: extra.failedPhase } : {}),
    warnings: extra.warnings,
  });
  if (!state.success) throw new ContractViolationError(`record ${record.deploymentId} cannot be resumed: ${formatIssues(state.error)}`);
  return state.data;
}

/** The revision that ran before (the live colour), or the one this deployment puts on the idle colour. */
export function revisionOf(state: DeploymentState, which: 'previous' | 'new'): Revision | undefined {
  if (which === 'previous') {
    const { previous } = state;
    return previous ? { image: previous.image, taskDefinitionArn: previous.taskDefinitionArn, secrets: previous.secrets } : undefined;
  }
  // The state's `release` field is the new revision's task definition and secrets (its name predates the word).
  const { image, release: revision } = state;
  if (!image) return undefined;
  return {
    image: image.uri,
    ...(revision ? { taskDefinitionArn: revision.taskDefinitionArn, secrets: revision.secrets } : { secrets: [] }),
  };
}

export function recordBase(state: DeploymentState): DeploymentRecord {
  return {
    deploymentId: state.deploymentId,
    service: state.service.name,
    status: 'IN_PROGRESS',
    executionArn: state.executionArn,
    startedAt: state.startedAt,
    trigger: state.request.trigger,
    requestedBy: state.request.requestedBy,
    reason: state.request.reason,
    queuedFrom: state.request.queuedFrom,
    imageTag: state.request.imageTag ?? state.request.pushedTag ?? state.image?.tag,
    imageDigest: state.image?.digest ?? state.request.imageDigest,
    strategy: state.strategy.type,
    liveColour: state.live.colour,
    targetColour: state.idle.colour,
    previousTaskDefinitionArn: state.previous?.taskDefinitionArn,
    newTaskDefinitionArn: state.release?.taskDefinitionArn,
    secretVersionId: state.secret?.versionId,
    previousRelease: revisionOf(state, 'previous'),
    newRelease: revisionOf(state, 'new'),
    configDiff: state.configDiff,
    restores: state.restore?.deploymentId ?? state.request.rollbackTo,
    scaling: state.scaling,
    release: state.releaseId,
    resume: resumePoint(state),
    failedPhase: state.failedPhase,
  };
}

/**
 * The record a deployment starts with: recordBase and the traffic plan its
 * strategy resolved to. The plan is written once, here: the state's strategy
 * never changes, and finishRecord writes recordBase only, so it stays.
 */
export function initialRecord(state: DeploymentState): DeploymentRecord {
  return {
    ...recordBase(state),
    plan: {
      strategy: state.strategy.type,
      steps: planSteps(state.strategy),
      bakeSeconds: state.bakeSeconds,
      gateIntervalSeconds: state.service.gateIntervalSeconds,
    },
  };
}
