/**
 * The wrapper every phase handler is built with: parse the payload with its
 * zod schema, put deployment id, service and phase on every log line, check
 * and keep the lock (lock/lease.ts), and turn transient AWS failures into
 * TransientAwsError (error-classification.ts), the one name the state
 * machine retries with backoff.
 */
import type { z } from 'zod';
import { PHASE_NAMES, PHASES, type PhaseName } from '../../lib/constructs/phases.ts';
import { classify } from './error-classification.ts';
import { ContractViolationError, TransientAwsError } from './errors.ts';
import { assertLockHeld, keepLease, type LeasedDeployment } from './lock/lease.ts';
import { logger } from './logger.ts';
import { isPrecondition } from './stages.ts';
import { PHASE_EVENT, publishEvent } from './telemetry/events.ts';
import { phaseFinished } from './telemetry/metrics.ts';
import { type PhaseResult, recordPhaseRun } from './telemetry/phase-runs.ts';
import { nowIso } from './time.ts';
import { tracer } from './tracer.ts';
import { formatIssues } from './zod-format.ts';

export interface PhaseContext {
  readonly phase: PhaseName;
  /**
   * Milliseconds the invocation has left (Lambda's context.getRemainingTimeInMillis); 0 when the handler is
   * called without a Lambda context: a watch (watch.ts) then checks once and returns.
   */
  readonly remainingMillis: () => number;
}

/** The part of Lambda's context object a phase reads. */
interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export interface PhaseOptions<Result, Input = unknown> {
  /**
   * For a polling phase (a Choice loops back to it): whether this result ends
   * the phase. Until it does, an invocation counts as "waiting".
   */
  readonly done?: (result: Result) => boolean;
  /** Which deployment the input belongs to, when it is not a deployment state (see deploymentOf). */
  readonly identify?: (input: unknown) => DeploymentRef | undefined;
  /** Whether the phase's runs go into the record and out as events, and renew the lock's lease (default true). */
  readonly track?: boolean;
  /** Seconds the lease must outlast the phase beyond LEASE_SECONDS, when the next state waits without a Wait (a task token). */
  readonly leaseSeconds?: number;
  /**
   * The phase whose runs this one records, when it records them on behalf of a
   * phase that makes no AWS calls (record-smoke-test for the smoke test).
   */
  readonly tracksAs?: PhaseName;
  /** When the run being recorded started, if before this invocation (the attempt it records). */
  readonly startedAt?: (input: Input) => string | undefined;
  /** Keys every log line of a run that belongs to no one deployment carries instead (the backstop's sweep). */
  readonly logKeys?: (input: Input) => Record<string, string> | undefined;
}

/** The phases that run only while their deployment holds the lock (PhaseTraits.holdsLock). */
export const LOCK_HOLDING_PHASES: ReadonlySet<PhaseName> = new Set(PHASE_NAMES.filter((phase) => PHASES[phase].holdsLock));

export function definePhase<Schema extends z.ZodType, Result>(
  phase: PhaseName,
  schema: Schema,
  run: (input: z.infer<Schema>, context: PhaseContext) => Promise<Result>,
  options: PhaseOptions<Result, z.infer<Schema>> = {},
): (event: unknown, lambdaContext?: LambdaContext) => Promise<Result> {
  return async (event: unknown, lambdaContext?: LambdaContext) => {
    logger.resetKeys();
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      // A precondition its schema words (stages.ts, needing) is reported in those words; anything else names the fields.
      const { issues } = parsed.error;
      const worded = issues.every(isPrecondition) ? issues.map((issue) => issue.message).join('; ') : undefined;
      const error = new ContractViolationError(worded ?? `${phase} received a payload out of contract: ${formatIssues(parsed.error)}`);
      logger.error('payload out of contract', { phase, error });
      throw error;
    }
    const input = parsed.data as z.infer<Schema>;
    const deployment = (options.identify ?? deploymentOf)(input);
    // A dry run writes nothing, so there is nothing to track.
    const tracked = options.track === false || deployment?.dryRun ? undefined : deployment;
    logger.appendKeys({
      phase,
      ...(deployment ? { deploymentId: deployment.deploymentId, executionArn: deployment.executionArn } : {}),
      ...(deployment?.service ? { targetService: deployment.service } : {}),
      ...options.logKeys?.(input),
    });
    logger.info('phase started');
    const startedAt = options.startedAt?.(input) ?? nowIso();
    const recorded = options.tracksAs ?? phase;
    const trace = openTrace(phase, deployment);
    try {
      if (LOCK_HOLDING_PHASES.has(phase) && tracked) await assertLockHeld(tracked, phase);
      const remainingMillis = () => lambdaContext?.getRemainingTimeInMillis() ?? 0;
      const result = await run(input, { phase, remainingMillis });
      logger.info('phase finished');
      const done = options.done?.(result) ?? true;
      if (tracked) {
        await trackPhase(recordOwnerOf(tracked, result), recorded, {
          startedAt,
          endedAt: nowIso(),
          result: done ? 'succeeded' : 'waiting',
        });
        await keepLease(tracked, phase, (options.leaseSeconds ?? 0) + waitAhead(result));
      }
      return result;
    } catch (caught) {
      const error = classify(caught);
      if (error instanceof Error) {
        logger.warn('phase failed', { errorName: error.name, errorMessage: error.message });
        trace?.addError(error);
        if (tracked) {
          await trackPhase(tracked, recorded, { startedAt, endedAt: nowIso(), result: 'failed', error });
          await keepLease(tracked, phase, 0);
        }
      }
      throw error;
    } finally {
      trace?.close();
    }
  };
}

/**
 * The deployment as its record's owner sees it: a phase whose result is the
 * deployment's state (recover rebuilds it from the record) names the
 * execution that owns the record; otherwise the input does.
 */
function recordOwnerOf(deployment: DeploymentRef, result: unknown): DeploymentRef {
  const out = deploymentOf(result);
  return out && out.deploymentId === deployment.deploymentId && out.executionArn
    ? { ...deployment, executionArn: out.executionArn, ...(out.startedAt ? { startedAt: out.startedAt } : {}) }
    : deployment;
}

/** A subsegment per phase invocation, annotated so traces can be searched by deployment, service and phase. */
function openTrace(phase: PhaseName, deployment: DeploymentRef | undefined): { addError(error: Error): void; close(): void } | undefined {
  if (!tracer.isTracingEnabled()) return undefined;
  const parent = tracer.getSegment();
  if (!parent) return undefined;
  const subsegment = parent.addNewSubsegment(`## ${phase}`);
  tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  tracer.putAnnotation('phase', phase);
  if (deployment) {
    tracer.putAnnotation('deploymentId', deployment.deploymentId);
    if (deployment.service) tracer.putAnnotation('targetService', deployment.service);
  }
  return {
    addError: (error) => subsegment.addError(error),
    close: () => {
      subsegment.close();
      tracer.setSegment(parent);
    },
  };
}

/** The deployment an input belongs to: the lock's view of it (heldBy: see DeploymentState.heldBy), and the record's. */
export interface DeploymentRef extends LeasedDeployment {
  /** When the execution that owns the record started: with executionArn, who may write the record. */
  readonly startedAt?: string;
  readonly dryRun?: boolean;
}

/** The deployment a phase input belongs to: the state itself, or the state inside a wrapper ({ state }, { taskToken, state }). */
export function deploymentOf(input: unknown): DeploymentRef | undefined {
  const candidates = [input, (input as { state?: unknown } | null)?.state];
  for (const candidate of candidates) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const record = candidate as {
      deploymentId?: unknown;
      executionArn?: unknown;
      heldBy?: unknown;
      startedAt?: unknown;
      service?: unknown;
      request?: unknown;
    };
    if (typeof record.deploymentId !== 'string') continue;
    const request = (typeof record.request === 'object' && record.request !== null ? record.request : {}) as {
      service?: unknown;
      dryRun?: unknown;
    };
    const configured = (record.service as { name?: unknown } | undefined)?.name;
    const service = typeof configured === 'string' ? configured : typeof request.service === 'string' ? request.service : undefined;
    return {
      deploymentId: record.deploymentId,
      executionArn: typeof record.executionArn === 'string' ? record.executionArn : '',
      ...(typeof record.startedAt === 'string' ? { startedAt: record.startedAt } : {}),
      ...(typeof record.heldBy === 'string' ? { heldBy: record.heldBy } : {}),
      service,
      dryRun: request.dryRun === true,
    };
  }
  return undefined;
}

/** The seconds of the Wait state that follows, which the phase sets in `wait.seconds`. */
function waitAhead(result: unknown): number {
  const seconds = (result as { wait?: { seconds?: unknown } } | null)?.wait?.seconds;
  return typeof seconds === 'number' ? seconds : 0;
}

/**
 * The phase's entry in the record, and, when the phase ended (its last
 * check, or an error that is not retried), a metric and an EventBridge event.
 * Telemetry never fails a phase: a problem here is a warning in the log.
 */
async function trackPhase(
  deployment: DeploymentRef,
  phase: PhaseName,
  run: { startedAt: string; endedAt: string; result: PhaseResult; error?: Error },
): Promise<void> {
  try {
    const owner = { executionArn: deployment.executionArn, startedAt: deployment.startedAt ?? '' };
    const entry = await recordPhaseRun(deployment.deploymentId, owner, phase, {
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      result: run.result,
      ...(run.error ? { error: `${run.error.name}: ${run.error.message}` } : {}),
    });
    if (run.result === 'waiting' || run.error instanceof TransientAwsError) return;
    if (!entry && run.result !== 'failed') return;
    // A phase that failed before the record existed (initialize) still announces its failure; record-failure records it.
    const timing = entry ?? { startedAt: run.startedAt, endedAt: run.endedAt, invocations: 1 };
    const durationSeconds = Math.max(0, Math.round((Date.parse(timing.endedAt) - Date.parse(timing.startedAt)) / 1000));
    const service = deployment.service ?? 'unknown';
    if (run.result === 'succeeded') phaseFinished(service, deployment.deploymentId, phase, durationSeconds);
    await publishEvent(PHASE_EVENT, {
      deploymentId: deployment.deploymentId,
      service,
      executionArn: deployment.executionArn,
      phase,
      status: run.result === 'succeeded' ? 'SUCCEEDED' : 'FAILED',
      startedAt: timing.startedAt,
      endedAt: timing.endedAt,
      durationSeconds,
      invocations: timing.invocations,
      ...(run.error ? { error: { name: run.error.name, message: run.error.message } } : {}),
    });
  } catch (error) {
    logger.warn('phase not tracked', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}
