/**
 * Where a deployment's execution stands, read from its history events alone
 * (pure, so the CLI tests feed it events): the states done and those that
 * failed, the state it is in, and from its latest payload the strategy step
 * and what it holds until; while it waits for approval, the deadline.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { DeploymentStateSchema } from '../lambdas/shared/stages.ts';
import { planSteps } from '../lambdas/shared/strategy.ts';
import { STATE_NAMES } from '../lib/constructs/state-names.ts';
import { parseJson } from './json.ts';

export interface Progress {
  /** The state the execution is in (or ended in). */
  readonly currentState?: string;
  /** Task states that finished, in order, repeats folded (failed ones too: see `failed`). */
  readonly completed: string[];
  /** Task states that failed, in order, with the error: caught ones (the flow went on to roll back), and the one an execution ended in. */
  readonly failed: Array<{ readonly state: string; readonly error: string }>;
  /** Traffic steps of the strategy applied so far, of how many ("2/4"). */
  readonly step?: { readonly applied: number; readonly total: number };
  /** The current traffic step holds until then (gates checked meanwhile). */
  readonly holdUntil?: string;
  /** The bake at 100 % lasts until then. */
  readonly bakeUntil?: string;
  /** While the execution waits for approval: when the window closes (entered + approvalTimeoutSeconds) and the deployment rolls back. */
  readonly approvalDeadline?: string;
  /** While the current traffic step waits for `baton promote`: what happens when its hold ends unpromoted. */
  readonly promotion?: { readonly onTimeout: 'rollback' | 'proceed' };
}

/** What the progress reads of a payload: only these fields, each as DeploymentStateSchema defines it; other payloads have none of them. */
const PayloadSchema = z.object({
  /** What a Catch put at $.error: the error of the state that failed. */
  error: z.object({ Error: z.string() }).optional(),
  strategy: DeploymentStateSchema.shape.strategy.optional(),
  traffic: DeploymentStateSchema.shape.traffic.unwrap().pick({ nextStep: true, holdUntil: true, complete: true }).partial().optional(),
  bake: DeploymentStateSchema.shape.bake.unwrap().partial().optional(),
});
type Payload = z.infer<typeof PayloadSchema>;

function payloadOf(output: string | undefined): Payload | undefined {
  return parseJson(output, PayloadSchema);
}

const FAILURES = new Set(['LambdaFunctionFailed', 'LambdaFunctionTimedOut', 'TaskFailed', 'TaskTimedOut']);
const RETRIED = new Set(['LambdaFunctionScheduled', 'TaskScheduled']);

/** The error of a failed Task (Lambda or service integration) as its event names it, if it does; undefined for any other event. */
function failureOf(event: HistoryEvent): string | undefined {
  if (!event.type || !FAILURES.has(event.type)) return undefined;
  const details =
    event.lambdaFunctionFailedEventDetails ??
    event.lambdaFunctionTimedOutEventDetails ??
    event.taskFailedEventDetails ??
    event.taskTimedOutEventDetails;
  return details?.error ?? '';
}

/** The states where the step and hold, or the bake, are what the deployment waits on; elsewhere (Roll back) the payload still carries them, stale. */
const SHIFTING = new Set<string>([STATE_NAMES.shiftTraffic]);
const BAKING = new Set<string>([STATE_NAMES.checkBake]);

function progressOfPayload(
  payload: Payload | undefined,
  state: string | undefined,
): Pick<Progress, 'step' | 'holdUntil' | 'bakeUntil' | 'promotion'> {
  if (!payload || !state) return {};
  if (BAKING.has(state)) return payload.bake && !payload.bake.complete && payload.bake.until ? { bakeUntil: payload.bake.until } : {};
  if (!SHIFTING.has(state)) return {};
  const steps = payload.strategy ? planSteps(payload.strategy) : undefined;
  const applied = payload.traffic?.nextStep;
  const holding = payload.traffic?.holdUntil && !payload.traffic.complete ? payload.traffic.holdUntil : undefined;
  const promotion = holding && applied !== undefined ? steps?.[applied - 1]?.promotion : undefined;
  return {
    ...(steps !== undefined && applied !== undefined ? { step: { applied, total: steps.length } } : {}),
    ...(holding ? { holdUntil: holding } : {}),
    ...(promotion ? { promotion } : {}),
  };
}

/**
 * `status` and `error` are the execution's: one that ended unsuccessfully
 * inside a Task state (no Catch took it) failed there with that error.
 */
export function readProgress(
  events: readonly HistoryEvent[],
  execution: { readonly status: string; readonly error?: string; readonly approvalTimeoutSeconds: number },
): Progress {
  const completed: string[] = [];
  const failed: Array<{ state: string; error: string }> = [];
  let currentState: string | undefined;
  let enteredAt: Date | undefined;
  let inTask = false;
  let failure: string | undefined;
  let payload: Payload | undefined;
  for (const event of events) {
    if (event.stateEnteredEventDetails?.name) {
      currentState = event.stateEnteredEventDetails.name;
      enteredAt = event.timestamp;
      inTask = event.type === 'TaskStateEntered';
      failure = undefined;
    }
    if (event.type && RETRIED.has(event.type)) failure = undefined;
    failure = failureOf(event) ?? failure;
    const exited = event.stateExitedEventDetails;
    if (!exited?.name) continue;
    inTask = false;
    const output = payloadOf(exited.output);
    if (event.type === 'TaskStateExited') {
      if (completed[completed.length - 1] !== exited.name) completed.push(exited.name);
      if (failure !== undefined) failed.push({ state: exited.name, error: failure || (output?.error?.Error ?? 'failed') });
    }
    payload = output ?? payload;
  }
  const running = execution.status === 'RUNNING';
  if (!running && execution.status !== 'SUCCEEDED' && inTask && currentState)
    failed.push({ state: currentState, error: execution.error ?? execution.status });
  const waiting = running && currentState === STATE_NAMES.waitForApproval && enteredAt;
  return {
    ...(currentState ? { currentState } : {}),
    completed,
    failed,
    ...progressOfPayload(payload, running ? currentState : undefined),
    ...(waiting ? { approvalDeadline: new Date(waiting.getTime() + execution.approvalTimeoutSeconds * 1000).toISOString() } : {}),
  };
}
