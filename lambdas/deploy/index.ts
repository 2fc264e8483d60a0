/**
 * deploy: points the idle colour's ECS service at the new revision and scales it to
 * the live colour's count. Absolute values, so a retry changes nothing more.
 * A worker's new colour stays at 0 tasks: its tasks would take work as soon
 * as they start, so the traffic steps raise it (aws/worker-counts.ts).
 */
import {
  ClientException,
  InvalidParameterException,
  ServiceNotActiveException,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { setWeights, weightsFor } from '../shared/aws/listener.ts';
import { ecs } from '../shared/clients/ecs.ts';
import { ServiceUpdateError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { definePhase } from '../shared/phase.ts';
import { annotateRecord } from '../shared/records/deployment.ts';
import { holdColours } from '../shared/scaling/apply.ts';
import type { ScalingRecord } from '../shared/scaling/snapshot.ts';
import { type DeployedState, type PreparedState, PreparedStateSchema } from '../shared/stages.ts';
import { addSeconds, nowIso } from '../shared/time.ts';

export const handler = definePhase('deploy', PreparedStateSchema, async (state): Promise<DeployedState> => {
  const { previous, release, service } = state;
  // A live colour at 0 tasks (e.g. scaled in by an autoscaler) still gets one task of the new release.
  const desiredCount = Math.max(previous.desiredCount, 1);
  const startCount = service.kind === 'worker' ? 0 : desiredCount;
  // Before the new colour scales up: its autoscaler must allow the count, and neither colour may scale in meanwhile.
  const scaling = state.scaling ? await holdScaling(state, state.scaling) : undefined;
  try {
    await ecs().send(
      new UpdateServiceCommand({
        cluster: service.cluster,
        service: state.idle.serviceName,
        taskDefinition: release.taskDefinitionArn,
        desiredCount: startCount,
        // Baton rolls back itself (listener first); ECS only has to report the failure.
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
      }),
    );
  } catch (error) {
    if (
      error instanceof ServiceNotFoundException ||
      error instanceof ServiceNotActiveException ||
      error instanceof InvalidParameterException ||
      error instanceof ClientException
    ) {
      throw new ServiceUpdateError(`UpdateService ${state.idle.serviceName} failed: ${error.name}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  if (service.testListenerArn) {
    // Test traffic goes to the new colour before any production weight moves (smoke test).
    await setWeights(service, weightsFor(state.idle.colour, 100), service.testListenerArn);
  }
  const deployedAt = nowIso();
  logger.info('idle colour updated', {
    serviceName: state.idle.serviceName,
    desiredCount: startCount,
    taskDefinitionArn: release.taskDefinitionArn,
  });
  return {
    ...state,
    ...(scaling ? { scaling } : {}),
    rollout: {
      desiredCount,
      deployedAt,
      deadline: addSeconds(deployedAt, service.stabilityTimeoutSeconds),
      checks: 0,
      stable: false,
    },
  };
});

/** The colours' scaling held for the deployment (lambdas/shared/scaling/apply.ts), each change in the state and the record. */
async function holdScaling(state: PreparedState, scaling: ScalingRecord): Promise<ScalingRecord> {
  const { service, live, idle } = state;
  const changes: string[] = [];
  let failure: unknown;
  try {
    await holdColours({ cluster: service.cluster, live, idle, before: scaling.before }, changes);
  } catch (error) {
    failure = error;
  }
  // What was changed goes into the record even when a later call failed: the rollback that follows restores it.
  const held = { ...scaling, changes: [...scaling.changes, ...changes.map((change) => `deploy: ${change}`)] };
  await annotateRecord(state.deploymentId, state, { scaling: held });
  if (failure !== undefined) throw failure;
  return held;
}
