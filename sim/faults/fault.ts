/** What a fault is, and the moves several faults share (the colour that is idle, the moments traffic shifts or retires). */
import { ECSServiceException } from '@aws-sdk/client-ecs';
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import { unhealthyAfterMs } from '../account/target-health.ts';
import type { SimulationContext } from '../context.ts';
import { type Colour, idleColourOf, listenerOf } from '../production.ts';

export interface Fault {
  readonly description: string;
  /** What the pipeline should end with when this fault is the only one. */
  readonly expected: 'SUCCEEDED' | 'REJECTED' | 'DUPLICATE' | 'SUPERSEDED' | 'QUEUED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED';
  /** The execution input the fault is meant for, when not the default deployment (e.g. a rollback). */
  readonly input?: Readonly<Record<string, unknown>>;
  /** The account file the fault is meant for (from the repository root), when not sim/accounts/example.json. */
  readonly account?: string;
  /** The config file the fault is meant for (from the repository root), when not baton.config.json. */
  readonly config?: string;
  apply(ctx: SimulationContext): void;
  /** What the operator does to remove the cause (for --redrive-after-fix); faults without it cannot be fixed. */
  fix?(ctx: SimulationContext): void;
}

/** A call the role may not make, as a service answers it (a permission the fault removed). */
export function accessDenied(operation: string): Error {
  return new ECSServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    message: `User is not authorized to perform: ${operation}`,
    $metadata: { httpStatusCode: 400 },
  });
}

/** A fault that cannot act on the service it is aimed at: the CLI refuses it as it refuses a bad option. */
export class FaultTargetError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FaultTargetError';
  }
}

/** The colour that is idle (not live) at the start, from the production of the fault's service (production.ts). */
export function idleColour(ctx: SimulationContext): Colour {
  return idleColourOf(ctx.model, ctx.service);
}

/**
 * The production listener and target groups of the service `what` (a fault, a measurement) acts on; a worker has
 * none, and is refused naming both.
 */
export function loadBalancerOf(ctx: SimulationContext, what: string): { listener: string; blue: string; green: string } {
  const web = listenerOf(ctx.service);
  if (!web) {
    throw new FaultTargetError(
      `${what} needs a load balancer, and ${ctx.service.name} is a worker (no production listener, no target groups): aim it at a web service`,
    );
  }
  return web;
}

/**
 * The new image fails its health checks from now on: the targets registered in
 * `targetGroupArn` turn unhealthy at the group's unhealthy threshold
 * (sim/account/target-health.ts), and so do the tasks that replace them.
 * Returns when the targets in service turn unhealthy.
 */
export function newColourFails(ctx: SimulationContext, targetGroupArn: string): number {
  const now = ctx.model.now;
  ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'unhealthy' : behaviour);
  for (const target of ctx.model.targets.get(targetGroupArn) ?? []) {
    if (target.state === 'healthy') target.failing = { since: now, reason: 'Target.Timeout', description: 'Request timed out' };
  }
  const check = ctx.model.targetGroups[targetGroupArn];
  return now + (check ? unhealthyAfterMs(check) : 0);
}

/** True for a listener or rule update (what Shift traffic and Roll back call). */
export function isListenerUpdate(operation: string): boolean {
  return operation === 'ModifyListener' || operation === 'ModifyRule';
}

/** Runs `action` `delayMs` after the deployment first enters "Check before retiring old colour". */
export function beforeRetire(ctx: SimulationContext, delayMs: number, action: () => void): void {
  let scheduled = false;
  ctx.onStateEntered.push((state) => {
    if (scheduled || state !== S.checkScaleDown) return;
    scheduled = true;
    ctx.model.schedule(ctx.model.now + delayMs, action);
  });
}

/**
 * Runs `action` `delayMs` after the `shift`-th move of production in Shift traffic (1 = the first step): a listener
 * update, or a worker's raise of its new colour (its tasks take work as they start).
 */
export function afterShift(ctx: SimulationContext, shift: number, delayMs: number, action: () => void): void {
  let seen = 0;
  const raised = listenerOf(ctx.service) ? undefined : ctx.service[idleColour(ctx)].serviceName;
  ctx.interceptors.push((_service, operation, input) => {
    if (ctx.currentState !== S.shiftTraffic) return;
    const update = input as { service?: string; desiredCount?: number };
    const moved = raised
      ? operation === 'UpdateService' && update.service === raised && (update.desiredCount ?? 0) > 0
      : isListenerUpdate(operation);
    if (!moved) return;
    seen += 1;
    if (seen === shift) ctx.model.schedule(ctx.model.now + delayMs, action);
  });
}
