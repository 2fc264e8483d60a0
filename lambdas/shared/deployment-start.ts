/**
 * How a deployment starts, for a single deployment (initialize) and for each
 * service of a release (plan release) alike: the state it begins with, and
 * the lock it takes.
 */
import { liveColourOfProduction, readProduction } from './aws/production.ts';
import type { PipelineConfig, ServiceConfig } from './config-schema.ts';
import { type DeploymentRequest, otherColour } from './contract.ts';
import { InvalidInputError } from './errors.ts';
import { requestStrategyProblem } from './history-budget.ts';
import type { InitializedState } from './stages.ts';
import type { Strategy } from './strategy.ts';

/** Hotfix: everything at once and a short bake, but validate and verify still run. */
export const HOTFIX_BAKE_SECONDS = 60;

export function resolveStrategy(
  request: DeploymentRequest,
  service: ServiceConfig,
  pipeline: PipelineConfig,
): { strategy: Strategy; bakeSeconds: number } {
  if (request.hotfix) return { strategy: { type: 'all-at-once' }, bakeSeconds: Math.min(service.bakeSeconds, HOTFIX_BAKE_SECONDS) };
  // A strategy from the input was never checked at synth: refuse one that cannot fit an execution, before any change.
  const problem = request.strategy ? requestStrategyProblem(service, pipeline, request.strategy) : undefined;
  if (problem) throw new InvalidInputError(`invalid execution input: ${problem}`);
  return { strategy: request.strategy ?? service.strategy, bakeSeconds: service.bakeSeconds };
}

export interface DeploymentIdentity {
  readonly deploymentId: string;
  readonly executionArn: string;
  readonly startedAt: string;
  readonly releaseId?: string;
}

/** The state a deployment starts with: the live colour read from production (the listener's weights, a worker's task counts). */
export async function startState(
  identity: DeploymentIdentity,
  request: DeploymentRequest,
  service: ServiceConfig,
  pipeline: PipelineConfig,
): Promise<InitializedState> {
  const { strategy, bakeSeconds } = resolveStrategy(request, service, pipeline);
  const weights = await readProduction(service);
  const liveColour = liveColourOfProduction(weights, service);
  const idleColour = otherColour(liveColour);
  return {
    deploymentId: identity.deploymentId,
    ...(identity.releaseId ? { releaseId: identity.releaseId } : {}),
    executionArn: identity.executionArn,
    startedAt: identity.startedAt,
    request,
    service,
    strategy,
    bakeSeconds,
    live: { colour: liveColour, ...service[liveColour] },
    idle: { colour: idleColour, ...service[idleColour] },
    approval: { required: request.approval ?? service.approval },
    warnings: [],
  };
}
