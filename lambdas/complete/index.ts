/**
 * complete: after the bake and the scale-down delay, checks the gates once
 * more, retires the old colour (desired count 0, best effort), writes the
 * SUCCEEDED record and releases the lock. It refuses to retire the old colour
 * if production traffic is no longer fully on the new one, or if the new one
 * fails a gate: the old colour still runs, so the rollback has a way back.
 */

import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { readProduction } from '../shared/aws/production.ts';
import { ecs } from '../shared/clients/ecs.ts';
import { classify } from '../shared/error-classification.ts';
import { GateFailedError, OUTCOME_ERRORS, TransientAwsError } from '../shared/errors.ts';
import { gateFailures, oldColourAsKept } from '../shared/gates.ts';
import { lockHolderOf } from '../shared/lock/holder.ts';
import { releaseLock } from '../shared/lock/table.ts';
import { logger } from '../shared/logger.ts';
import { recordBase } from '../shared/outcome.ts';
import { definePhase } from '../shared/phase.ts';
import { annotateRecord } from '../shared/records/deployment.ts';
import { readColours, retireScaling } from '../shared/scaling/apply.ts';
import type { ScalingRecord } from '../shared/scaling/snapshot.ts';
import { type RetiringState, RetiringStateSchema } from '../shared/stages.ts';
import { finishDeployment } from '../shared/telemetry/finish.ts';

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

export const handler = definePhase('complete', RetiringStateSchema, async (state): Promise<RetiringState> => {
  const { service, rollout } = state;
  const weights = await readProduction(service);
  if (weights[state.idle.colour] !== 100) {
    throw new GateFailedError(
      `production is at blue ${weights.blue} % / green ${weights.green} % after the bake; expected 100 % on ${state.idle.colour}. The old colour is kept running.`,
    );
  }
  // Once the old colour is at 0 it is no longer a way back: the gates are read once more, right before.
  const failures = await gateFailures(state, state.idle, rollout.desiredCount);
  if (failures.length > 0) {
    throw new GateFailedError(
      `gate failed before retiring ${state.live.colour} (${state.idle.colour} at 100 %): ${failures.join('; ')}. ${oldColourAsKept(state)}.`,
    );
  }

  const warnings = [...state.warnings];
  const scaling = state.scaling ? await retireColourScaling(state, state.scaling, warnings) : undefined;
  try {
    await ecs().send(new UpdateServiceCommand({ cluster: service.cluster, service: state.live.serviceName, desiredCount: 0 }));
  } catch (caught) {
    // Retiring the old colour is housekeeping: the new revision is live and healthy, so a
    // failure here is reported, not rolled back.
    const message = `could not scale ${state.live.serviceName} to 0: ${describe(classify(caught))}`;
    logger.warn('old colour not scaled down', { message });
    warnings.push(message);
  }

  const reason = `${state.image.tag ?? state.image.digest} live on ${state.idle.colour} (${state.idle.serviceName}) after a ${state.bakeSeconds} s bake`;
  await finishDeployment(
    { ...recordBase(state), ...(scaling ? { scaling } : {}) },
    { status: 'SUCCEEDED', outcomeReason: reason, warnings },
  );
  /*
   * Only the lock release follows the SUCCEEDED write: a conditional delete, idempotent,
   * that the SDK retries on throttling and 5xx and the Task retries on TransientAwsError.
   * If it still fails (the delete denied), or the invocation dies right after the write
   * (its timeout), the Catch sends the execution to Roll back, which finds the record
   * SUCCEEDED, moves nothing, announces it again and releases the lock with its own
   * role (rollback/index.ts): a finished deployment is never rolled back, and the record
   * (terminal, written once) keeps agreeing with the weights.
   * Rejected alternative: letting the rollback replace SUCCEEDED with ROLLED_BACK. The
   * deployment was verified at 100 % and its old colour retired; undoing it over
   * bookkeeping scales the old colour back up and moves traffic for nothing, and
   * announces two opposite outcomes for one deployment.
   */
  await releaseLock(service.name, lockHolderOf(state));
  logger.info('deployment succeeded', { warnings: warnings.length });
  return { ...state, warnings, outcome: { status: 'SUCCEEDED', error: OUTCOME_ERRORS.none, cause: reason } };
});

/**
 * The new colour scales in again as the old one did, and the old colour's
 * min and max go to 0 so its autoscaler cannot revive it. Housekeeping like
 * the scale-down: a failure is a warning that says what is left to do, not a
 * rollback of a verified release.
 */
async function retireColourScaling(state: RetiringState, scaling: ScalingRecord, warnings: string[]): Promise<ScalingRecord> {
  const { service, live, idle } = state;
  const colours = { cluster: service.cluster, live, idle, before: scaling.before };
  const changes: string[] = [];
  try {
    await retireScaling(colours, changes);
  } catch (caught) {
    const error = classify(caught);
    // A throttle or a 5xx: the Task retries Complete, which writes the same values again.
    if (error instanceof TransientAwsError) throw error;
    const message = `could not settle the colours' scaling (${describe(error)}): ${idle.serviceName} may still have scale-in suspended and ${live.serviceName} its min and max; see "baton status ${service.name}" for what it had before`;
    logger.warn('scaling not settled', { message });
    warnings.push(message);
  }
  const settled = { ...scaling, changes: [...scaling.changes, ...changes.map((change) => `complete: ${change}`)] };
  // In the record at once: if this function fails after it, the rollback that follows lists these changes too.
  if (changes.length > 0) await annotateRecord(state.deploymentId, state, { scaling: settled });
  const after = await readColours(service);
  return { ...settled, ...(after ? { after } : {}) };
}
