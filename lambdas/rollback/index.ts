/**
 * rollback: puts production back on the old colour and retires the new one.
 * Safe to run any number of times (docs/architecture.md I6): every step re-reads live
 * state and writes absolute values. Traffic moves back only once the old
 * colour runs its full count with healthy targets (docs/architecture.md I1); if it was
 * scaled down, it is scaled up first and the state machine waits.
 */

import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { describeService, targetHealth } from '../shared/aws/health.ts';
import { weightsFor } from '../shared/aws/listener.ts';
import { readProduction } from '../shared/aws/production.ts';
import { countsFor } from '../shared/aws/worker-counts.ts';
import { ecs } from '../shared/clients/ecs.ts';
import type { TerminalStatus } from '../shared/contract.ts';
import { classify } from '../shared/error-classification.ts';
import { LockLostError, OUTCOME_ERRORS, RollbackFailedError, TransientAwsError } from '../shared/errors.ts';
import { lockHolderOf } from '../shared/lock/holder.ts';
import { readLock, releaseLock } from '../shared/lock/table.ts';
import { logger } from '../shared/logger.ts';
import { describeCaught, recordBase } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import { setProductionWeights, workerCapacity } from '../shared/production-weights.ts';
import { type DeploymentRecord, getRecord, TERMINAL_STATUSES } from '../shared/records/deployment.ts';
import { readColours, restoreColour } from '../shared/scaling/apply.ts';
import { describeScaling, type ScalingRecord } from '../shared/scaling/snapshot.ts';
import { productionToCheck, targetGroupOf } from '../shared/service-resources.ts';
import { type DeploymentState, DeploymentStateSchema } from '../shared/stages.ts';
import { announce, finishDeployment } from '../shared/telemetry/finish.ts';
import { addSeconds, isPast, nowIso, STABILITY_POLL_SECONDS } from '../shared/time.ts';

export const handler = definePhase(
  'rollback',
  DeploymentStateSchema,
  async (state, context): Promise<DeploymentState> => {
    const { service, live, idle } = state;
    const cause = describeCaught(state.error ?? { Error: 'Unknown', Cause: 'rollback started without a recorded error' });
    const progress = state.rollback ?? {
      stage: 'scaling-up-old' as const,
      deadline: addSeconds(nowIso(), service.stabilityTimeoutSeconds),
      checks: 0,
    };
    const evidence: string[] = [];

    const lock = await readLock(service.name);
    // The lock must be this deployment's and held by this execution: a redriven original whose lock a recovery took
    // over touches nothing while the recovery works.
    const holder = lockHolderOf(state);
    if (lock?.deploymentId !== holder.deploymentId || lock.executionArn !== holder.executionArn)
      return withoutLock(state, progress, lock?.deploymentId, lock?.executionArn);
    // Complete failed after it wrote SUCCEEDED (it timed out right after the write): the deployment is finished.
    const record = await getRecord(state.deploymentId);
    if (record?.status === 'SUCCEEDED') return alreadySucceeded(state, progress, record);

    const weights = await readProduction(service);
    let heldScaling: string | undefined;
    if (weights[live.colour] !== 100) {
      if (state.scaling) heldScaling = await holdOldColourScaling(state, state.scaling, evidence);
      const { wanted, enough } = await wantedCount(state, progress.checks);
      const oldService = await describeService(service.cluster, live.serviceName);
      if ((oldService.desiredCount ?? 0) < wanted) {
        logger.warn('old colour was scaled down; scaling it up before moving traffic back', {
          serviceName: live.serviceName,
          desiredCount: wanted,
        });
        await ecs().send(new UpdateServiceCommand({ cluster: service.cluster, service: live.serviceName, desiredCount: wanted }));
      }
      const running = oldService.runningCount ?? 0;
      // A worker's colour has no targets: its running tasks are what takes the work back.
      const health = service.kind === 'worker' ? { healthy: running, problems: [] } : await targetHealth(targetGroupOf(live));
      const ready = running >= enough && health.healthy >= enough && health.problems.length === 0;
      if (!ready) {
        const worker = service.kind === 'worker';
        const status = `${live.colour} runs ${running}/${wanted} tasks${
          worker ? '' : ` with ${health.healthy}/${wanted} healthy targets`
        }${health.problems.length ? ` (${health.problems.slice(0, 3).join('; ')})` : ''}`;
        if (isPast(progress.deadline)) {
          // A worker's weights are its desired counts: the raise that never ran is taken back, so they say what does
          // the work (the new colour's tasks) and the record that follows agrees with them.
          if (worker) await lowerUnstartedRaise(state, oldService.desiredCount ?? 0);
          const stays = worker
            ? `${idle.colour} keeps its tasks, and ${live.colour} is back at the desired count it had`
            : `production stays at blue ${weights.blue} % / green ${weights.green} %`;
          throw new RollbackFailedError(`cannot move traffic back: ${status} at ${progress.deadline}; ${stays}`);
        }
        logger.info('waiting for the old colour before moving traffic back', { status });
        return {
          ...state,
          rollback: { ...progress, stage: 'scaling-up-old', checks: progress.checks + 1 },
          wait: { seconds: STABILITY_POLL_SECONDS },
        };
      }
      const moved = await setProductionWeights(state, weightsFor(live.colour, 100), context.phase, {
        remainingMillis: context.remainingMillis,
      });
      if (!moved) {
        // A worker's old colour ran its tasks when checked; this invocation's time ran out before the new one was lowered.
        return {
          ...state,
          rollback: { ...progress, stage: 'scaling-up-old', checks: progress.checks + 1 },
          wait: { seconds: STABILITY_POLL_SECONDS },
        };
      }
      evidence.push(
        `traffic moved from blue ${weights.blue} % / green ${weights.green} % back to 100 % ${live.colour}${
          Math.min(running, health.healthy) < wanted
            ? ` (${Math.min(running, health.healthy)} of the ${wanted} tasks it is scaled to healthy)`
            : ''
        }`,
      );
    }

    // The record's list of changes is the durable one: a recovery's state, rebuilt from before Deploy, lacks Deploy's.
    const recordedChanges = record?.scaling?.changes ?? state.scaling?.changes ?? [];
    const warnings = [...state.warnings];
    const scaling = state.scaling
      ? await restoreScaling(
          state,
          { ...state.scaling, changes: [...recordedChanges, ...(heldScaling ? [`rollback: ${heldScaling}`] : [])] },
          { evidence, warnings },
        )
      : undefined;

    if (state.release && state.previous) {
      // The idle colour goes back to what it ran before, at zero tasks.
      await ecs().send(
        new UpdateServiceCommand({
          cluster: service.cluster,
          service: idle.serviceName,
          taskDefinition: state.previous.idleTaskDefinitionArn,
          desiredCount: 0,
        }),
      );
      evidence.push(`${idle.serviceName} scaled to 0 on ${state.previous.idleTaskDefinitionArn}`);
    }

    const reason = `${cause.name}: ${cause.message}`;
    // What an operator needs without opening five consoles: where it failed, on what signal, and what was undone.
    const phase = state.failedPhase ?? 'unknown phase';
    const fullEvidence = [`failed in: ${phase}`, `signal: ${reason}`, ...evidence.map((line) => `rollback: ${line}`)];
    await finishDeployment(
      { ...recordBase(state), ...(scaling ? { scaling } : {}) },
      {
        status: 'ROLLED_BACK',
        outcomeReason: reason,
        evidence: fullEvidence,
        warnings,
      },
      service,
    );
    await releaseLock(service.name, holder);
    logger.warn('deployment rolled back', { cause: cause.name });
    return {
      ...state,
      rollback: { ...progress, stage: 'done', checks: progress.checks + 1 },
      outcome: {
        status: 'ROLLED_BACK',
        error: cause.name,
        cause: `rolled back to ${live.colour} after "${phase}" failed: ${cause.message}`,
      },
    };
  },
  { done: (next) => next.rollback?.stage === 'done' },
);

/**
 * A worker's old colour back at the desired count it had when the rollback began (its share at the last step the
 * deployment applied), when the tasks the rollback raised never started.
 */
async function lowerUnstartedRaise(state: DeploymentState, desired: number): Promise<void> {
  const { service, live, idle } = state;
  const capacity = workerCapacity(state);
  const before = countsFor(weightsFor(idle.colour, state.traffic?.weight ?? 0), capacity)[live.colour];
  if (desired <= before) return;
  await ecs().send(new UpdateServiceCommand({ cluster: service.cluster, service: live.serviceName, desiredCount: before }));
  logger.warn("the old colour's tasks did not start: its desired count goes back", { serviceName: live.serviceName, desiredCount: before });
}

/** Seconds the rollback waits for the old colour to reach the count the new one scaled to before it settles for its own count. */
const CAPACITY_GRACE_SECONDS = 180;

/**
 * How many tasks the old colour is scaled to before traffic returns
 * (`wanted`), and how many must run healthy for traffic to return
 * (`enough`). Its count when the deployment started; with autoscaling, as
 * many as the new colour's autoscaler gave the same traffic (within the old
 * colour's maximum), waited for CAPACITY_GRACE_SECONDS, then the count it
 * started with: production goes back to a colour with the capacity it had
 * rather than stay on the failing one.
 */
async function wantedCount(state: DeploymentState, checks: number): Promise<{ wanted: number; enough: number }> {
  const base = Math.max(state.previous?.desiredCount ?? 1, 1);
  const old = state.scaling?.before[state.live.colour];
  if (!old?.registered) return { wanted: base, enough: base };
  const newColour = await describeService(state.service.cluster, state.idle.serviceName);
  const wanted = Math.max(base, Math.min(old.max, newColour.desiredCount ?? 0));
  return { wanted, enough: checks * STABILITY_POLL_SECONDS < CAPACITY_GRACE_SECONDS ? wanted : base };
}

/**
 * Before traffic returns: the old colour's min and max as Validate read them
 * (after a retire they are 0), its scale-in still held. Best effort: the
 * readiness check that follows is what guards the traffic, and a colour whose
 * maximum is still 0 never becomes ready.
 */
async function holdOldColourScaling(state: DeploymentState, scaling: ScalingRecord, evidence: string[]): Promise<string | undefined> {
  const { service, live } = state;
  try {
    return await restoreColour(service.cluster, live, scaling.before[live.colour], { scaleIn: 'held' });
  } catch (caught) {
    const words = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
    logger.warn("the old colour's scaling could not be restored before traffic returns", { error: words });
    evidence.push(`scaling: ${live.serviceName} not restored before traffic returns (${words}); tried again after`);
    return undefined;
  }
}

/**
 * With traffic back on the old colour: its scale-in resumes as it was, and
 * the new colour's scalable target and policies go back to what Validate read
 * (before it is scaled to 0, so its autoscaler allows that).
 */
async function restoreScaling(
  state: DeploymentState,
  scaling: ScalingRecord,
  notes: { readonly evidence: string[]; readonly warnings: string[] },
): Promise<ScalingRecord> {
  const { service, live, idle } = state;
  const changes: string[] = [];
  for (const colour of [live, idle]) {
    const before = scaling.before[colour.colour];
    try {
      changes.push(await restoreColour(service.cluster, colour, before));
    } catch (caught) {
      const error = classify(caught);
      // A throttle or a 5xx: the Task retries Roll back, which writes the same values again.
      if (error instanceof TransientAwsError) throw error;
      // Traffic is back on a healthy colour: a scaling that cannot be put back is the operator's to finish, not a failed rollback.
      const words = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const message = `could not restore the scaling of ${colour.serviceName} (${words}); put it back by hand: ${describeScaling(before)}`;
      logger.warn('scaling not restored', { message });
      notes.warnings.push(message);
    }
  }
  notes.evidence.push(...changes.map((change) => `scaling: ${change}`));
  const after = await readColours(service);
  return { ...scaling, changes: [...scaling.changes, ...changes.map((change) => `rollback: ${change}`)], ...(after ? { after } : {}) };
}

/**
 * Complete wrote SUCCEEDED and then failed (its invocation timed out right
 * after the write, before it released the lock): the new colour was verified
 * at 100 % and the old one retired, so nothing is undone; the record stays
 * SUCCEEDED, agreeing with the weights (see complete/index.ts for why the
 * outcome is not replaced). Its announcement is sent again (at least once, as
 * EventBridge delivers: Complete may have died before sending it) and the lock
 * is released, best effort (the next deployment takes over a lock its ended
 * holder left).
 */
async function alreadySucceeded(
  state: DeploymentState,
  progress: NonNullable<DeploymentState['rollback']>,
  record: DeploymentRecord,
): Promise<DeploymentState> {
  if (record.endedAt) await announce({ ...record, endedAt: record.endedAt });
  try {
    await releaseLock(state.service.name, lockHolderOf(state));
  } catch (error) {
    logger.warn('lock not released; the next deployment takes it over', {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
  logger.warn('deployment already succeeded; the rollback changes nothing', { failedPhase: state.failedPhase });
  const { wait: _nothingToWaitFor, ...settled } = state;
  return {
    ...settled,
    rollback: { ...progress, stage: 'done' },
    outcome: {
      status: 'SUCCEEDED',
      error: OUTCOME_ERRORS.alreadyEnded,
      cause: `deployment ${state.deploymentId} already ended SUCCEEDED (${record.outcomeReason ?? 'no reason recorded'}) before "${state.failedPhase ?? 'unknown phase'}" failed; the rollback moved nothing and released the lock`,
    },
  };
}

/**
 * This deployment no longer holds the service lock, so the service may be
 * another deployment's: touch nothing. Either the deployment already ended
 * (a redrive or a retry after the backstop's recovery closed it: end quietly
 * with that outcome), or its lock was taken over while it was in flight (its
 * lease ran out): record ROLLBACK_FAILED so a human checks the listener.
 */
async function withoutLock(
  state: DeploymentState,
  progress: NonNullable<DeploymentState['rollback']>,
  holder: string | undefined,
  holderExecution?: string,
): Promise<DeploymentState> {
  const { wait: _none, ...quiet } = state;
  if (holder === state.deploymentId && holderExecution) {
    // The lock went to another execution of this deployment (a recovery): it owns the rollback; the record stays
    // as it is for it to end.
    logger.warn('another execution holds the lock of this deployment; the rollback changes nothing', { holderExecution });
    return {
      ...quiet,
      rollback: { ...progress, stage: 'done' },
      outcome: {
        status: 'ROLLED_BACK',
        error: OUTCOME_ERRORS.lockTransferred,
        cause: `execution ${holderExecution} holds the lock of ${state.service.name} for deployment ${state.deploymentId} and rolls it back; this execution changed nothing`,
      },
    };
  }
  const record = await getRecord(state.deploymentId);
  const lockNow = holder
    ? `deployment ${holder} holds the lock of ${state.service.name}`
    : `nobody holds the lock of ${state.service.name}`;
  const done = { ...progress, stage: 'done' as const };
  // Nothing follows but the end: no Wait ahead.
  const { wait: _nothingToWaitFor, ...settled } = state;
  if (record && TERMINAL_STATUSES.has(record.status)) {
    logger.warn('deployment already ended; the rollback changes nothing', { status: record.status, holder });
    return {
      ...settled,
      rollback: done,
      outcome: {
        status: record.status as TerminalStatus,
        error: OUTCOME_ERRORS.alreadyEnded,
        cause: `deployment ${state.deploymentId} already ended ${record.status} (${record.outcomeReason ?? 'no reason recorded'}); ${lockNow}, so this execution changed nothing`,
      },
    };
  }
  const cause = `deployment ${state.deploymentId} lost its lock while in flight (${lockNow}); the rollback did not touch traffic. Check ${productionToCheck(state.service)}.`;
  // The record's scaling changes are the durable ones (Complete's too): kept as they are.
  await finishDeployment(
    { ...recordBase(state), ...(record?.scaling ? { scaling: record.scaling } : {}) },
    {
      status: 'ROLLBACK_FAILED',
      outcomeReason: `${LockLostError.name}: ${cause}`,
      evidence: [`failed in: ${state.failedPhase ?? 'unknown phase'}`, `rollback: not attempted, ${lockNow}`],
      warnings: state.warnings,
    },
  );
  return { ...settled, rollback: done, outcome: { status: 'ROLLBACK_FAILED', error: LockLostError.name, cause } };
}
