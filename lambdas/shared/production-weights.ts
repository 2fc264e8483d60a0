/**
 * The one way a deployment writes its production weights: the listener (a
 * worker's desired counts, aws/production.ts), then
 * the TrafficWeight metric and the write in the record's weight history
 * (`weightChanges`), so that every production write is seen and kept.
 */
import type { PhaseName } from '../../lib/constructs/phases.ts';
import { setWeights, type Weights } from './aws/listener.ts';
import { ContractViolationError } from './errors.ts';
import { logger } from './logger.ts';
import { recordWeightChange } from './records/deployment.ts';
import type { DeploymentState, InitializedState } from './stages.ts';
import { trafficWeightChanged } from './telemetry/metrics.ts';
import { nowIso, WATCH_MARGIN_SECONDS } from './time.ts';

/** The deployment whose service's weights move, who owns its record, and (a worker's) the tasks it shares. */
type Deployment = Pick<InitializedState, 'deploymentId' | 'executionArn' | 'startedAt' | 'service'> &
  Partial<Pick<DeploymentState, 'rollout' | 'previous'>>;

export interface WriteOptions {
  /** Places the write in the strategy's plan. */
  readonly step?: { readonly step: number; readonly of: number };
  /** The invocation's time left: how long a worker's write may wait in it for the tasks it raised. */
  readonly remainingMillis?: () => number;
  /** When an earlier invocation raised the tasks this write waits for (a worker's write that was `waiting`). */
  readonly raisedAt?: string;
  /** A worker's gates, checked before the colour that gives up tasks is lowered (throws GateFailedError). */
  readonly beforeLower?: () => Promise<void>;
}

/**
 * A worker's tasks to share: the count Deploy planned (the old colour's when
 * the deployment started, at least 1).
 */
export function workerCapacity(deployment: Deployment): number {
  if (deployment.rollout) return deployment.rollout.desiredCount;
  if (deployment.previous) return Math.max(deployment.previous.desiredCount, 1);
  throw new ContractViolationError(`worker ${deployment.service.name}: production moves before Validate read the old colour's count`);
}

/**
 * Writes absolute production weights for `phase`: true once they are in
 * place. A worker's write waits for the tasks it raised, at most the
 * service's stabilityTimeoutSeconds from `raisedAt` (else GateFailedError);
 * false when this invocation's time runs out first: the caller keeps when
 * the tasks were raised and writes again in its next invocation.
 */
export async function setProductionWeights(
  deployment: Deployment,
  weights: Weights,
  phase: PhaseName,
  options: WriteOptions = {},
): Promise<boolean> {
  const { service } = deployment;
  const { step } = options;
  let written = weights;
  if (service.kind === 'worker') {
    // Loaded for a worker only: a web-only pipeline's functions never load what moves ECS desired counts.
    const [{ setCountWeights }, { countsFor, countWeights }] = await Promise.all([
      import('./aws/worker-shift.ts'),
      import('./aws/worker-counts.ts'),
    ]);
    const raisedAt = options.raisedAt ? Date.parse(options.raisedAt) : Date.now();
    const capacity = workerCapacity(deployment);
    const done = await setCountWeights({
      service,
      weights,
      capacity,
      giveUpAt: raisedAt + service.stabilityTimeoutSeconds * 1000,
      stopAt: options.remainingMillis ? Date.now() + options.remainingMillis() - WATCH_MARGIN_SECONDS * 1000 : Number.POSITIVE_INFINITY,
      ...(options.beforeLower ? { beforeLower: options.beforeLower } : {}),
    });
    if (done === 'waiting') return false;
    // What the tasks make of the plan's percent (25 % of 3 tasks is 1 of 3): the split baton status reads back.
    written = countWeights(service, countsFor(weights, capacity));
  } else {
    await setWeights(service, weights);
  }
  const at = nowIso();
  trafficWeightChanged(deployment.service.name, deployment.deploymentId, written);
  try {
    const change = { at, blue: written.blue, green: written.green, phase, ...(step ? { step: step.step, of: step.of } : {}) };
    await recordWeightChange(deployment.deploymentId, deployment, change);
  } catch (error) {
    // The history is telemetry, as the phase runs are: the weights are written, and neither the next step nor a
    // rollback may hinge on it.
    logger.warn('weight change not recorded', {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
  return true;
}
