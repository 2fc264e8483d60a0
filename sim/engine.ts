/**
 * Runs the synthesized state machine with aws-local-stepfunctions, each Task
 * bound to its real handler, against the in-memory account, on a virtual
 * clock: Wait states and retry intervals take no real time but move
 * Date.now() (and with it the account) forward by what they would take.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { StateMachine } from 'aws-local-stepfunctions';
import type { BatonConfig } from '../lambdas/shared/config-schema.ts';
import { logger } from '../lambdas/shared/logger.ts';
import { SimulatedApis } from './account/api.ts';
import { AccountModel } from './account/model.ts';
import type { AccountSpec } from './account/schema.ts';
import type { SimulationContext } from './context.ts';
import { type AslDefinition, type AslState, type BoundDefinition, boundDefinition } from './definition.ts';
import { FAULTS } from './faults.ts';

/** The fields of aws-local-stepfunctions' event log entries the simulation reads. */
export interface EventLog {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type: string };
  readonly Error?: string;
  readonly Cause?: string;
}

type Clock = ReturnType<typeof FakeTimers.install>;

export interface SimulationOptions {
  readonly config: BatonConfig;
  readonly account: AccountSpec;
  readonly input: unknown;
  readonly faults?: readonly string[];
  /** Epoch ms of the simulated start. */
  readonly startTime?: number;
  readonly executionName?: string;
  /** Called as each state is entered (progress output). */
  readonly onProgress?: (event: ProgressEvent) => void;
}

export interface ProgressEvent {
  readonly execution: string;
  readonly state: string;
  readonly type: string;
  readonly kind: 'entered' | 'exited' | 'failed' | 'retried' | 'caught';
  readonly simulatedSeconds: number;
  readonly error?: string;
}

export interface ExecutionResult {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly executionPath: string[];
  readonly transitions: number;
  readonly events: EventLog[];
}

export interface SimulationResult {
  readonly main: ExecutionResult;
  /** Executions started by faults (duplicate-trigger). */
  readonly others: ExecutionResult[];
  readonly simulatedSeconds: number;
  readonly wallMs: number;
  readonly model: AccountModel;
  readonly apis: SimulatedApis;
  readonly logLines: string[];
  /** Listener weights as the run started, after the faults bent the account. */
  readonly initialListeners: Record<string, { forward: Record<string, number> }>;
}

export const DEFAULT_START = Date.parse('2026-11-23T09:00:00.000Z');

const definitions = new Map<string, BoundDefinition>();

/** Synthesizing takes a second or two; one per config is enough for any number of runs. */
export function definitionFor(config: BatonConfig): BoundDefinition {
  const key = JSON.stringify(config);
  let bound = definitions.get(key);
  if (!bound) {
    bound = boundDefinition(config);
    definitions.set(key, bound);
  }
  return bound;
}

type Handler = (event: unknown) => Promise<unknown>;
const handlers = new Map<string, Handler>();

async function loadHandler(entry: string): Promise<Handler> {
  let handler = handlers.get(entry);
  if (!handler) {
    const module = (await import(entry)) as { handler?: Handler };
    if (typeof module.handler !== 'function') throw new Error(`${entry} exports no handler`);
    handler = module.handler;
    handlers.set(entry, handler);
  }
  return handler;
}

/** Lambda reports a thrown error as { errorType, errorMessage } in the Cause; so does the simulation. */
function asLambdaError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new Error(JSON.stringify({ errorType: name, errorMessage: message, trace: [] }));
  wrapped.name = name;
  return wrapped;
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

export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const { config } = options;
  const bound = definitionFor(config);
  const start = options.startTime ?? DEFAULT_START;
  const previousConfig = process.env.BATON_CONFIG;
  process.env.BATON_CONFIG = JSON.stringify(config);
  const entries = [...new Set([...bound.bindings.values()].map((b) => b.entry))];
  await Promise.all(entries.map(loadHandler));

  const clock = FakeTimers.install({ now: start, toFake: ['Date'] });
  const model = new AccountModel(options.account, start);
  const apis = new SimulatedApis(model);
  const logLines: string[] = [];
  const restoreStdout = captureLogs(logLines);
  const previousLevel = logger.getLevelName();
  logger.setLogLevel('INFO');
  const wallStart = performance.now();
  try {
    apis.install();
    const request = typeof options.input === 'object' && options.input !== null ? (options.input as Record<string, unknown>) : {};
    const serviceName = typeof request.service === 'string' ? request.service : config.services[0]?.name;
    const service = config.services.find((s) => s.name === serviceName) ?? config.services[0];
    if (!service) throw new Error('the config has no service');
    const ctx: SimulationContext = {
      model,
      service,
      interceptors: apis.interceptors,
      onStateEntered: [],
      currentState: undefined,
      duplicateTrigger: false,
      isRequestedImage: (image) =>
        (typeof request.imageDigest === 'string' && image.digest === request.imageDigest) ||
        (typeof request.imageTag === 'string' && image.tags.includes(request.imageTag)),
      isNewImage: (uri) => {
        const repository = model.repositories[service.ecr.repositoryName];
        return (repository?.images ?? []).some((image) => ctx.isRequestedImage(image) && uri.endsWith(`@${image.digest}`));
      },
      setAlarm: (index, state, reason) => {
        const name = service.alarms[index];
        const alarm = name ? model.alarms[name] : undefined;
        if (alarm) Object.assign(alarm, { state, reason });
      },
    };
    for (const name of options.faults ?? []) {
      const fault = FAULTS[name];
      if (!fault) throw new Error(`unknown fault "${name}"; see --list-faults`);
      fault.apply(ctx);
    }

    const initialListeners = structuredClone(model.listeners);
    const others: ExecutionResult[] = [];
    const runExecution = async (name: string, input: unknown, afterInitialize?: () => Promise<void>): Promise<ExecutionResult> => {
      const { definition, localHandlers, retryOverrides } = prepare(bound, ctx, clock, afterInitialize);
      const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false, checkPaths: true } });
      const startedAt = new Date(Date.now()).toISOString();
      const stateMachineArn = `arn:aws:states:${config.pipeline.region}:${config.pipeline.account}:stateMachine:${config.pipeline.name}-${config.pipeline.environment}`;
      const execution = machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: localHandlers as never, retryIntervalOverrides: retryOverrides },
        context: {
          Execution: {
            Id: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
            Name: name,
            StartTime: startedAt,
            Input: input as never,
            RoleArn: `arn:aws:iam::${config.pipeline.account}:role/baton-state-machine`,
          },
          StateMachine: { Id: stateMachineArn, Name: `${config.pipeline.name}-${config.pipeline.environment}` },
        },
      });
      const events: EventLog[] = [];
      const executionPath: string[] = [];
      const collecting = (async () => {
        // Retried and Caught events do not repeat the error; the Failed event before them has it.
        let lastError: string | undefined;
        let caught: string | undefined;
        for await (const raw of execution.eventLogs) {
          const event = raw as EventLog;
          events.push(event);
          if (event.type === 'StateEntered' && event.state) executionPath.push(event.state.name);
          if (event.type === 'StateFailed') lastError = event.Error;
          // A caught state also reports an exit; it did not finish "ok".
          const exitAfterCatch = event.type === 'StateExited' && event.state?.name === caught;
          caught = event.type === 'StateCaught' ? event.state?.name : undefined;
          if (event.state && options.onProgress && !exitAfterCatch) {
            const kind = event.type.replace('State', '').toLowerCase() as ProgressEvent['kind'];
            options.onProgress({
              execution: name,
              state: event.state.name,
              type: bound.definition.States[event.state.name]?.Type ?? event.state.type,
              kind,
              simulatedSeconds: (event.timestamp - start) / 1000,
              ...(event.Error || lastError ? { error: event.Error ?? lastError } : {}),
            });
          }
        }
      })();
      let output: unknown;
      let error: string | undefined;
      let cause: string | undefined;
      try {
        output = await execution.result;
      } catch (caught) {
        const failure = (caught as { cause?: unknown }).cause ?? caught;
        error = failure instanceof Error ? failure.name : 'Error';
        cause = failure instanceof Error ? failure.message : String(failure);
      }
      await collecting;
      return {
        name,
        status: error ? 'FAILED' : 'SUCCEEDED',
        input,
        ...(error ? { error, cause } : { output }),
        executionPath,
        transitions: executionPath.length,
        events,
      };
    };

    const mainName = options.executionName ?? 'deploy-1';
    const main = await runExecution(mainName, options.input, async () => {
      if (!ctx.duplicateTrigger) return;
      ctx.duplicateTrigger = false;
      const outer = ctx.currentState;
      others.push(await runExecution(`${mainName}-duplicate`, options.input));
      ctx.currentState = outer;
    });
    model.advanceTo(Date.now());
    return {
      main,
      others,
      initialListeners,
      simulatedSeconds: (Date.now() - start) / 1000,
      wallMs: Math.round(performance.now() - wallStart),
      model,
      apis,
      logLines,
    };
  } finally {
    apis.uninstall();
    logger.setLogLevel(previousLevel);
    restoreStdout();
    clock.uninstall();
    if (previousConfig === undefined) delete process.env.BATON_CONFIG;
    else process.env.BATON_CONFIG = previousConfig;
  }
}

/** Binds Tasks to handlers and turns Wait states into virtual-clock advances. */
function prepare(bound: BoundDefinition, ctx: SimulationContext, clock: Clock, afterInitialize?: () => Promise<void>) {
  const definition = structuredClone(bound.definition) as AslDefinition;
  const localHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const retryOverrides: Record<string, number> = {};
  for (const [name, state] of Object.entries(bound.definition.States)) {
    if (state.Type === 'Wait') {
      const { Seconds: _s, SecondsPath: _sp, Timestamp: _t, TimestampPath: _tp, ...rest } = state;
      definition.States[name] = { ...rest, Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:virtual-wait' };
      localHandlers[name] = async (input: unknown) => {
        for (const hook of ctx.onStateEntered) hook(name);
        clock.setSystemTime(Date.now() + waitMillis(state, input, Date.now()));
        return input;
      };
      continue;
    }
    const binding = bound.bindings.get(name);
    if (state.Type !== 'Task') continue;
    if (!binding) throw new Error(`Task "${name}" has no handler bound`);
    retryOverrides[name] = 0;
    const attempts = new Map<number, number>();
    localHandlers[name] = async (input: unknown) => {
      ctx.currentState = name;
      for (const hook of ctx.onStateEntered) hook(name);
      const handler = await loadHandler(binding.entry);
      try {
        const output = await handler(input);
        attempts.clear();
        if (binding.phase === 'initialize' && afterInitialize) await afterInitialize();
        return output;
      } catch (error) {
        const lambdaError = asLambdaError(error);
        clock.setSystemTime(Date.now() + retryDelayMillis(state, lambdaError.name, attempts));
        throw lambdaError;
      } finally {
        ctx.currentState = undefined;
      }
    };
  }
  return { definition, localHandlers, retryOverrides };
}

/** Collects the handlers' JSON log lines (Powertools writes them to stdout and stderr) instead of printing them. */
function captureLogs(lines: string[]): () => void {
  const restore = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{"')) {
        lines.push(...text.split('\n').filter(Boolean));
        return true;
      }
      return original(chunk as string, ...(rest as []));
    }) as typeof stream.write;
    return () => {
      stream.write = original;
    };
  });
  return () => {
    for (const undo of restore) undo();
  };
}
