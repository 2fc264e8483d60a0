/**
 * The Lambda functions of the assembly, run as Lambda runs them: each from
 * its own bundle (the asset `cdk synth` built), loaded once per function into
 * its own module instance (a warm container: module-scope state persists
 * across that function's invocations and is seen by no other function), with
 * exactly the environment the template gives it plus the variables the Lambda
 * runtime defines, and called with a Lambda context whose remaining time
 * follows the virtual clock.
 *
 * `process.env` is one object in a process, so while a function's code runs
 * (an invocation, or its module's cold start) process.env shows that
 * function's environment and nothing else: an AsyncLocalStorage scope, which
 * follows the function's awaits, timers and callbacks.
 *
 * From source (`--from-source`, for debugging with breakpoints in the
 * TypeScript): the same environment and context, but the handlers' modules
 * are the source files, shared by all functions of the process.
 */
import * as asyncHooks from 'node:async_hooks';
import { type AsyncHook, AsyncLocalStorage } from 'node:async_hooks';
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { dirname, join } from 'node:path';
import type { Script } from 'node:vm';
import { entryOf } from '../../lib/bundling/phase-bundles.ts';
import type { PhaseName } from '../../lib/constructs/phases.ts';
import type { Assembly } from './build.ts';
import { compileBundle } from './code-cache.ts';
import { ContainerHooks } from './container-hooks.ts';
import type { TemplateResolver } from './template.ts';

/** The module object of node:timers/promises (an ESM namespace cannot be patched; this can). */
const timersPromises = createRequire(import.meta.url)('node:timers/promises') as typeof import('node:timers/promises');

export interface DeployedFunction {
  readonly phase: PhaseName;
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The version a Task invokes (function ARN:number); unset for the function itself (EventBridge invokes it unqualified). */
  readonly qualifiedArn?: string;
  readonly roleLogicalId: string;
  /** The variables the template sets, resolved in the simulated account. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Attached to subnets of a VPC (VpcConfig): it reaches only what the VPC reaches. */
  readonly inVpc: boolean;
  readonly logGroupName: string;
  readonly runtime: string;
  /** The directory of the bundled asset (index.js). */
  readonly assetDir: string;
  readonly handler: string;
}

/** Every phase function of the assembly, as the template defines it. */
export function deployedFunctions(assembly: Assembly, resolver: TemplateResolver): Record<PhaseName, DeployedFunction> {
  const entries = (Object.entries(assembly.functions) as Array<[PhaseName, { function: string; role: string }]>).map(
    ([phase, ids]): [PhaseName, DeployedFunction] => {
      const id = ids.function;
      const code = resolver.property(id, 'Code') as { S3Key?: string } | undefined;
      if (!code?.S3Key) throw new Error(`function ${id} (${phase}) has no asset in the template`);
      const variables = (resolver.property(id, 'Environment') as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      const logging = resolver.property(id, 'LoggingConfig') as { LogGroup?: string } | undefined;
      const name = resolver.physicalName(id);
      return [
        phase,
        {
          phase,
          logicalId: id,
          name,
          arn: `arn:aws:lambda:${assembly.region}:${assembly.account}:function:${name}`,
          roleLogicalId: ids.role,
          environment: Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)])),
          timeoutSeconds: Number(resolver.property(id, 'Timeout') ?? 3),
          memorySize: Number(resolver.property(id, 'MemorySize') ?? 128),
          inVpc: resolver.property(id, 'VpcConfig') !== undefined,
          logGroupName: logging?.LogGroup ?? `/aws/lambda/${name}`,
          runtime: String(resolver.property(id, 'Runtime') ?? 'nodejs'),
          assetDir: join(assembly.dir, `asset.${code.S3Key.replace(/\.zip$/, '')}`),
          handler: String(resolver.property(id, 'Handler') ?? 'index.handler'),
        },
      ];
    },
  );
  return Object.fromEntries(entries) as Record<PhaseName, DeployedFunction>;
}

/** The function whose code is running, and its environment. */
interface Scope {
  readonly fn: DeployedFunction;
  readonly env: Record<string, string>;
  /** The host (one simulated account) whose container runs the code. */
  readonly host: FunctionHost;
}

const scope = new AsyncLocalStorage<Scope>();

/** The containers' async hooks, each handed only what its own container's code creates (its environment object is the container). */
const containerHooks = new ContainerHooks(() => scope.getStore()?.env);

/** The host whose function is running now: a call made after its simulation closed must not reach the next one. */
export function runningHost(): FunctionHost | undefined {
  return scope.getStore()?.host;
}

/** Runs `work` as code outside every function (an operator acting on a cue a function's call gave). */
export function outsideFunctions<T>(work: () => T): T {
  return scope.exit(work);
}

/** The function whose code is running now (undefined outside any function: the simulator, the CLI). */
export function runningFunction(): DeployedFunction | undefined {
  return scope.getStore()?.fn;
}

let clockInstalled = false;
let timersInstalled = false;

/**
 * setTimeout of node:timers/promises (lambdas/shared/time.ts sleep), as the
 * running function sees it: a sleep on the virtual clock, through its host's
 * sleeper; outside any function, or in a host without one, the real one. The
 * bundles require the module object and the sources import its ESM facade,
 * which syncBuiltinESMExports updates: both see the patched function.
 */
function installFunctionTimers(): void {
  if (timersInstalled) return;
  timersInstalled = true;
  const real = timersPromises.setTimeout;
  const patched = ((millis?: number, value?: unknown, options?: Parameters<typeof real>[2]) => {
    const sleeper = scope.getStore()?.host.sleeper;
    if (!sleeper) return real(millis, value, options);
    return sleeper(Number(millis ?? 1)).then(() => value);
  }) as typeof real;
  Object.assign(timersPromises, { setTimeout: patched });
  syncBuiltinESMExports();
}

/**
 * performance.now(), as the running function sees it: the virtual clock (as
 * Date.now() is), so a latency a handler measures is the simulated one and
 * never the load of this machine; outside any function, the real one.
 */
function installFunctionClock(): void {
  if (clockInstalled) return;
  clockInstalled = true;
  const real = performance.now.bind(performance);
  performance.now = () => (scope.getStore() ? Date.now() : real());
}

let envInstalled = false;

/** process.env, as the running function sees it: its own environment inside a function, the process's outside. */
function installEnvironmentScope(): void {
  if (envInstalled) return;
  envInstalled = true;
  const real = process.env;
  const target = () => scope.getStore()?.env ?? real;
  process.env = new Proxy(real, {
    get: (_t, key) => (typeof key === 'string' ? target()[key] : undefined),
    set: (_t, key, value) => {
      if (typeof key === 'string') target()[key] = String(value);
      return true;
    },
    has: (_t, key) => typeof key === 'string' && key in target(),
    deleteProperty: (_t, key) => {
      if (typeof key === 'string') delete target()[key];
      return true;
    },
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_t, key) => {
      if (typeof key !== 'string' || !(key in target())) return undefined;
      return { value: target()[key], writable: true, enumerable: true, configurable: true };
    },
  }) as NodeJS.ProcessEnv;
}

/**
 * The variables the Lambda runtime defines for every function (AWS Lambda
 * Developer Guide, "Defined runtime environment variables"). The credentials
 * are the role's session (never used: the simulated account answers). No
 * AWS_EXECUTION_ENV: with it Powertools would send X-Ray segments, and there
 * is no X-Ray daemon here; tracing is the one thing the simulation leaves out.
 */
function runtimeEnvironment(fn: DeployedFunction, region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: `2026/01/01/[$LATEST]${fn.logicalId.toLowerCase()}`,
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_ACCESS_KEY_ID: 'ASIASIMULATEDROLE000',
    AWS_SECRET_ACCESS_KEY: 'simulated',
    AWS_SESSION_TOKEN: `simulated-session-for-${fn.roleLogicalId}`,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    LAMBDA_TASK_ROOT: '/var/task',
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    _HANDLER: fn.handler,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    NODE_PATH: '/opt/nodejs/node24/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task',
  };
}

type Handler = (event: unknown, context: LambdaContext) => Promise<unknown>;

export interface LambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

export type CodeSource = 'bundle' | 'source';

/** The warm containers of one simulation: one per function, created at its first invocation. */
export class FunctionHost {
  private readonly containers = new Map<string, { handler: Handler; env: Record<string, string> }>();
  private readonly leftovers: Leftovers = { hooks: [], subscriptions: [] };
  private closed = false;
  private requests = 0;
  private readonly region: string;
  readonly source: CodeSource;
  /** What source code needs that the bundles have compiled in (the config, an esbuild define): added only from source. */
  private readonly sourceEnvironment: Readonly<Record<string, string>>;
  /** How a function sleeps (a watch between its checks): on the simulation's virtual clock. */
  readonly sleeper: ((millis: number) => Promise<void>) | undefined;

  constructor(
    region: string,
    source: CodeSource = 'bundle',
    sourceEnvironment: Readonly<Record<string, string>> = {},
    sleeper?: (millis: number) => Promise<void>,
  ) {
    this.region = region;
    this.source = source;
    this.sourceEnvironment = sourceEnvironment;
    this.sleeper = sleeper;
    installEnvironmentScope();
    installFunctionClock();
    installFunctionTimers();
  }

  /** Ends every container: what their modules registered in the process is undone. */
  close(): void {
    this.closed = true;
    for (const hook of this.leftovers.hooks.splice(0)) hook.disable();
    for (const unsubscribe of this.leftovers.subscriptions.splice(0)) unsubscribe();
    this.containers.clear();
  }

  /** Loads a function (its cold start) without invoking it. */
  async load(fn: DeployedFunction): Promise<void> {
    await this.container(fn);
  }

  /** One invocation: the handler's result, or what it threw. */
  async invoke(fn: DeployedFunction, event: unknown): Promise<unknown> {
    const container = await this.container(fn);
    this.requests += 1;
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const requestId = `00000000-0000-4000-8000-${String(this.requests).padStart(12, '0')}`;
    const context: LambdaContext = {
      functionName: fn.name,
      functionVersion: fn.qualifiedArn?.split(':')[7] ?? '$LATEST',
      invokedFunctionArn: fn.qualifiedArn ?? fn.arn,
      memoryLimitInMB: String(fn.memorySize),
      awsRequestId: requestId,
      logGroupName: fn.logGroupName,
      logStreamName: container.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const env = container.env;
    env._X_AMZN_TRACE_ID = `Root=1-00000000-${String(this.requests).padStart(24, '0')};Parent=0000000000000000;Sampled=0`;
    if (this.closed) throw new Error(`function ${fn.name} invoked after its simulation closed`);
    return scope.run({ fn, env, host: this }, () => container.handler(event, context));
  }

  private async container(fn: DeployedFunction): Promise<{ handler: Handler; env: Record<string, string> }> {
    // One container per function and code: a version a deploy published runs apart from the one it replaced.
    const key = `${fn.logicalId}|${fn.assetDir}`;
    const known = this.containers.get(key);
    if (known) return known;
    const env = {
      ...runtimeEnvironment(fn, this.region),
      ...fn.environment,
      ...(this.source === 'source' ? this.sourceEnvironment : {}),
    };
    const handler = await scope.run({ fn, env, host: this }, () =>
      this.source === 'bundle' ? loadBundle(fn, this.leftovers) : loadSource(fn),
    );
    const container = { handler, env };
    this.containers.set(key, container);
    return container;
  }
}

/**
 * Compiled bundles, one per file for the process: compiling a 650 KB bundle
 * is most of a cold start here, and the compiled script carries no state.
 * Each container still runs the module's code afresh in its own module object.
 */
const compiled = new Map<string, Script>();

type ModuleWrapper = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/**
 * What a container leaves in the process that outlives it: the async hooks
 * its modules enable (the X-Ray SDK's continuation-local storage enables one
 * at load) and its diagnostics-channel subscriptions. A Lambda container
 * takes them with it when it goes; here the host undoes them at close, or
 * every later simulation of the process would run through them.
 */
interface Leftovers {
  readonly hooks: AsyncHook[];
  readonly subscriptions: Array<() => void>;
}

/** The require a bundle gets: Node's, with async_hooks and diagnostics_channel recording what the container leaves. */
function containerRequire(file: string, leftovers: Leftovers): NodeJS.Require {
  const base = createRequire(file);
  const hooks: typeof asyncHooks = {
    ...asyncHooks,
    createHook: (callbacks) => {
      const hook = containerHooks.create(callbacks);
      leftovers.hooks.push(hook);
      return hook;
    },
  };
  const channels: typeof diagnosticsChannel = {
    ...diagnosticsChannel,
    subscribe: (name, listener) => {
      diagnosticsChannel.subscribe(name, listener);
      leftovers.subscriptions.push(() => diagnosticsChannel.unsubscribe(name, listener));
    },
  };
  const wrapped = ((id: string) => {
    if (id === 'async_hooks' || id === 'node:async_hooks') return hooks;
    if (id === 'diagnostics_channel' || id === 'node:diagnostics_channel') return channels;
    return base(id);
  }) as NodeJS.Require;
  return Object.assign(wrapped, { resolve: base.resolve, cache: base.cache, main: base.main, extensions: base.extensions });
}

function loadBundle(fn: DeployedFunction, leftovers: Leftovers): Handler {
  const [file, exportName] = handlerPath(fn);
  let script = compiled.get(file);
  if (!script) {
    script = compileBundle(file);
    compiled.set(file, script);
  }
  const module = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as ModuleWrapper;
  wrapper.call(module.exports, module.exports, containerRequire(file, leftovers), module, file, dirname(file));
  const handler = (module.exports as Record<string, unknown>)[exportName];
  if (typeof handler !== 'function') throw new Error(`${file} exports no ${exportName} (the function's Handler)`);
  return handler as Handler;
}

async function loadSource(fn: DeployedFunction): Promise<Handler> {
  const module = (await import(entryOf(fn.phase))) as Record<string, unknown>;
  const [, exportName] = handlerPath(fn);
  const handler = module[exportName];
  if (typeof handler !== 'function') throw new Error(`${entryOf(fn.phase)} exports no ${exportName}`);
  return handler as Handler;
}

/** `index.handler` -> the bundle's index.js and its export `handler`. */
function handlerPath(fn: DeployedFunction): [string, string] {
  const dot = fn.handler.lastIndexOf('.');
  return [join(fn.assetDir, `${fn.handler.slice(0, dot)}.js`), fn.handler.slice(dot + 1)];
}
