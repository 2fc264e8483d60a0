/**
 * A small Step Functions service over one simulated account: executions of
 * the synthesized state machine are started, stopped, redriven and answered
 * (task tokens) through the SFN API (SfnBackend), and each runs on
 * aws-local-stepfunctions, its Tasks invoking the deployed bundles of their
 * functions (sim/artifact/) on the virtual clock. An execution that ends
 * with a status the template's backstop rule matches is reported to the
 * backstop function, as the EventBridge rule does in AWS.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../lambdas/shared/json-shape.ts';
import { SimulatedApis } from '../account/api.ts';
import { assertExecutionName, executionArnOf, recordExecutionStart, recordExecutionStop } from '../account/execution-names.ts';
import { AccountModel } from '../account/model.ts';
import type { SfnBackend } from '../account/services/step-functions.ts';
import { type DeployedFunction, FunctionHost, runningFunction } from '../artifact/functions.ts';
import { BackstopDelivery } from '../backstop-delivery.ts';
import { DEFAULT_START, type VirtualClock } from '../clock.ts';
import type { SimulationContext } from '../context.ts';
import { allStates, type BoundDefinition, plainStateName } from '../definition.ts';
import { runContext, serviceContext } from '../fault-context.ts';
import type { SimulationOptions } from '../harness.ts';
import { Authorizer } from '../iam/authorizer.ts';
import { asService, authorizeCalls } from '../iam/calls.ts';
import { SignalDelivery } from '../signal-delivery.ts';
import { collectEvents, recordEnd } from './event-log.ts';
import { type ExecutionResult, namedError, type RunningState, SimulationInputError } from './execution.ts';
import { countHistoryEvents, executionHistory } from './history.ts';
import { stateMachineFor } from './machine.ts';
import './map-failure.ts';
import { ExecutionQuotas } from './quotas.ts';
import { type ApprovalDecision, bindStates, type PendingToken, type StateHost, serviceOfInput } from './tasks.ts';

/** Deeper inputs stall aws-local-stepfunctions (measured: 1,000 levels run, 2,000 hang). */
const INTERPRETER_MAX_DEPTH = 1000;

/** Definitions aws-local-stepfunctions has validated in this process. */
const VALIDATED = new WeakSet<object>();

export class Simulation implements SfnBackend, StateHost {
  readonly model: AccountModel;
  readonly apis: SimulatedApis;
  readonly ctx: SimulationContext;
  readonly executions = new Map<string, ExecutionResult>();
  readonly lostStatusEvents: string[] = [];
  readonly stateMachineArn: string;
  readonly running = new AsyncLocalStorage<RunningState>();
  readonly quotas: ExecutionQuotas;
  readonly tokens = new Map<string, PendingToken>();
  readonly approval: ApprovalDecision;
  /** The warm containers of the functions (one per function, for this simulated account). */
  readonly host: FunctionHost;
  /** IAM of the stack's roles, as the template defines them (plus drift faults). */
  readonly iam: Authorizer;
  /** What the EventBridge rules targeting the backstop delivered to it. */
  readonly delivery: BackstopDelivery;
  /** The alarm and task events the signal rules deliver (signal-delivery.ts). */
  readonly signals: SignalDelivery;
  private loseMainEvent = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly completions = new Map<string, Promise<void>>();
  private readonly aborts = new Map<string, () => void>();
  private abortAt: string | undefined;
  private readonly timedOut = new Set<string>();
  private readonly stopReasons = new Map<string, { readonly error?: string; readonly cause?: string }>();
  private defaultName: string | undefined;
  /** Per-service hooks of faults aimed at one service (`--fault name@service`), called with the plain state name. */
  private readonly serviceHooks = new Map<string, Array<(state: string) => void>>();
  private readonly serviceContexts = new Map<string, SimulationContext>();
  /** Names of the top-level states (a redrive resumes at one of them) and the type of every state. */
  readonly topLevel: Set<string>;
  readonly stateTypes: Map<string, string>;
  private readonly options: SimulationOptions;
  readonly clock: VirtualClock;
  /** The newest published version: what StartExecution runs (sim/upgrade.ts publishes the next). */
  bound: BoundDefinition;

  constructor(options: SimulationOptions, clock: VirtualClock, bound: BoundDefinition) {
    this.options = options;
    this.clock = clock;
    this.bound = bound;
    const { config } = options;
    clock.isRunning = (execution) => this.executions.get(execution)?.status === 'RUNNING';
    this.host = new FunctionHost(bound.assembly.region, options.code ?? 'bundle', { BATON_CONFIG: JSON.stringify(config) }, (millis) =>
      clock.sleep(this.running.getStore()?.execution ?? '', millis),
    );
    this.iam = new Authorizer(bound.resolver);
    this.topLevel = new Set(Object.keys(bound.definition.States));
    this.stateTypes = new Map(allStates(bound.definition).map(([name, state]) => [name, state.Type]));
    this.stateMachineArn = bound.stateMachineArn;
    this.quotas = new ExecutionQuotas(bound.definition, (name) => this.stopExecution(name));
    this.approval = options.approval ?? 'approve';
    this.delivery = new BackstopDelivery({ bound, config, iam: this.iam, invoke: (fn, event, invoker) => this.invoke(fn, event, invoker) });
    this.model = new AccountModel(options.account, Date.now());
    this.signals = new SignalDelivery(
      { bound, iam: this.iam, clock, invoke: (fn, event, invoker) => this.invoke(fn, event, invoker) },
      this.model,
    );
    this.apis = new SimulatedApis(this.model);
    this.apis.sfn = this;
    this.apis.authorize = authorizeCalls({ host: this.host, running: this.running, iam: this.iam, bound, model: this.model });
    this.apis.currentCaller = () => runningFunction()?.phase;
    if (options.abortAt !== undefined && !this.stateTypes.has(options.abortAt)) {
      throw new SimulationInputError(`abort at "${options.abortAt}": the state machine has no such state`);
    }
    this.abortAt = options.abortAt;
    this.ctx = runContext(this.model, config, options.input, {
      interceptors: this.apis.interceptors,
      denyAction: (action, phase) => this.denyAction(action, phase),
      hangInvocation: () => this.hangInvocation(),
      stopAt: (state) => {
        this.abortAt = state;
      },
      loseMainStatusEvent: () => {
        this.loseMainEvent = true;
      },
    });
    this.apis.currentState = () => this.running.getStore()?.state ?? this.ctx.currentState;
  }

  /**
   * Ends the simulation's own scopes. Node keeps every AsyncLocalStorage that
   * ran in a process-wide list (each async resource's init visits it) until it is disabled.
   */
  close(): void {
    this.host.close();
    this.running.disable();
  }

  /** The context of a fault aimed at one service (`--fault name@service`; fault-context.ts). */
  serviceContext(name: string): SimulationContext {
    const cached = this.serviceContexts.get(name);
    if (cached) return cached;
    const service = this.options.config.services.find((candidate) => candidate.name === name);
    if (!service) {
      throw new Error(
        `fault target "${name}" is not a configured service (known: ${this.options.config.services.map((s) => s.name).join(', ')})`,
      );
    }
    const hooks: Array<(state: string) => void> = [];
    this.serviceHooks.set(name, hooks);
    const ctx = serviceContext(this.ctx, service, this.options.input, this.running, hooks);
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
      history: () => executionHistory(execution, this.stateTypes),
      version: this.bound,
    };
    this.executions.set(name, execution);
    this.track(execution);
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
    this.track(execution, resume);
    return execution;
  }

  sendTaskSuccess(token: string, output: unknown): void {
    this.answerToken(token).resolve(output);
  }

  sendTaskFailure(token: string, error: string, cause: string): void {
    this.answerToken(token).reject(namedError(error, cause));
  }

  private answerToken(token: string): PendingToken {
    const pending = this.tokens.get(token);
    if (!pending) throw namedError('TaskDoesNotExist', 'Task Does Not Exist');
    this.tokens.delete(token);
    return pending;
  }

  /** Resolves when no execution is running any more (recoveries included). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    // The events the last changes set off reach the signal function too, as they would after an execution ended.
    await this.signals.settled();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  completion(name: string): Promise<void> | undefined {
    return this.completions.get(name);
  }

  /** What the backstop's schedule does once every execution has ended (backstop-delivery.ts). */
  sweepUntilQuiet(): Promise<void> {
    return this.delivery.sweepUntilQuiet(
      () => this.settle(),
      () => this.executions.size,
    );
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

  // Running one execution --------------------------------------------------

  private track(execution: ExecutionResult, resume?: { readonly name: string; readonly input: unknown }): void {
    // The execution runs with the state machine's roles, never as the operator whose call started it.
    const done = asService(() => this.run(execution, resume)).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
    this.completions.set(execution.name, done);
  }

  /** What entering a state sets off (StateHost.enter): the execution timeout, an operator's stop, the faults' hooks. */
  enter(execution: ExecutionResult, name: string, input: unknown): boolean {
    // A redrive resumes at a top-level state; a state inside a Map iteration reruns its whole Map.
    if (this.topLevel.has(name)) execution.lastState = { name, input };
    // Step Functions ends an execution at the state machine's TimeoutSeconds (counted from the start or the last redrive).
    const timeoutMillis = ((execution.version ?? this.bound).definition.TimeoutSeconds ?? 0) * 1000;
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
    for (const hook of this.ctx.onStateEntered) hook(name);
    const service = serviceOfInput(input);
    if (service) for (const hook of this.serviceHooks.get(service) ?? []) hook(plainStateName(name));
    return true;
  }

  private async run(execution: ExecutionResult, resume?: { readonly name: string; readonly input: unknown }): Promise<void> {
    const { definition, localHandlers, retryOverrides } = bindStates(execution, this);
    const bound = execution.version ?? this.bound;
    // A redrive continues at the unsuccessful state with the input it had; the successful states are not rerun.
    if (resume) definition.StartAt = resume.name;
    execution.attemptStart = Date.now();
    // The definition is validated once per process (it is the template's, unchanged); a redrive starts inside the
    // graph, where states before it look unreachable.
    const validate = !resume && !VALIDATED.has(bound.definition);
    const machine = stateMachineFor(definition, validate);
    if (validate) VALIDATED.add(bound.definition);
    const run = machine.run((resume ? resume.input : execution.input) as never, {
      overrides: { taskResourceLocalHandlers: localHandlers as never, retryIntervalOverrides: retryOverrides },
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          StartTime: new Date(execution.startDate).toISOString(),
          Input: execution.input as never,
          RoleArn: bound.resolver.getArn(bound.assembly.stateMachine.role),
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.bound.resolver.physicalName(this.bound.assembly.stateMachine.resource) },
        Task: { Token: `${execution.name}.task-token` },
      } as never,
    });
    this.aborts.set(execution.name, () => run.abort());
    const collecting = collectEvents(execution, run.eventLogs as AsyncIterable<unknown>, {
      quotas: this.quotas,
      stateTypes: this.stateTypes,
      topLevel: this.topLevel,
      start: this.options.startTime ?? DEFAULT_START,
      ...(this.options.onProgress ? { onProgress: this.options.onProgress } : {}),
    });
    try {
      execution.output = await run.result;
      const fatal = this.quotas.failureOf(execution.name);
      if (fatal) throw fatal;
      execution.status = 'SUCCEEDED';
    } catch (caught) {
      recordEnd(execution, caught, {
        fatal: this.quotas.failureOf(execution.name),
        timedOut: this.timedOut.delete(execution.name),
        stopped: this.stopReasons.get(execution.name),
      });
    }
    this.stopReasons.delete(execution.name);
    await collecting;
    execution.historyEvents = countHistoryEvents(execution.events, bound.definition);
    this.aborts.delete(execution.name);
    // One fewer execution holds the clock back.
    this.clock.scheduleAdvance();
    execution.stopDate = Date.now();
    recordExecutionStop(this.model, this.stateMachineArn, execution.name, execution.stopDate);
    execution.transitions = execution.executionPath.length;
    this.model.advanceTo(Date.now());
    if (!this.delivery.delivers(execution.status)) return;
    // EventBridge delivers Step Functions' status-change events best effort: the fault loses the main one.
    if (this.loseMainEvent && execution.name === this.mainName && execution.status !== 'SUCCEEDED') {
      this.lostStatusEvents.push(execution.name);
      return;
    }
    await this.delivery.notify(execution);
  }

  /**
   * Invokes a deployed function as Lambda does: the event and the result
   * cross the boundary as JSON (undefined fields vanish, a result of
   * undefined arrives as null).
   */
  async invoke(fn: DeployedFunction, event: unknown, invoker: 'states' | 'events.amazonaws.com' = 'states'): Promise<unknown> {
    if (invoker === 'states') {
      // A Task invokes with the state machine's role: it must allow lambda:InvokeFunction on the function.
      const denial = await this.iam.check(this.bound.assembly.stateMachine.role, 'states', [
        { action: 'lambda:InvokeFunction', resource: fn.qualifiedArn ?? fn.arn, context: {} },
      ]);
      if (denial) throw namedError('Lambda.AWSLambdaException', denial.message);
    }
    const result = await this.host.invoke(fn, JSON.parse(JSON.stringify(event ?? null)) as unknown);
    return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
  }
}
