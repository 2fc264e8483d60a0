/**
 * Runs the synthesized state machine with aws-local-stepfunctions, each Task
 * invoking the deployed bundle of its function (sim/artifact/: the asset
 * `cdk synth` builds, in its own module instance, with the environment the
 * template gives it), against the in-memory account, on a virtual
 * clock: Wait states and retry intervals take no real time but move
 * Date.now() (and with it the account) forward by what they would take.
 *
 * A Simulation is also a small Step Functions service: executions can be
 * started, stopped and answered (task tokens) through the SFN API, and an
 * execution that ends with a status the template's backstop rule matches is
 * reported to the backstop handler, as the EventBridge rule does in AWS.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import FakeTimers from '@sinonjs/fake-timers';
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';
import type { BatonConfig, ServiceConfig } from '../lambdas/shared/config-schema.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../lambdas/shared/json-shape.ts';
import { isReleaseInput } from '../lambdas/shared/release.ts';
import { AWS_MANAGED_KEY } from '../lambdas/shared/secret-refs.ts';
import { RELEASE_SUFFIX, STATE_NAMES as S } from '../lib/constructs/state-names.ts';
import { SimulatedApis } from './account/api.ts';
import { assertExecutionName, executionArnOf, recordExecutionStart, recordExecutionStop } from './account/execution-names.ts';
import { AccountModel } from './account/model.ts';
import type { AccountSpec } from './account/schema.ts';
import type { SfnBackend } from './account/services/step-functions.ts';
import { type CodeSource, type DeployedFunction, FunctionHost, runningFunction, runningHost } from './artifact/functions.ts';
import { installNetwork } from './artifact/network.ts';
import type { SimulationContext } from './context.ts';
import { type AslDefinition, type AslState, allStates, type BoundDefinition, boundDefinition } from './definition.ts';
import { FAULTS, type Fault } from './faults.ts';
import { Authorizer } from './iam/authorizer.ts';
import { authorizationRequests } from './iam/requests.ts';
import { type SmokeServer, startSmokeServer } from './smoke-server.ts';
import {
  countHistoryEvents,
  HISTORY_EVENT_LIMIT,
  HISTORY_LIMIT_CAUSE,
  HISTORY_LIMIT_ERROR,
  historyLimitReached,
} from './stepfunctions/history.ts';
import { startWebhookServer, type WebhookServer } from './webhook-server.ts';

/** The fields of aws-local-stepfunctions' event log entries the simulation reads. */
export interface EventLog {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly Error?: string;
  readonly Cause?: string;
}

type Clock = ReturnType<typeof FakeTimers.install>;

/** What the simulated operator does when a deployment waits for approval. */
export type ApprovalDecision = 'approve' | 'reject' | 'timeout' | 'external';

export interface SimulationOptions {
  readonly config: BatonConfig;
  readonly account: AccountSpec;
  readonly input: unknown;
  readonly faults?: readonly string[];
  /** After the main execution ends unsuccessfully: fix the faults (Fault.fix) and redrive it. */
  readonly redriveAfterFix?: boolean;
  /** Called with the simulation context after the faults are applied, before anything runs (tests add triggers and hooks). */
  readonly setup?: (ctx: SimulationContext) => void;
  /** Epoch ms of the simulated start. */
  readonly startTime?: number;
  readonly executionName?: string;
  /** Default 'approve' (after a simulated minute); 'external' waits for SendTaskSuccess/Failure. */
  readonly approval?: ApprovalDecision;
  /** Stop the first execution as it enters this state (StopExecution), to exercise the backstop. */
  readonly abortAt?: string;
  /** Called as each state is entered, exits, fails... (progress output). */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** 'bundle' (default): the deployed bundles; 'source': the handlers' TypeScript, for debugging. */
  readonly code?: CodeSource;
}

export interface ProgressEvent {
  readonly execution: string;
  readonly state: string;
  readonly type: string;
  readonly kind: 'entered' | 'exited' | 'failed' | 'retried' | 'caught';
  readonly simulatedSeconds: number;
  readonly error?: string;
  /** The service a release's per-service state works on. */
  readonly service?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionResult {
  readonly name: string;
  readonly arn: string;
  status: ExecutionStatus;
  readonly input: unknown;
  readonly startDate: number;
  stopDate?: number;
  output?: unknown;
  error?: string;
  cause?: string;
  readonly executionPath: string[];
  transitions: number;
  readonly events: EventLog[];
  readonly history?: () => Array<Record<string, unknown>>;
  /** The last Task or Wait state entered and its input: where a redrive resumes. */
  lastState?: { readonly name: string; readonly input: unknown };
  /** When the current attempt started (a redrive resets the execution timeout). */
  attemptStart?: number;
  /** History events Step Functions has written for it (counted as the run goes, sim/history.ts). */
  historyEvents?: number;
  /** How often the execution was redriven, and the state the last redrive resumed at. */
  redriveCount?: number;
  redriveFrom?: string;
}

export interface SimulationResult {
  readonly main: ExecutionResult;
  /** Other executions, in start order: duplicate triggers, recoveries started by the backstop. */
  readonly others: ExecutionResult[];
  readonly simulatedSeconds: number;
  readonly wallMs: number;
  readonly model: AccountModel;
  readonly apis: SimulatedApis;
  readonly logLines: string[];
  /** What the chat webhook received. */
  readonly webhook: Array<{ path: string; body: unknown }>;
  /** Listener weights as the run started, after the faults bent the account. */
  readonly initialListeners: Record<string, { forward: Record<string, number> }>;
  /** What the backstop handler answered for each execution whose end the backstop rule delivered. */
  readonly backstop: Array<{ execution: string; result: unknown }>;
  /** Executions whose status-change event was lost (the status-event-lost fault): the backstop never heard of their end. */
  readonly lostStatusEvents: string[];
  /** What the backstop answered each sweep its schedule delivered (at least once after every execution had ended), with its simulated time. */
  readonly sweeps: Array<{ at: number; result: unknown }>;
  /** Seconds from a fault's bad signal to production traffic back on the old colour, when both happened. */
  readonly signalToRestoreSeconds?: number;
  /** IAM of the run: what each role was allowed (exercised) and what the template grants. */
  readonly iam: Authorizer;
  /** The deployed functions, by phase (their roles, environment, bundles). */
  readonly functions: Readonly<Record<string, DeployedFunction>>;
}

/** The rollback's listener update that put traffic back, measured from the fault's signal. */
function signalToRestore(simulation: Simulation): number | undefined {
  const signalAt = simulation.ctx.signalAt;
  if (signalAt === undefined) return undefined;
  const restored = simulation.apis.calls.find(
    (call) =>
      (call.operation === 'ModifyListener' || call.operation === 'ModifyRule') &&
      call.state === S.rollback &&
      !call.error &&
      call.at >= signalAt,
  );
  return restored ? (restored.at - signalAt) / 1000 : undefined;
}

/**
 * In Step Functions a Map state that fails stops all its iterations, the
 * ones not yet started included. aws-local-stepfunctions aborts the running
 * iterations but still starts the queued ones (a Map with MaxConcurrency 1
 * would go on to the next wave after one failed). A Map runs all its
 * iterations on one iterator StateMachine instance, so once a run of an
 * instance has failed, later runs of that instance end aborted at once.
 */
const failedIterators = new WeakSet<object>();
type Run = StateMachine['run'];
const originalRun: Run = StateMachine.prototype.run;
StateMachine.prototype.run = function (this: StateMachine, ...args: Parameters<Run>): ReturnType<Run> {
  if (failedIterators.has(this)) {
    const result = Promise.reject(new ExecutionAbortedError());
    // Rejected on purpose: the Map that would read it has already failed.
    result.catch(() => undefined);
    return { abort: () => undefined, eventLogs: (async function* () {})(), result } as unknown as ReturnType<Run>;
  }
  const execution = originalRun.apply(this, args);
  execution.result.catch(() => failedIterators.add(this));
  return execution;
};

export const DEFAULT_START = Date.parse('2026-11-23T09:00:00.000Z');
/** Step Functions' maximum input or output of a state or an execution: 256 KiB of UTF-8. */
export const PAYLOAD_LIMIT_BYTES = 262_144;
/** Deeper inputs stall aws-local-stepfunctions (measured: 1,000 levels run, 2,000 hang). */
export const INTERPRETER_MAX_DEPTH = 1000;

/** An input the simulation cannot run at all (not one the pipeline refuses: that ends REJECTED). */
export class SimulationInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SimulationInputError';
  }
}

/** Simulated time an operator takes to answer an approval. */
export const OPERATOR_DELAY_MS = 60_000;

const definitions = new Map<string, Promise<BoundDefinition>>();
/** Definitions aws-local-stepfunctions has validated in this process. */
const VALIDATED = new WeakSet<object>();

/** The assembly is cached on disk (sim/artifact/build.ts); its reading is cached per process. */
export function definitionFor(config: BatonConfig): Promise<BoundDefinition> {
  const key = JSON.stringify(config);
  let bound = definitions.get(key);
  if (!bound) {
    bound = boundDefinition(config);
    definitions.set(key, bound);
  }
  return bound;
}

/** The service a Task's input belongs to: a deployment state, or one wrapped ({ state }, { Payload: { state } }). */
function serviceOfInput(input: unknown): string | undefined {
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

/** `deny:<service>:<Action>` or `deny:<service>:<Action>@<function>`: IAM drift. */
const DENY_FAULT = /^deny:([a-z0-9-]+:[A-Za-z0-9*]+)(?:@([A-Za-z]+))?$/;

export function isDenyFault(spec: string): boolean {
  return spec.startsWith('deny:');
}

/** IAM drift: the action is denied to one function's role (`@<function>`), or to every role of the stack. */
function denyFault(spec: string): Fault {
  const match = DENY_FAULT.exec(spec);
  if (!match?.[1]) {
    throw new Error(
      `fault "${spec}": write deny:<service>:<Action>[@<function>], e.g. deny:elasticloadbalancing:ModifyListener@shiftTraffic`,
    );
  }
  const [, action, phase] = match as unknown as [string, string, string | undefined];
  return {
    description: `IAM drift: ${action} is denied to ${phase ? `the ${phase} function's role` : 'every role of the stack'}.`,
    expected: 'ROLLED_BACK',
    apply: (ctx) => ctx.denyAction(action, phase),
  };
}

/** `name` or `name@service`: a fault, and the service it is aimed at. */
export function parseFault(spec: string): { fault: Fault; name: string; target: string | undefined } {
  if (isDenyFault(spec)) return { fault: denyFault(spec), name: spec, target: undefined };
  const [name = '', target, ...rest] = spec.split('@');
  const fault = Object.hasOwn(FAULTS, name) ? FAULTS[name] : undefined;
  if (!fault || rest.length > 0 || target === '')
    throw new Error(`unknown fault "${spec}"; see --list-faults (aim one at a service with name@service)`);
  return { fault, name, target };
}

/**
 * What a fault's context knows of its service: which image is the one being
 * deployed (by tag or digest), and how to set the service's n-th alarm (the
 * first ALARM marks the bad signal for the signal-to-restore report).
 */
function serviceFaultParts(
  model: AccountModel,
  service: ServiceConfig,
  wanted: { imageTag?: string; imageDigest?: string },
  onSignal: (at: number) => void,
): Pick<SimulationContext, 'isRequestedImage' | 'isNewImage' | 'setAlarm'> {
  const isRequestedImage = (image: { digest: string; tags: string[] }) =>
    (wanted.imageDigest !== undefined && image.digest === wanted.imageDigest) ||
    (wanted.imageTag !== undefined && image.tags.includes(wanted.imageTag));
  return {
    isRequestedImage,
    isNewImage: (uri) =>
      (model.repositories[service.ecr.repositoryName]?.images ?? []).some(
        (image) => isRequestedImage(image) && uri.endsWith(`@${image.digest}`),
      ),
    setAlarm: (index, state, reason, at) => {
      const name = service.alarms[index];
      const alarm = name ? model.alarms[name] : undefined;
      if (alarm) Object.assign(alarm, { state, reason });
      if (state === 'ALARM') onSignal(at ?? Date.now());
    },
  };
}

/** The image an input asks for one service: a release's entry for it, or a single deployment's of that service. */
function requestedImageOf(input: unknown, service: string): { imageTag?: string; imageDigest?: string } {
  const request = (typeof input === 'object' && input !== null ? input : {}) as {
    service?: unknown;
    imageTag?: unknown;
    imageDigest?: unknown;
    services?: Record<string, { imageTag?: unknown; imageDigest?: unknown }>;
  };
  const entry = isReleaseInput(input) ? request.services?.[service] : request.service === service ? request : undefined;
  return {
    ...(typeof entry?.imageTag === 'string' ? { imageTag: entry.imageTag } : {}),
    ...(typeof entry?.imageDigest === 'string' ? { imageDigest: entry.imageDigest } : {}),
  };
}

function serviceField(input: unknown): { service?: string } {
  const service = serviceOfInput(input);
  return service ? { service } : {};
}

/** A release iteration's state under its plain name ("Verify new colour (release)" -> "Verify new colour"), as faults know it. */
export function plainStateName(name: string): string {
  return name.endsWith(RELEASE_SUFFIX) ? name.slice(0, -RELEASE_SUFFIX.length) : name;
}

/** Lambda reports a thrown error as { errorType, errorMessage } in the Cause; so does the simulation. */
function asLambdaError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return namedError(name, JSON.stringify({ errorType: name, errorMessage: message, trace: [] }));
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
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

/** Sweeps after the last execution ended, at most: each one that starts something is followed by another. */
const MAX_SWEEPS = 5;

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

interface PendingToken {
  readonly execution: string;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** One simulated account with its state machine; a tiny Step Functions service over it. */
export class Simulation implements SfnBackend {
  readonly model: AccountModel;
  readonly apis: SimulatedApis;
  readonly ctx: SimulationContext;
  readonly executions = new Map<string, ExecutionResult>();
  readonly backstop: Array<{ execution: string; result: unknown }> = [];
  readonly lostStatusEvents: string[] = [];
  readonly sweeps: Array<{ at: number; result: unknown }> = [];
  private loseMainEvent = false;
  readonly stateMachineArn: string;
  private readonly bound: BoundDefinition;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly completions = new Map<string, Promise<void>>();
  private readonly aborts = new Map<string, () => void>();
  private readonly tokens = new Map<string, PendingToken>();
  private abortAt: string | undefined;
  private deliveredStatuses: ReadonlySet<string> | undefined;
  private readonly timedOut = new Set<string>();
  private readonly stopReasons = new Map<string, { readonly error?: string; readonly cause?: string }>();
  /** Executions Step Functions fails outright, whatever their Catch says (a quota: data size, history length). */
  private defaultName: string | undefined;
  private readonly fatal = new Map<string, { readonly error: string; readonly cause: string }>();
  /** Executions asleep on the virtual clock (a Wait, a retry interval, an operator's delay), and when they wake. */
  private sleepers: Array<{ readonly execution: string; readonly at: number; readonly wake: () => void }> = [];
  /**
   * Handlers running (a Task's handler, a Wait) that are not asleep. Time moves
   * only when none is: an execution's Map iterations run side by side, so an
   * execution can be asleep in one iteration and at work in another.
   */
  private busy = 0;
  /** Which service's state the running handler belongs to (release iterations run several at once). */
  private readonly running = new AsyncLocalStorage<{
    readonly service: string | undefined;
    readonly state: string;
    /** Set by a fault: the invocation no longer responds (see SimulationContext.hangInvocation). */
    readonly invocation?: { hung: boolean };
  }>();
  /** Per-service hooks of faults aimed at one service (`--fault name@service`), called with the plain state name. */
  private readonly serviceHooks = new Map<string, Array<(state: string) => void>>();
  private readonly serviceContexts = new Map<string, SimulationContext>();
  /** Names of the top-level states (a redrive resumes at one of them) and the type of every state. */
  private readonly topLevel: ReadonlySet<string>;
  private readonly stateTypes: ReadonlyMap<string, string>;

  /** The warm containers of the functions (one per function, for this simulated account). */
  readonly host: FunctionHost;
  /** IAM of the stack's roles, as the template defines them (plus drift faults). */
  readonly iam: Authorizer;

  constructor(
    private readonly options: SimulationOptions,
    private readonly clock: Clock,
    bound: BoundDefinition,
  ) {
    const { config } = options;
    this.bound = bound;
    this.host = new FunctionHost(bound.assembly.region, options.code ?? 'bundle', { BATON_CONFIG: JSON.stringify(config) });
    this.iam = new Authorizer(bound.resolver);
    this.topLevel = new Set(Object.keys(this.bound.definition.States));
    this.stateTypes = new Map(allStates(this.bound.definition).map(([name, state]) => [name, state.Type]));
    this.stateMachineArn = bound.stateMachineArn;
    this.model = new AccountModel(options.account, Date.now());
    this.apis = new SimulatedApis(this.model);
    this.apis.sfn = this;
    const place = {
      account: bound.assembly.account,
      region: bound.assembly.region,
      // A customer managed key (the account schema names it by ARN or id); the AWS managed key needs no grant.
      secretKey: (secretId: string) => {
        const key = this.model.secrets[secretId]?.kmsKeyId;
        if (!key || AWS_MANAGED_KEY.test(key)) return undefined;
        return key.startsWith('arn:') ? key : `arn:aws:kms:${bound.assembly.region}:${bound.assembly.account}:key/${key}`;
      },
      topicKey: (topicArn: string) => bound.resolver.topicKey(topicArn),
    };
    this.apis.authorize = async (service, operation, input) => {
      // An execution of a closed simulation still running in the background must not reach this account.
      const host = runningHost();
      if (host && host !== this.host) throw namedError('SimulationClosed', `a function of a closed simulation called ${operation}`);
      // A hung invocation makes no further call: Lambda ends it at its timeout, and nothing it would do happens.
      if (this.running.getStore()?.invocation?.hung)
        throw namedError('InvocationHung', `the invocation stopped responding before ${operation}`);
      const fn = runningFunction();
      if (!fn) return undefined;
      return this.iam.check(fn.roleLogicalId, fn.name, authorizationRequests(service, operation, input, place));
    };
    this.apis.currentCaller = () => runningFunction()?.phase;
    this.abortAt = options.abortAt;
    const request = typeof options.input === 'object' && options.input !== null ? (options.input as Record<string, unknown>) : {};
    const serviceName = typeof request.service === 'string' ? request.service : config.services[0]?.name;
    const service = config.services.find((s) => s.name === serviceName) ?? config.services[0];
    if (!service) throw new Error('the config has no service');
    const model = this.model;
    const ctx: SimulationContext = {
      model,
      service,
      interceptors: this.apis.interceptors,
      onStateEntered: [],
      currentState: undefined,
      triggers: [],
      fixed: false,
      signalAt: undefined,
      smoke: { fails: false, delayMs: 0 },
      denyAction: (action, phase) => this.denyAction(action, phase),
      beforeInvoke: [],
      hangInvocation: () => this.hangInvocation(),
      stopAt: (state) => {
        this.abortAt = state;
      },
      loseMainStatusEvent: () => {
        this.loseMainEvent = true;
      },
      ...serviceFaultParts(
        model,
        service,
        {
          ...(typeof request.imageTag === 'string' ? { imageTag: request.imageTag } : {}),
          ...(typeof request.imageDigest === 'string' ? { imageDigest: request.imageDigest } : {}),
        },
        (at) => {
          ctx.signalAt ??= at;
        },
      ),
    };
    this.ctx = ctx;
    this.apis.currentState = () => this.running.getStore()?.state ?? ctx.currentState;
  }

  /**
   * Ends the simulation's own scopes. Node keeps every AsyncLocalStorage that
   * ran in a process-wide list (each async resource's init visits it) until it is disabled.
   */
  close(): void {
    this.host.close();
    this.running.disable();
  }

  /**
   * The context of a fault aimed at one service (`--fault name@service`): the
   * fault bends that service's resources, sees the state that service is in
   * (its handlers' calls carry it), and its image is the one the input asks
   * for that service. The rest (model, clock, fixed, signal) is shared.
   */
  serviceContext(name: string): SimulationContext {
    const cached = this.serviceContexts.get(name);
    if (cached) return cached;
    const service = this.options.config.services.find((candidate) => candidate.name === name);
    if (!service) {
      throw new Error(
        `fault target "${name}" is not a configured service (known: ${this.options.config.services.map((s) => s.name).join(', ')})`,
      );
    }
    const base = this.ctx;
    const running = this.running;
    const hooks: Array<(state: string) => void> = [];
    this.serviceHooks.set(name, hooks);
    const model = this.model;
    const ctx: SimulationContext = {
      model,
      service,
      interceptors: base.interceptors,
      onStateEntered: hooks,
      triggers: base.triggers,
      smoke: base.smoke,
      denyAction: base.denyAction,
      beforeInvoke: base.beforeInvoke,
      hangInvocation: base.hangInvocation,
      stopAt: base.stopAt,
      loseMainStatusEvent: base.loseMainStatusEvent,
      get fixed() {
        return base.fixed;
      },
      set fixed(value) {
        base.fixed = value;
      },
      get signalAt() {
        return base.signalAt;
      },
      set signalAt(value) {
        base.signalAt = value;
      },
      get currentState() {
        const store = running.getStore();
        return store?.service === name ? plainStateName(store.state) : undefined;
      },
      set currentState(_value) {
        // Read from the running handler; nothing to set.
      },
      ...serviceFaultParts(this.model, service, requestedImageOf(this.options.input, name), (at) => {
        base.signalAt ??= at;
      }),
    };
    this.serviceContexts.set(name, ctx);
    return ctx;
  }

  /** IAM drift: `action` denied to one function's role, or to every role of the stack (the state machine's included). */
  denyAction(action: string, phase: string | undefined): void {
    const functions = this.bound.functions as Readonly<Record<string, DeployedFunction>>;
    if (phase !== undefined && !functions[phase]) {
      throw new Error(`fault deny:${action}@${phase}: no function "${phase}" (functions: ${Object.keys(functions).join(', ')})`);
    }
    const roles =
      phase === undefined
        ? [...Object.values(functions).map((fn) => fn.roleLogicalId), this.bound.assembly.stateMachine.role]
        : [functions[phase]?.roleLogicalId ?? ''];
    for (const role of roles) this.iam.deny(role, action);
  }

  /** Marks the running Task invocation as hung (SimulationContext.hangInvocation). */
  private hangInvocation(): void {
    const invocation = this.running.getStore()?.invocation;
    if (!invocation) throw new Error('hangInvocation called outside a Task invocation');
    invocation.hung = true;
  }

  /** The deployed functions, by phase. */
  get functions(): Readonly<Record<string, DeployedFunction>> {
    return this.bound.functions;
  }

  executionArn(name: string): string {
    return executionArnOf(this.stateMachineArn, name);
  }

  // The SFN API (SfnBackend) -------------------------------------------------

  startExecution(name: string, input: unknown): ExecutionResult {
    // Step Functions would run it (initialize refuses it); the local interpreter stalls on it without a word.
    if (nestedDeeperThan(input, INTERPRETER_MAX_DEPTH)) {
      throw new SimulationInputError(
        `the input nests more than ${INTERPRETER_MAX_DEPTH} levels deep, which the local interpreter cannot run; initialize refuses anything over ${MAX_JSON_DEPTH}`,
      );
    }
    // Names are unique per state machine for 90 days after an execution closes, across runs (the account state keeps them).
    assertExecutionName(this.model, this.stateMachineArn, name, Date.now());
    recordExecutionStart(this.model, this.stateMachineArn, name, Date.now());
    const execution: ExecutionResult = {
      name,
      arn: this.executionArn(name),
      status: 'RUNNING',
      input,
      startDate: Date.now(),
      executionPath: [],
      transitions: 0,
      events: [],
      history: () => this.history(execution),
    };
    this.executions.set(name, execution);
    const done = this.run(execution).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
    this.completions.set(name, done);
    return execution;
  }

  /** StopExecution: the error and cause given are the ones the execution ends with (its ExecutionAborted event). */
  stopExecution(name: string, reason?: { readonly error?: string; readonly cause?: string }): boolean {
    const abort = this.aborts.get(name);
    if (!abort) return false;
    if (reason) this.stopReasons.set(name, reason);
    abort();
    return true;
  }

  /** RedriveExecution: an unsuccessful execution continues at the state where it stopped, with that state's input. */
  redriveExecution(name: string): ExecutionResult {
    const execution = this.executions.get(name);
    if (!execution) throw namedError('ExecutionDoesNotExist', `Execution Does Not Exist: '${this.executionArn(name)}'`);
    if (execution.status === 'RUNNING' || execution.status === 'SUCCEEDED') {
      throw namedError('ExecutionNotRedrivable', `Execution is ${execution.status} and cannot be redriven.`);
    }
    const last = execution.executionPath[execution.executionPath.length - 1];
    // An execution that ended in a Fail state stopped there: a redrive runs that Fail state again.
    const failState = last && this.topLevel.has(last) && this.stateTypes.get(last) === 'Fail' ? last : undefined;
    const failInput = failState
      ? execution.events.findLast((event) => event.type === 'StateEntered' && event.state?.name === failState)?.state?.input
      : undefined;
    const resume = failState ? { name: failState, input: failInput ?? null } : execution.lastState;
    if (!resume) throw namedError('ExecutionNotRedrivable', 'Execution has no state to redrive from.');
    execution.status = 'RUNNING';
    execution.redriveCount = (execution.redriveCount ?? 0) + 1;
    execution.redriveFrom = resume.name;
    delete execution.error;
    delete execution.cause;
    const done = this.run(execution, resume).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
    this.completions.set(name, done);
    return execution;
  }

  sendTaskSuccess(token: string, output: unknown): void {
    const pending = this.tokens.get(token);
    if (!pending) throw namedError('TaskDoesNotExist', 'Task Does Not Exist');
    this.tokens.delete(token);
    pending.resolve(output);
  }

  sendTaskFailure(token: string, error: string, cause: string): void {
    const pending = this.tokens.get(token);
    if (!pending) throw namedError('TaskDoesNotExist', 'Task Does Not Exist');
    this.tokens.delete(token);
    pending.reject(namedError(error, cause));
  }

  /** Resolves when no execution is running any more (recoveries included). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  // Running one execution --------------------------------------------------

  private async run(execution: ExecutionResult, resume?: { readonly name: string; readonly input: unknown }): Promise<void> {
    const { onProgress } = this.options;
    const start = this.options.startTime ?? DEFAULT_START;
    const { definition, localHandlers, retryOverrides } = this.prepare(execution);
    // A redrive continues at the unsuccessful state with the input it had; the successful states are not rerun.
    if (resume) definition.StartAt = resume.name;
    execution.attemptStart = Date.now();
    // The definition is validated once per process (it is the template's, unchanged); a redrive starts inside the
    // graph, where states before it look unreachable.
    const validate = !resume && !VALIDATED.has(this.bound.definition);
    const machine = new StateMachine(definition as never, {
      validationOptions: validate ? { checkArn: false, checkPaths: true } : { noValidate: true },
    });
    if (validate) VALIDATED.add(this.bound.definition);
    const run = machine.run((resume ? resume.input : execution.input) as never, {
      overrides: { taskResourceLocalHandlers: localHandlers as never, retryIntervalOverrides: retryOverrides },
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          StartTime: new Date(execution.startDate).toISOString(),
          Input: execution.input as never,
          RoleArn: this.bound.resolver.getArn(this.bound.assembly.stateMachine.role),
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.bound.resolver.physicalName(this.bound.assembly.stateMachine.resource) },
        Task: { Token: `${execution.name}.task-token` },
      } as never,
    });
    this.aborts.set(execution.name, () => run.abort());
    const collecting = (async () => {
      // Retried and Caught events do not repeat the error; the Failed event before them has it.
      let lastError: string | undefined;
      let caught: string | undefined;
      for await (const raw of run.eventLogs) {
        const event = raw as EventLog;
        execution.events.push(event);
        this.enforceQuotas(execution, event);
        if (event.type === 'StateEntered' && event.state) execution.executionPath.push(event.state.name);
        if (event.type === 'StateFailed') lastError = event.Error;
        // A caught state also reports an exit; it did not finish "ok".
        const exitAfterCatch = event.type === 'StateExited' && event.state?.name === caught;
        caught = event.type === 'StateCaught' ? event.state?.name : undefined;
        if (event.state && onProgress && !exitAfterCatch) {
          onProgress({
            execution: execution.name,
            state: event.state.name,
            type: this.stateTypes.get(event.state.name) ?? event.state.type,
            kind: event.type.replace('State', '').toLowerCase() as ProgressEvent['kind'],
            simulatedSeconds: (event.timestamp - start) / 1000,
            ...(event.Error || lastError ? { error: event.Error ?? lastError } : {}),
            ...(this.topLevel.has(event.state.name) ? {} : serviceField(event.state.input)),
          });
        }
      }
    })();
    try {
      execution.output = await run.result;
      const fatal = this.fatal.get(execution.name);
      if (fatal) throw namedError(fatal.error, fatal.cause);
      execution.status = 'SUCCEEDED';
    } catch (caught) {
      const fatal = this.fatal.get(execution.name);
      const failure = fatal ? namedError(fatal.error, fatal.cause) : ((caught as { cause?: unknown }).cause ?? caught);
      const name = this.timedOut.delete(execution.name) ? 'ExecutionTimeoutError' : caught instanceof Error ? caught.name : 'Error';
      execution.status =
        fatal !== undefined
          ? 'FAILED'
          : name === 'ExecutionAbortedError'
            ? 'ABORTED'
            : name === 'ExecutionTimeoutError'
              ? 'TIMED_OUT'
              : 'FAILED';
      execution.error =
        execution.status === 'FAILED' && failure instanceof Error
          ? failure.name
          : `States.${execution.status === 'ABORTED' ? 'Aborted' : 'Timeout'}`;
      execution.cause = failure instanceof Error ? failure.message : String(failure);
      const stopped = this.stopReasons.get(execution.name);
      if (execution.status === 'ABORTED' && stopped) {
        execution.error = stopped.error ?? execution.error;
        execution.cause = stopped.cause ?? execution.cause;
      }
    }
    this.stopReasons.delete(execution.name);
    await collecting;
    execution.historyEvents = countHistoryEvents(execution.events, this.bound.definition);
    this.aborts.delete(execution.name);
    // One fewer execution holds the clock back.
    this.scheduleAdvance();
    execution.stopDate = Date.now();
    recordExecutionStop(this.model, this.stateMachineArn, execution.name, execution.stopDate);
    execution.transitions = execution.executionPath.length;
    this.model.advanceTo(Date.now());
    if (!this.backstopStatuses.has(execution.status)) return;
    // EventBridge delivers Step Functions' status-change events best effort: the fault loses the main one.
    if (this.loseMainEvent && execution.name === this.mainName && execution.status !== 'SUCCEEDED') {
      this.lostStatusEvents.push(execution.name);
      return;
    }
    await this.notifyBackstop(execution);
  }

  /**
   * The backstop's sweep schedule in the template: a rule with a rate
   * expression whose target is the backstop function; its ARN.
   */
  private get sweepSchedule(): { readonly ruleArn: string } | undefined {
    const { resolver } = this.bound;
    const backstopArn = resolver.getArn(this.bound.functions.backstop.logicalId);
    for (const id of resolver.resourcesOfType('AWS::Events::Rule')) {
      const targets = resolver.property(id, 'Targets') as Array<{ Arn?: unknown }> | undefined;
      const expression = resolver.property(id, 'ScheduleExpression');
      if (typeof expression !== 'string' || !targets?.some((target) => target.Arn === backstopArn)) continue;
      if (!/^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/.test(expression)) {
        throw new Error(`the backstop's schedule ${expression} is not a rate expression`);
      }
      return { ruleArn: resolver.getArn(id) };
    }
    return undefined;
  }

  /**
   * What the backstop's schedule does once every execution has ended: a sweep
   * (EventBridge's "Scheduled Event"), and another after whatever it started
   * has ended, until a sweep starts nothing. The clock is not moved to the
   * next tick (in AWS it comes within one period): what the sweep finds is the
   * same, and the run's other figures stay those of its executions.
   */
  async sweepUntilQuiet(): Promise<void> {
    const schedule = this.sweepSchedule;
    if (!schedule) return;
    const backstop = this.bound.functions.backstop;
    for (let sweep = 1; sweep <= MAX_SWEEPS; sweep++) {
      await this.settle();
      const started = this.executions.size;
      const event = {
        version: '0',
        id: `sim-sweep-${sweep}`,
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: this.options.config.pipeline.account,
        time: new Date(Date.now()).toISOString(),
        region: this.options.config.pipeline.region,
        resources: [schedule.ruleArn],
        detail: {},
      };
      try {
        if (!this.iam.mayInvoke(backstop.logicalId, 'events.amazonaws.com')) {
          throw namedError('AccessDeniedException', `no resource-based policy of ${backstop.name} lets events.amazonaws.com invoke it`);
        }
        this.sweeps.push({ at: Date.now(), result: await this.invoke(backstop, event, 'events.amazonaws.com') });
      } catch (error) {
        this.sweeps.push({ at: Date.now(), result: { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } });
      }
      await this.settle();
      if (this.executions.size === started) return;
    }
  }

  /** The execution statuses the template's EventBridge rules deliver to the backstop function: AWS invokes it for those only. */
  private get backstopStatuses(): ReadonlySet<string> {
    if (this.deliveredStatuses) return this.deliveredStatuses;
    const { resolver } = this.bound;
    const backstopArn = resolver.getArn(this.bound.functions.backstop.logicalId);
    const statuses = resolver.resourcesOfType('AWS::Events::Rule').flatMap((id) => {
      const targets = resolver.property(id, 'Targets') as Array<{ Arn?: unknown }> | undefined;
      if (!targets?.some((target) => target.Arn === backstopArn)) return [];
      const pattern = resolver.property(id, 'EventPattern') as
        | { source?: string[]; detail?: { status?: string[]; stateMachineArn?: string[] } }
        | undefined;
      if (!pattern?.source?.includes('aws.states') || !pattern.detail?.stateMachineArn?.includes(this.stateMachineArn)) return [];
      return pattern.detail.status ?? [];
    });
    this.deliveredStatuses = new Set(statuses);
    return this.deliveredStatuses;
  }

  /**
   * Step Functions' quotas on an execution, which no Retry or Catch handles
   * (States.ALL does not match States.DataLimitExceeded): a state's input or
   * output over 256 KiB fails the execution.
   */
  private enforceQuotas(execution: ExecutionResult, event: EventLog): void {
    if (this.fatal.has(execution.name)) return;
    // 25,000 history events, counted as Step Functions writes them (every 100 local events, then every event near the limit).
    const near = (execution.historyEvents ?? 0) > HISTORY_EVENT_LIMIT - 1_000;
    if (near || execution.events.length % 100 === 0) {
      execution.historyEvents = countHistoryEvents(execution.events, this.bound.definition);
      if (historyLimitReached(execution.historyEvents)) {
        this.failExecution(execution, HISTORY_LIMIT_ERROR, HISTORY_LIMIT_CAUSE);
        return;
      }
    }
    if (!event.state) return;
    if (event.type === 'StateEntered') this.payloadOverLimit(execution, event.state.name, 'input', event.state.input);
    if (event.type === 'StateExited') this.payloadOverLimit(execution, event.state.name, 'output', event.state.output);
  }

  /** A state's input or output over 256 KiB fails the execution with States.DataLimitExceeded; true when it did. */
  private payloadOverLimit(execution: ExecutionResult, state: string, kind: 'input' | 'output', payload: unknown): boolean {
    if (payload === undefined) return false;
    const bytes = Buffer.byteLength(JSON.stringify(payload) ?? '', 'utf8');
    if (bytes <= PAYLOAD_LIMIT_BYTES) return false;
    this.failExecution(
      execution,
      'States.DataLimitExceeded',
      `The state/task '${state}' ${kind} is ${bytes} bytes, over the maximum of ${PAYLOAD_LIMIT_BYTES} bytes.`,
    );
    return true;
  }

  /** Fails an execution the way Step Functions does when a quota is exceeded: at once, past any Catch. */
  private failExecution(execution: ExecutionResult, error: string, cause: string): void {
    if (this.fatal.has(execution.name)) return;
    this.fatal.set(execution.name, { error, cause });
    this.stopExecution(execution.name);
  }

  /** The execution's events as GetExecutionHistory returns them (the kinds the CLI reads). */
  private history(execution: ExecutionResult): Array<Record<string, unknown>> {
    return execution.events.flatMap((event, index) => {
      const base = { id: index + 1, timestamp: new Date(event.timestamp) };
      const state = event.state;
      if (!state)
        return [
          { ...base, type: event.type === 'ExecutionTimeout' ? 'ExecutionTimedOut' : event.type, ...endDetails(event.type, execution) },
        ];
      const type = this.stateTypes.get(state.name) ?? state.type;
      if (event.type === 'StateEntered') {
        return [
          {
            ...base,
            type: `${type}StateEntered`,
            stateEnteredEventDetails: { name: state.name, input: JSON.stringify(state.input ?? null) },
          },
        ];
      }
      if (event.type === 'StateExited') {
        return [
          {
            ...base,
            type: `${type}StateExited`,
            stateExitedEventDetails: { name: state.name, output: JSON.stringify(state.output ?? null) },
          },
        ];
      }
      return [{ ...base, type: `${type}${event.type.replace('State', '')}` }];
    });
  }

  /** What the EventBridge rule on execution status changes does in AWS. */
  private async notifyBackstop(execution: ExecutionResult): Promise<void> {
    const backstop = this.bound.functions.backstop;
    const event = {
      version: '0',
      id: `sim-${execution.name}`,
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      account: this.options.config.pipeline.account,
      region: this.options.config.pipeline.region,
      time: new Date(Date.now()).toISOString(),
      resources: [execution.arn],
      detail: {
        executionArn: execution.arn,
        stateMachineArn: this.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate,
        stopDate: execution.stopDate ?? Date.now(),
        error: execution.error ?? null,
        cause: execution.cause ?? null,
        input: JSON.stringify(execution.input ?? null),
      },
    };
    try {
      if (!this.iam.mayInvoke(backstop.logicalId, 'events.amazonaws.com')) {
        throw namedError('AccessDeniedException', `no resource-based policy of ${backstop.name} lets events.amazonaws.com invoke it`);
      }
      this.backstop.push({ execution: execution.name, result: await this.invoke(backstop, event, 'events.amazonaws.com') });
    } catch (error) {
      this.backstop.push({
        execution: execution.name,
        result: { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
      });
    }
  }

  /** Binds Tasks to handlers and turns Wait states into virtual-clock advances. */
  private prepare(execution: ExecutionResult) {
    const { bound, ctx } = this;
    const definition = structuredClone(bound.definition) as AslDefinition;
    const localHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const retryOverrides: Record<string, number> = {};
    const timeoutMillis = (bound.definition.TimeoutSeconds ?? 0) * 1000;
    const entering = (name: string, input: unknown) => {
      // A redrive resumes at a top-level state; a state inside a Map iteration reruns its whole Map.
      if (this.topLevel.has(name)) execution.lastState = { name, input };
      // Step Functions ends an execution at the state machine's TimeoutSeconds (counted from the start or the last redrive).
      if (timeoutMillis > 0 && Date.now() - (execution.attemptStart ?? execution.startDate) >= timeoutMillis) {
        this.timedOut.add(execution.name);
        this.stopExecution(execution.name);
        return false;
      }
      if (this.abortAt === name) {
        this.abortAt = undefined;
        this.stopExecution(execution.name);
        return false;
      }
      for (const hook of ctx.onStateEntered) hook(name);
      const service = serviceOfInput(input);
      if (service) for (const hook of this.serviceHooks.get(service) ?? []) hook(plainStateName(name));
      return true;
    };
    // Replaces the Wait states of every level (Map iterations included) and binds every Task.
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
            this.working(async () => {
              if (!entering(name, input)) return input;
              await this.sleep(execution, waitMillis(state, input, Date.now()));
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
          this.working(async () => {
            if (!entering(name, input)) return input;
            // Checked before the handler runs: the event log reports the entry only after the fact.
            if (this.payloadOverLimit(execution, name, 'input', input)) return input;
            const service = serviceOfInput(input);
            ctx.currentState = name;
            const handler = (event: unknown) => this.invoke(binding, event);
            try {
              if (isWaitForTaskToken(state)) return await this.waitForToken(execution, state, handler, input);
              for (const hook of ctx.beforeInvoke) hook(name);
              const invocation = { hung: false };
              const output = await this.running.run({ service, state: name, invocation }, () =>
                handler(input).catch((error: unknown) => {
                  if (!invocation.hung) throw error;
                }),
              );
              if (invocation.hung) await this.timeOut(execution, state, binding);
              attemptsOf(service).clear();
              if (execution.name === this.mainName) {
                for (const trigger of ctx.triggers.filter((t) => t.afterState === name)) {
                  ctx.triggers.splice(ctx.triggers.indexOf(trigger), 1);
                  const second = this.startExecution(`${execution.name}-${trigger.suffix}`, trigger.input ?? execution.input);
                  await this.until(second, execution);
                  ctx.currentState = name;
                }
              }
              return output;
            } catch (error) {
              const lambdaError = error instanceof Error && error.name.startsWith('States.') ? error : asLambdaError(error);
              await this.sleep(execution, retryDelayMillis(state, lambdaError.name, attemptsOf(service)));
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
  private async timeOut(execution: ExecutionResult, state: AslState, fn: DeployedFunction): Promise<never> {
    const taskSeconds = Number(state.TimeoutSeconds ?? 60);
    if (taskSeconds <= fn.timeoutSeconds) {
      await this.sleep(execution, taskSeconds * 1000);
      throw namedError('States.Timeout', `Task timed out after ${taskSeconds} seconds (TimeoutSeconds)`);
    }
    await this.sleep(execution, fn.timeoutSeconds * 1000);
    throw namedError('Lambda.Unknown', `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`);
  }

  /**
   * Invokes a deployed function as Lambda does: the event and the result
   * cross the boundary as JSON (undefined fields vanish, a result of
   * undefined arrives as null).
   */
  private async invoke(fn: DeployedFunction, event: unknown, invoker: 'states' | 'events.amazonaws.com' = 'states'): Promise<unknown> {
    if (invoker === 'states') {
      // A Task invokes with the state machine's role: it must allow lambda:InvokeFunction on the function.
      const denial = await this.iam.check(this.bound.assembly.stateMachine.role, 'states', [
        { action: 'lambda:InvokeFunction', resource: fn.arn, context: {} },
      ]);
      if (denial) throw namedError('Lambda.AWSLambdaException', denial.message);
    }
    const result = await this.host.invoke(fn, JSON.parse(JSON.stringify(event ?? null)) as unknown);
    return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
  }

  /** Counts a handler as at work while it runs (its sleeps and waits on other executions excepted). */
  private async working<T>(run: () => Promise<T>): Promise<T> {
    this.busy += 1;
    try {
      return await run();
    } finally {
      this.busy -= 1;
      this.scheduleAdvance();
    }
  }

  /**
   * The first execution's name: the one asked for, else the first `deploy-<n>` the account has not used, neither
   * as an execution name (kept 90 days) nor as the id of a record (kept 400 days).
   */
  get mainName(): string {
    if (this.options.executionName) return this.options.executionName;
    this.defaultName ??= (() => {
      const taken = new Set(this.model.executions.filter((e) => e.stateMachineArn === this.stateMachineArn).map((e) => e.name));
      const recorded = (name: string) =>
        this.model.table.has(`DEPLOYMENT#${name}|RECORD`) || this.model.table.has(`RELEASE#${name}|RECORD`);
      let n = 1;
      while (taken.has(`deploy-${n}`) || recorded(`deploy-${n}`)) n += 1;
      return `deploy-${n}`;
    })();
    return this.defaultName;
  }

  private async until(execution: ExecutionResult, waiting?: ExecutionResult): Promise<void> {
    if (waiting) this.busy -= 1;
    this.scheduleAdvance();
    try {
      await this.completions.get(execution.name);
    } finally {
      if (waiting) this.busy += 1;
    }
  }

  /**
   * Sleeps on the virtual clock. Time moves only when every running execution
   * is asleep (or waiting on another execution or a token): then the clock
   * jumps to the earliest wake-up. Executions running side by side therefore
   * share one timeline, as they would in AWS.
   */
  private sleep(execution: ExecutionResult, millis: number): Promise<void> {
    this.busy -= 1;
    return new Promise<void>((wake) => {
      this.sleepers.push({ execution: execution.name, at: Date.now() + Math.max(0, millis), wake });
      this.scheduleAdvance();
    }).finally(() => {
      this.busy += 1;
    });
  }

  private scheduleAdvance(): void {
    setImmediate(() => this.advance());
  }

  private advance(): void {
    // A stopped or timed-out execution never wakes up: its sleep no longer counts.
    this.sleepers = this.sleepers.filter((sleeper) => this.executions.get(sleeper.execution)?.status === 'RUNNING');
    if (this.sleepers.length === 0) return;
    // Someone is at work (a handler, or a state machine between states): time stands still.
    if (this.busy > 0) return;
    const next = Math.min(...this.sleepers.map((sleeper) => sleeper.at));
    if (next > Date.now()) this.clock.setSystemTime(next);
    const due = this.sleepers.filter((sleeper) => sleeper.at <= Date.now());
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.at > Date.now());
    for (const sleeper of due) sleeper.wake();
  }

  /** A `.waitForTaskToken` task: runs the handler, then waits for the token's answer. */
  private async waitForToken(
    execution: ExecutionResult,
    state: AslState,
    handler: (event: unknown) => Promise<unknown>,
    input: unknown,
  ): Promise<unknown> {
    const payload = (input as { Payload?: { taskToken?: string } }).Payload;
    const token = payload?.taskToken ?? `${execution.name}.task-token`;
    await handler(payload);
    const decision = this.options.approval ?? 'approve';
    if (decision === 'external') {
      // An operator answers from outside: the execution does not hold the clock back meanwhile.
      this.busy -= 1;
      this.scheduleAdvance();
      return new Promise<unknown>((resolve, reject) => this.tokens.set(token, { execution: execution.name, resolve, reject })).finally(
        () => {
          this.busy += 1;
        },
      );
    }
    if (decision === 'timeout') {
      await this.sleep(execution, (Number(state.HeartbeatSeconds ?? state.TimeoutSeconds ?? 0) || 0) * 1000);
      throw namedError('States.HeartbeatTimeout', `no approval within ${String(state.HeartbeatSeconds)} s (--approval-timeout)`);
    }
    await this.sleep(execution, OPERATOR_DELAY_MS);
    if (decision === 'reject') throw namedError('ApprovalRejected', 'rejected by simulation-operator (--reject)');
    return { approvedBy: 'simulation-operator', approvedAt: new Date(Date.now()).toISOString() };
  }
}

export interface OpenSimulation {
  readonly simulation: Simulation;
  readonly logLines: string[];
  readonly start: number;
  /** What the chat webhook received (the local server's log). */
  readonly webhook: Array<{ path: string; body: unknown }>;
  /** Restores the clock, the SDK clients, the logger and the environment. */
  close(): void;
}

/**
 * Sets up a simulated account (virtual clock, intercepted SDK clients, faults)
 * without starting anything: the caller starts executions through the SFN API
 * (the baton CLI does) or with startExecution. close() undoes everything.
 */
export async function openSimulation(options: SimulationOptions): Promise<OpenSimulation> {
  const { config } = options;
  assertNetworkInAccount(config, options.account);
  const start = options.startTime ?? DEFAULT_START;
  const webhookSecretArn = config.pipeline.notifications.chatWebhookSecretArn;
  const bound = await definitionFor(config);
  if (options.code === 'source') await forgetSourceCaches();
  const clock = FakeTimers.install({ now: start, toFake: ['Date'] });
  const logLines: string[] = [];
  const restoreOutput = captureLogs(logLines);
  let simulation: Simulation | undefined;
  let smokeServer: SmokeServer | undefined;
  let webhookServer: WebhookServer | undefined;
  let uninstallNetwork: (() => void) | undefined;
  const close = () => {
    void smokeServer?.close();
    void webhookServer?.close();
    uninstallNetwork?.();
    simulation?.close();
    simulation?.apis.uninstall();
    restoreOutput();
    clock.uninstall();
  };
  try {
    simulation = new Simulation(options, clock, bound);
    simulation.apis.install();
    for (const spec of options.faults ?? []) {
      const { fault, target } = parseFault(spec);
      // IAM drift is aimed at a function's role, whichever service it works on.
      if (target === undefined && !isDenyFault(spec) && isReleaseInput(options.input)) {
        throw new Error(
          `fault "${spec}": a release deploys several services; aim the fault at one, e.g. ${spec}@${Object.keys((options.input as { services?: object }).services ?? {})[0] ?? 'api'}`,
        );
      }
      fault.apply(target === undefined ? simulation.ctx : simulation.serviceContext(target));
    }
    options.setup?.(simulation.ctx);
    if (config.services.some((service) => service.smokeTest)) {
      smokeServer = await startSmokeServer(simulation.ctx);
      // The test listeners the smoke tests address answer from the local server, for the functions that can reach them.
      uninstallNetwork = installNetwork(
        config.services.flatMap((service) =>
          service.smokeTest
            ? [{ url: service.smokeTest.baseUrl, to: smokeServer?.baseUrl ?? '', latencyMs: () => simulation?.ctx.smoke.delayMs ?? 0 }]
            : [],
        ),
        (ms) => {
          if (ms > 0) clock.setSystemTime(Date.now() + ms);
        },
      );
      // The smoke test measures real latency against a budget: load fetch (undici) and open a connection before
      // the first execution, so a check never pays the process's one-time start-up.
      await warmUp(smokeServer.baseUrl);
    }
    if (webhookSecretArn) webhookServer = await startWebhookServer(simulation.model, webhookSecretArn);
    return { simulation, logLines, start, close, webhook: webhookServer?.received ?? [] };
  } catch (error) {
    close();
    throw error;
  }
}

async function warmUp(baseUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/warm-up`);
  await response.arrayBuffer();
}

/**
 * From source, every function shares the handlers' modules (one process, one
 * module graph): forget what an earlier simulated account left in their
 * caches (Powertools Parameters caches secrets).
 */
async function forgetSourceCaches(): Promise<void> {
  const clients = await import('../lambdas/shared/clients.ts');
  clients.secretsProvider.clearCache();
}

/** The VPC, subnets and security groups of pipeline.network must be the account's, as CloudFormation would insist. */
export function assertNetworkInAccount(config: BatonConfig, account: AccountSpec): void {
  const network = config.pipeline.network;
  if (!network) return;
  const vpc = account.ec2?.vpcs[network.vpcId];
  if (!vpc) throw new Error(`pipeline.network.vpcId: the simulated account ${account.account} has no VPC ${network.vpcId}`);
  const missing = [
    ...network.subnetIds.filter((id) => !vpc.subnetIds.includes(id)),
    ...network.securityGroupIds.filter((id) => !vpc.securityGroupIds.includes(id)),
  ];
  if (missing.length > 0) throw new Error(`pipeline.network: VPC ${network.vpcId} of the simulated account has no ${missing.join(', ')}`);
}

/** One run: the given input as the first execution, plus whatever it leads to (duplicates, recoveries). */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const open = await openSimulation(options);
  const { simulation, logLines, start, webhook } = open;
  const wallStart = performance.now();
  try {
    const initialListeners = structuredClone(simulation.model.listeners);
    const main = simulation.startExecution(simulation.mainName, options.input);
    await simulation.settle();
    if (options.redriveAfterFix && main.status !== 'SUCCEEDED') {
      // The operator removes the cause, then redrives the execution.
      for (const spec of options.faults ?? []) {
        const { fault, target } = parseFault(spec);
        fault.fix?.(target === undefined ? simulation.ctx : simulation.serviceContext(target));
      }
      simulation.redriveExecution(main.name);
      await simulation.settle();
    }
    await simulation.sweepUntilQuiet();
    simulation.model.advanceTo(Date.now());
    return {
      main,
      others: [...simulation.executions.values()].filter((e) => e !== main),
      initialListeners,
      simulatedSeconds: (Date.now() - start) / 1000,
      wallMs: Math.round(performance.now() - wallStart),
      model: simulation.model,
      apis: simulation.apis,
      logLines,
      webhook,
      backstop: simulation.backstop,
      lostStatusEvents: simulation.lostStatusEvents,
      sweeps: simulation.sweeps,
      iam: simulation.iam,
      functions: simulation.functions,
      ...(signalToRestore(simulation) !== undefined ? { signalToRestoreSeconds: signalToRestore(simulation) } : {}),
    };
  } finally {
    open.close();
  }
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

/** The error and cause of an execution's last event, as GetExecutionHistory gives them (StopExecution's for an abort). */
function endDetails(type: string, execution: ExecutionResult): Record<string, unknown> {
  const field = {
    ExecutionAborted: 'executionAbortedEventDetails',
    ExecutionFailed: 'executionFailedEventDetails',
    ExecutionTimeout: 'executionTimedOutEventDetails',
  }[type];
  if (!field) return {};
  return { [field]: { ...(execution.error ? { error: execution.error } : {}), ...(execution.cause ? { cause: execution.cause } : {}) } };
}
