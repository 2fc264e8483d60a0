/**
 * complete: after the bake and the scale-down delay, retires the old colour
 * (desired count 0, best effort), writes the SUCCEEDED record and releases
 * the lock. It refuses to retire the old colour if production traffic is no
 * longer fully on the new one.
 */
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { readWeights } from '../shared/aws/listener.ts';
import * as clients from '../shared/clients.ts';
import { type DeploymentState, DeploymentStateSchema } from '../shared/contract.ts';
import { lockHolderOf, releaseLock } from '../shared/deployments.ts';
import { GateFailedError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { recordBase } from '../shared/outcome.ts';
import { classify, definePhase } from '../shared/phase.ts';
import { finishDeployment } from '../shared/telemetry/finish.ts';

export const handler = definePhase('complete', DeploymentStateSchema, async (state): Promise<DeploymentState> => {
  const { service } = state;
  const weights = await readWeights(service);
  if (weights[state.idle.colour] !== 100) {
    throw new GateFailedError(
      `production listener is at blue ${weights.blue} % / green ${weights.green} % after the bake; expected 100 % on ${state.idle.colour}. The old colour is kept running.`,
    );
  }

  const warnings = [...state.warnings];
  try {
    await clients.ecs.send(new UpdateServiceCommand({ cluster: service.cluster, service: state.live.serviceName, desiredCount: 0 }));
  } catch (caught) {
    const error = classify(caught);
    // Retiring the old colour is housekeeping: the release is live and healthy, so a
    // failure here is reported, not rolled back.
    const message = `could not scale ${state.live.serviceName} to 0: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    logger.warn('old colour not scaled down', { message });
    warnings.push(message);
  }

  const reason = `${state.image?.tag ?? state.image?.digest ?? 'release'} live on ${state.idle.colour} (${state.idle.serviceName}) after a ${state.bakeSeconds} s bake`;
  await finishDeployment(recordBase(state), { status: 'SUCCEEDED', outcomeReason: reason, warnings });
  await releaseLock(service.name, lockHolderOf(state));
  logger.info('deployment succeeded', { warnings: warnings.length });
  return { ...state, warnings, outcome: { status: 'SUCCEEDED', error: 'None', cause: reason } };
});
