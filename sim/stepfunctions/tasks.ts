/**
 * How the definition is run locally: every Task is bound to the deployed
 * function it invokes (aws-local-stepfunctions' taskResourceLocalHandlers),
 * every Wait becomes a sleep on the virtual clock, and retry intervals are
 * slept there too (the interpreter's own are overridden to 0), so a run takes
 * no real time for what it waits. Step Functions' and Lambda's own latencies
 * (latency.ts) are slept there as well: executions and iterations running side
 * by side take them at the same time, as they would in AWS.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { OUTCOME_ERRORS } from '../../lambdas/shared/errors.ts';
import type { DeployedFunction } from '../artifact/functions.ts';
import type { VirtualClock } from '../clock.ts';
import type { SimulationContext } from '../context.ts';
import { type AslDefinition, type AslState, allStates, type BoundDefinition } from '../definition.ts';
import { type ExecutionResult, namedError, type RunningState } from './execution.ts';
import { LAMBDA_INVOKE_MS, STATE_TRANSITION_MS } from './latency.ts';
import type { ExecutionQuotas } from './quotas.ts';

/** What the simulated operator does when a deployment waits for approval. */
export type ApprovalDecision = 'approve' | 'reject' | 'timeout' | 'external';

/** Simulated time an operator takes to answer an approval. */
const OPERATOR_DELAY_MS = 60_000;

export interface PendingToken {
  readonly execution: string;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** What binding the states needs of the Step Functions backend. */
export interface StateHost {
  readonly bound: BoundDefinition;
  readonly ctx: SimulationContext;
  readonly clock: VirtualClock;
  readonly running: AsyncLocalStorage<RunningState>;
  readonly quotas: ExecutionQuotas;
  readonly approval: ApprovalDecision;
  readonly tokens: Map<string, PendingToken>;
  readonly mainName: string;
  /** Runs what entering a state sets off; false when the execution ends there instead (stopped, timed out). */
  enter(execution: ExecutionResult, name: string, input: unknown): boolean;
  invoke(fn: DeployedFunction, event: unknown): Promise<unknown>;
  startExecution(name: string, input: unknown): ExecutionResult;
  /** Resolves when the execution has ended. */
  completion(name: string): Promise<void> | undefined;
}

/** The service a Task's input belongs to: a deployment state, or one wrapped ({ state }, { Payload: { state } }). */
export function serviceOfInput(input: unknown): string | undefined {
  const candidates = [
    input,
    (input as { state?: unknown } | null)?.state,
    (input as { Payload?: { state?: unknown } } | null)?.Payload?.state,
  ];
  for (const candidate of candidates) {
    const name = (candidate as { service?: { name?: unknown } } | null | undefined)?.service?.name;
    if (typeof name === 'string') return name;
  }
  return undefined;
}

/** Lambda reports a thrown error as { errorType, errorMessage } in the Cause; so does the simulation. */
function asLambdaError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return namedError(name, JSON.stringify({ errorType: name, errorMessage: message, trace: [] }));
}

function jsonPath(path: string, input: unknown): unknown {
  if (path === '$') return input;
  let value: unknown = input;
  for (const part of path.replace(/^\$\./, '').split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

function waitMillis(state: AslState, input: unknown, now: number): number {
  if (state.Seconds !== undefined) return state.Seconds * 1000;
  if (state.SecondsPath) return Number(jsonPath(state.SecondsPath, input)) * 1000;
  const timestamp = state.Timestamp ?? (state.TimestampPath ? String(jsonPath(state.TimestampPath, input)) : undefined);
  return timestamp ? Math.max(0, Date.parse(timestamp) - now) : 0;
}

function retryDelayMillis(state: AslState, errorName: string, attempts: Map<number, number>): number {
  const retriers = state.Retry ?? [];
  const index = retriers.findIndex(
    (r) => r.ErrorEquals.includes(errorName) || r.ErrorEquals.includes('States.ALL') || r.ErrorEquals.includes('States.TaskFailed'),
  );
  const retrier = retriers[index];
  if (!retrier) return 0;
  const attempt = attempts.get(index) ?? 0;
  if (attempt >= (retrier.MaxAttempts ?? 3)) {
    attempts.delete(index);
    return 0;
  }
  attempts.set(index, attempt + 1);
  const delay = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
  return Math.min(delay, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) * 1000;
}

function isWaitForTaskToken(state: AslState): boolean {
  return state.Type === 'Task' && typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken');
}

/** The definition to run (Wait states replaced at every level, Map iterations included) and the handler of every Task. */
export function bindStates(execution: ExecutionResult, host: StateHost) {
  const { ctx, clock } = host;
  const bound = execution.version ?? host.bound;
  const definition = structuredClone(bound.definition) as AslDefinition;
  // The execution timeout runs on the virtual clock (Simulation.enter): the interpreter's own would be a real-time
  // setTimeout, which Node caps at 2^31-1 ms (24.8 days) and fires at once beyond that.
  delete definition.TimeoutSeconds;
  const localHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const retryOverrides: Record<string, number> = {};
  const levels = [
    definition,
    ...allStates(definition).flatMap(([, state]) => [state.ItemProcessor ?? state.Iterator].filter(Boolean)),
  ] as Array<Pick<AslDefinition, 'States'>>;
  for (const level of levels) {
    for (const [name, state] of Object.entries(level.States)) {
      if (state.Type === 'Wait') {
        const { Seconds: _s, SecondsPath: _sp, Timestamp: _t, TimestampPath: _tp, ...rest } = state;
        level.States[name] = { ...rest, Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:virtual-wait' };
        localHandlers[name] = (input: unknown) =>
          clock.working(async () => {
            await clock.sleep(execution.name, STATE_TRANSITION_MS);
            if (!host.enter(execution, name, input)) return input;
            await clock.sleep(execution.name, waitMillis(state, input, Date.now()));
            return input;
          });
        continue;
      }
      if (state.Type !== 'Task') continue;
      const binding = bound.bindings.get(name);
      if (!binding) throw new Error(`Task "${name}" has no handler bound`);
      retryOverrides[name] = 0;
      // Retry attempts count per service: the iterations of a release run the same state side by side.
      const attempts = new Map<string, Map<number, number>>();
      const attemptsOf = (service: string | undefined) => {
        const key = service ?? '';
        const counts = attempts.get(key) ?? new Map<number, number>();
        attempts.set(key, counts);
        return counts;
      };
      localHandlers[name] = (input: unknown) =>
        clock.working(async () => {
          await clock.sleep(execution.name, STATE_TRANSITION_MS);
          if (!host.enter(execution, name, input)) return input;
          // Checked before the handler runs: the event log reports the entry only after the fact.
          if (host.quotas.payloadOverLimit(execution, name, 'input', input)) return input;
          const service = serviceOfInput(input);
          ctx.currentState = name;
          const handler = async (event: unknown) => {
            await clock.sleep(execution.name, LAMBDA_INVOKE_MS);
            return host.invoke(binding, event);
          };
          try {
            if (isWaitForTaskToken(state)) return await waitForToken(host, execution, state, handler, input);
            for (const hook of ctx.beforeInvoke) hook(name);
            const invocation = { hung: false };
            const output = await host.running.run({ execution: execution.name, service, state: name, invocation }, () =>
              handler(input).catch((error: unknown) => {
                if (!invocation.hung) throw error;
              }),
            );
            if (invocation.hung) await timeOut(clock, execution, state, binding);
            attemptsOf(service).clear();
            if (execution.name === host.mainName) {
              for (const trigger of ctx.triggers.filter((t) => t.afterState === name)) {
                ctx.triggers.splice(ctx.triggers.indexOf(trigger), 1);
                const second = host.startExecution(`${execution.name}-${trigger.suffix}`, trigger.input ?? execution.input);
                await clock.idle(async () => host.completion(second.name));
                ctx.currentState = name;
              }
            }
            return output;
          } catch (error) {
            const lambdaError = error instanceof Error && error.name.startsWith('States.') ? error : asLambdaError(error);
            await clock.sleep(execution.name, retryDelayMillis(state, lambdaError.name, attemptsOf(service)));
            throw lambdaError;
          } finally {
            ctx.currentState = undefined;
          }
        });
    }
  }
  return { definition, localHandlers, retryOverrides };
}

/**
 * A hung invocation: Lambda ends it at the function's Timeout, and the Task
 * fails with Lambda.Unknown ("Unhandled errors in Lambda are reported as
 * Lambda.Unknown ... These include out-of-memory errors and function
 * timeouts"; https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 * A Task whose TimeoutSeconds comes first fails with States.Timeout then,
 * while the invocation may still run.
 */
async function timeOut(clock: VirtualClock, execution: ExecutionResult, state: AslState, fn: DeployedFunction): Promise<never> {
  const taskSeconds = Number(state.TimeoutSeconds ?? 60);
  if (taskSeconds <= fn.timeoutSeconds) {
    await clock.sleep(execution.name, taskSeconds * 1000);
    throw namedError('States.Timeout', `Task timed out after ${taskSeconds} seconds (TimeoutSeconds)`);
  }
  await clock.sleep(execution.name, fn.timeoutSeconds * 1000);
  throw namedError('Lambda.Unknown', `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`);
}

/** A `.waitForTaskToken` task: runs the handler, then waits for the token's answer. */
async function waitForToken(
  host: StateHost,
  execution: ExecutionResult,
  state: AslState,
  handler: (event: unknown) => Promise<unknown>,
  input: unknown,
): Promise<unknown> {
  const { clock } = host;
  const payload = (input as { Payload?: { taskToken?: string } }).Payload;
  const token = payload?.taskToken ?? `${execution.name}.task-token`;
  if (host.approval === 'external') {
    // An operator answers from outside. The token is valid from the moment the task starts, as in AWS (the
    // handler may even answer it itself: https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token),
    // so an answer that arrives while the handler still runs is kept. The execution does not hold the clock back meanwhile.
    const answered = new Promise<unknown>((resolve, reject) => host.tokens.set(token, { execution: execution.name, resolve, reject }));
    // Awaited below; an early rejection must not count as unhandled meanwhile.
    answered.catch(() => undefined);
    try {
      await handler(payload);
    } catch (error) {
      host.tokens.delete(token);
      throw error;
    }
    return clock.idle(() => answered);
  }
  await handler(payload);
  if (host.approval === 'timeout') {
    await clock.sleep(execution.name, (Number(state.HeartbeatSeconds ?? state.TimeoutSeconds ?? 0) || 0) * 1000);
    throw namedError('States.HeartbeatTimeout', `no approval within ${String(state.HeartbeatSeconds)} s (--approval-timeout)`);
  }
  await clock.sleep(execution.name, OPERATOR_DELAY_MS);
  if (host.approval === 'reject') throw namedError(OUTCOME_ERRORS.approvalRejected, 'rejected by simulation-operator (--reject)');
  return { approvedBy: 'simulation-operator', approvedAt: new Date(Date.now()).toISOString() };
}
