/**
 * verify: the new colour, before any production traffic reaches it, must run
 * the new revision at full count with every target healthy, the cache serving and
 * no alarm firing.
 */

import { assertCacheServing } from '../shared/aws/cache.ts';
import { describeService } from '../shared/aws/health.ts';
import { CacheNotServingError, VerificationFailedError } from '../shared/errors.ts';
import { gateFailures } from '../shared/gates.ts';
import { definePhase } from '../shared/phase.ts';
import { DeployedStateSchema, type VerifiedState } from '../shared/stages.ts';

export const handler = definePhase('verify', DeployedStateSchema, async (state): Promise<VerifiedState> => {
  const { rollout, release, service } = state;
  const failures = await gateFailures(state, state.idle, rollout.desiredCount);
  // The cache is checked here only: the gates of the holds and the bake never ask (their bundles carry no ElastiCache client).
  if (service.cache) {
    try {
      await assertCacheServing(service.cache.replicationGroupId);
    } catch (error) {
      if (!(error instanceof CacheNotServingError)) throw error;
      failures.push(error.message);
    }
  }
  const ecsService = await describeService(service.cluster, state.idle.serviceName);
  if (ecsService.taskDefinition !== release.taskDefinitionArn) {
    failures.push(`${state.idle.serviceName} runs ${ecsService.taskDefinition ?? 'nothing'}, not ${release.taskDefinitionArn}`);
  }
  if (failures.length > 0) {
    throw new VerificationFailedError(`${state.idle.colour} failed verification: ${failures.join('; ')}`);
  }
  return { ...state, traffic: { nextStep: 0, weight: 0, complete: false } };
});
