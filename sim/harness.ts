/**
 * The run entry points: openSimulation sets up a simulated account (virtual
 * clock, intercepted SDK clients, faults, local servers) and simulate runs
 * one input in it to the end and assembles what happened.
 */

import type { BatonConfig } from '../lambdas/shared/config-schema.ts';
import { classifyInput } from '../lambdas/shared/execution-input.ts';
import { deploymentTableName } from '../lambdas/shared/names.ts';
import { STATE_NAMES as S } from '../lib/constructs/state-names.ts';
import type { SimulatedApis } from './account/api.ts';
import type { AccountModel } from './account/model.ts';
import type { ScalingSummary } from './account/scaling.ts';
import type { AccountSpec } from './account/schema.ts';
import type { CodeSource, DeployedFunction } from './artifact/functions.ts';
import { installNetwork } from './artifact/network.ts';
import { DEFAULT_START, VirtualClock } from './clock.ts';
import type { SimulationContext } from './context.ts';
import { definitionFor } from './definition.ts';
import { isDenyFault, parseFault } from './faults/index.ts';
import type { Authorizer } from './iam/authorizer.ts';
import { type OperatorPromotion, type PromoteAfter, promoteWaits } from './operator.ts';
import { type SmokeServer, startSmokeServer } from './smoke-server.ts';
import { Simulation } from './stepfunctions/backend.ts';
import type { ExecutionResult, ProgressEvent } from './stepfunctions/execution.ts';
import type { ApprovalDecision } from './stepfunctions/tasks.ts';
import { startWebhookServer, type WebhookServer } from './webhook-server.ts';

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
  /** An operator runs `baton promote` this long into each traffic step that waits for promotion (sim/operator.ts). */
  readonly promote?: PromoteAfter;
  /** Called as each state is entered, exits, fails... (progress output). */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** 'bundle' (default): the deployed bundles; 'source': the handlers' TypeScript, for debugging. */
  readonly code?: CodeSource;
}

/** What runs a simulation: simulate(), or in the tests one that hands out an identical earlier run (test/support/simulation.ts). */
export type Simulate = (options: SimulationOptions) => Promise<SimulationResult>;

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
  /** Each `baton promote` the simulated operator ran (options.promote), and what it met. */
  readonly promotions: OperatorPromotion[];
  /** Listener weights as the run started, after the faults bent the account. */
  readonly initialListeners: Record<string, { forward: Record<string, number> }>;
  /**
   * Application Auto Scaling per ResourceId (bounds, suspension, policies, desired count) as the run started, after
   * the faults bent the account, and as it ended; empty for an account without scalable targets. What the autoscaler
   * did is model.scaling.activities.
   */
  readonly initialScaling: ScalingSummary;
  readonly scaling: ScalingSummary;
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

export interface OpenSimulation {
  readonly simulation: Simulation;
  readonly logLines: string[];
  readonly start: number;
  /** What the chat webhook received (the local server's log). */
  readonly webhook: Array<{ path: string; body: unknown }>;
  /** Each `baton promote` the simulated operator ran (options.promote), and what it met. */
  readonly promotions: OperatorPromotion[];
  /** Restores the clock, the SDK clients, the logger and the environment. */
  close(): void;
}

/**
 * The rollback's listener update that put traffic back, measured from the fault's signal; for a worker, the
 * UpdateService that took the new colour's last tasks away (the old colour runs its full count by then).
 */
function signalToRestore(simulation: Simulation): number | undefined {
  const signalAt = simulation.ctx.signalAt;
  if (signalAt === undefined) return undefined;
  const restores =
    simulation.ctx.service.kind === 'worker'
      ? (operation: string, input: unknown) =>
          operation === 'UpdateService' && (input as { desiredCount?: unknown } | undefined)?.desiredCount === 0
      : (operation: string) => operation === 'ModifyListener' || operation === 'ModifyRule';
  const restored = simulation.apis.calls.find(
    (call) => restores(call.operation, call.input) && call.state === S.rollback && !call.error && call.at >= signalAt,
  );
  return restored ? (restored.at - signalAt) / 1000 : undefined;
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
  const clock = new VirtualClock(start);
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
    const asked = classifyInput(options.input);
    for (const spec of options.faults ?? []) {
      const { fault, target } = parseFault(spec);
      // IAM drift is aimed at a function's role, whichever service it works on.
      if (target === undefined && !isDenyFault(spec) && asked.kind === 'release') {
        throw new Error(
          `fault "${spec}": a release deploys several services; aim the fault at one, e.g. ${spec}@${[...asked.images.keys()][0] ?? 'api'}`,
        );
      }
      fault.apply(target === undefined ? simulation.ctx : simulation.serviceContext(target));
    }
    options.setup?.(simulation.ctx);
    const promotions = options.promote ? promoteWaits(simulation.ctx, clock, deploymentTableName(config.pipeline), options.promote) : [];
    if (config.services.some((service) => service.smokeTest)) {
      smokeServer = await startSmokeServer(simulation.ctx);
      // The test listeners the smoke tests address answer from the local server, for the functions that can reach them.
      uninstallNetwork = installNetwork(
        config.services.flatMap((service) =>
          service.smokeTest
            ? [{ url: service.smokeTest.baseUrl, to: smokeServer?.baseUrl ?? '', latencyMs: () => simulation?.ctx.smoke.delayMs ?? 0 }]
            : [],
        ),
        (ms) => clock.elapse(ms),
      );
      // The smoke test measures real latency against a budget: load fetch (undici) and open a connection before
      // the first execution, so a check never pays the process's one-time start-up.
      await warmUp(smokeServer.baseUrl);
    }
    if (webhookSecretArn) webhookServer = await startWebhookServer(simulation.model, webhookSecretArn);
    return { simulation, logLines, start, close, webhook: webhookServer?.received ?? [], promotions };
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
  const { secretsProvider } = await import('../lambdas/shared/clients/secrets.ts');
  secretsProvider().clearCache();
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
    const initialScaling = simulation.model.scaling.summary();
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
    const restoreSeconds = signalToRestore(simulation);
    return {
      main,
      others: [...simulation.executions.values()].filter((e) => e !== main),
      initialListeners,
      initialScaling,
      scaling: simulation.model.scaling.summary(),
      simulatedSeconds: (Date.now() - start) / 1000,
      wallMs: Math.round(performance.now() - wallStart),
      model: simulation.model,
      apis: simulation.apis,
      logLines,
      webhook,
      backstop: simulation.delivery.backstop,
      lostStatusEvents: simulation.lostStatusEvents,
      sweeps: simulation.delivery.sweeps,
      iam: simulation.iam,
      functions: simulation.functions,
      promotions: open.promotions,
      ...(restoreSeconds !== undefined ? { signalToRestoreSeconds: restoreSeconds } : {}),
    };
  } finally {
    open.close();
  }
}

/** Collects the handlers' JSON log lines (Powertools writes them to stdout and stderr) instead of printing them. */
function captureLogs(lines: string[]): () => void {
  const restore = [process.stdout, process.stderr].map((stream) => {
    // The function itself, not a bound copy: restoring a copy would wrap the stream once more at every simulation.
    const original = stream.write;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{"')) {
        lines.push(...text.split('\n').filter(Boolean));
        return true;
      }
      return original.call(stream, chunk as string, ...(rest as []));
    }) as typeof stream.write;
    return () => {
      stream.write = original;
    };
  });
  return () => {
    for (const undo of restore) undo();
  };
}
