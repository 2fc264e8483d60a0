/**
 * The one way a deployment writes its production weights: the listener, then
 * the TrafficWeight metric and the write in the record's weight history
 * (`weightChanges`), so that every production write is seen and kept.
 */
import type { PhaseName } from '../../lib/constructs/phases.ts';
import { setWeights, type Weights } from './aws/listener.ts';
import { logger } from './logger.ts';
import { recordWeightChange } from './records/deployment.ts';
import type { InitializedState } from './stages.ts';
import { trafficWeightChanged } from './telemetry/metrics.ts';
import { nowIso } from './time.ts';

/** The deployment whose service's weights move, and who owns its record. */
type Deployment = Pick<InitializedState, 'deploymentId' | 'executionArn' | 'startedAt' | 'service'>;

/** Writes absolute production weights for `phase`; `step` places the write in the strategy's plan. */
export async function setProductionWeights(
  deployment: Deployment,
  weights: Weights,
  phase: PhaseName,
  step?: { readonly step: number; readonly of: number },
): Promise<void> {
  await setWeights(deployment.service, weights);
  const at = nowIso();
  trafficWeightChanged(deployment.service.name, deployment.deploymentId, weights);
  try {
    const change = { at, blue: weights.blue, green: weights.green, phase, ...(step ? { step: step.step, of: step.of } : {}) };
    await recordWeightChange(deployment.deploymentId, deployment, change);
  } catch (error) {
    // The history is telemetry, as the phase runs are: the weights are written, and neither the next step nor a
    // rollback may hinge on it.
    logger.warn('weight change not recorded', {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}
