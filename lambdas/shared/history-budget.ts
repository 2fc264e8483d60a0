/**
 * What one execution of the state machine costs in Step Functions history
 * events and in time, from the config alone, so a config whose gate loops
 * cannot finish inside one execution is refused at synth instead of failing
 * in production hours into a deployment.
 *
 * Step Functions fails an execution whose history reaches 25,000 events
 * (States.Runtime, "The execution reached the maximum number of history events
 * (25000)."; https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html)
 * and ends it TIMED_OUT at the state machine's TimeoutSeconds. The gate loops
 * (the traffic holds, the bake, the scale-down delay, the stability checks)
 * are each Lambda Task -> Choice, the Task watching inside its invocation for
 * up to MAX_WATCH_SECONDS (watch.ts): 7 events per invocation, whatever the
 * gate interval. sim/stepfunctions/history.ts counts them, and its test holds
 * WATCH_INVOCATION_HISTORY_EVENTS to that count.
 */
import type { z } from 'zod';
import type { PhaseName } from '../../lib/constructs/phases.ts';
import type { BatonConfig, ServiceConfig } from './config-schema.ts';
import { phaseSettings } from './config-schema.ts';
import { planSteps } from './strategy.ts';
import { MAX_WATCH_SECONDS, WATCH_MARGIN_SECONDS } from './time.ts';

/** Step Functions' quota of history events in one execution (a hard quota). */
export const HISTORY_EVENT_LIMIT = 25_000;
/** One invocation of a watching Task: TaskStateEntered, LambdaFunctionScheduled, Started, Succeeded, TaskStateExited (5), ChoiceStateEntered/Exited (2). */
export const WATCH_INVOCATION_HISTORY_EVENTS = 7;
/**
 * The events of one service's deployment outside its gate loops (request,
 * initialize, validate, prepare, deploy, verify, shift, complete, the
 * Choices between them; in a release also its Map iterations). The example's
 * successful run writes 58 (sim/stepfunctions/history.ts over its event log); 100 leaves
 * room for retries, the smoke test and the approval.
 */
const OTHER_STATES_HISTORY_EVENTS = 100;

const LIMIT_TEXT = `over Step Functions' ${HISTORY_EVENT_LIMIT.toLocaleString('en-US')}-event limit per execution`;
const count = (value: number) => value.toLocaleString('en-US');

/** Seconds one invocation of a watching phase watches, at most: its timeout less the watch's margin, up to MAX_WATCH_SECONDS. */
function watchSeconds(pipeline: Pick<BatonConfig['pipeline'], 'phases'>, phase: PhaseName): number {
  return Math.max(1, Math.min(phaseSettings(pipeline, phase).timeoutSeconds - WATCH_MARGIN_SECONDS, MAX_WATCH_SECONDS));
}

/** Invocations of a watch of `seconds` that watches up to `each` seconds per invocation (at least one). */
const invocationsOf = (seconds: number, each: number) => Math.max(1, Math.ceil(seconds / each));

export interface ServiceBudget {
  /** Invocations of Check bake (at least one, even for a bake of 0 s). */
  readonly bakeInvocations: number;
  /** Invocations of the scale-down watch, until the old colour is retired (at least one, even for 0 s). */
  readonly scaleDownInvocations: number;
  /** Invocations of Shift traffic: one per step, and those that watch the holds. */
  readonly holdInvocations: number;
  readonly holdSeconds: number;
  /** Invocations of Check stability, at most (until stabilityTimeoutSeconds). */
  readonly stabilityInvocations: number;
  /** History events of one deployment of the service, at most. */
  readonly events: number;
  /** Seconds one deployment of the service may take, at most, and what they are made of. */
  readonly seconds: number;
  readonly secondsTerms: ReadonlyArray<readonly [string, number]>;
}

export function serviceBudget(
  service: ServiceConfig,
  pipeline: Pick<BatonConfig['pipeline'], 'approvalTimeoutSeconds' | 'cacheWaitSeconds' | 'phases'>,
): ServiceBudget {
  const pauses = planSteps(service.strategy).map((step) => step.pauseSeconds);
  const bake = watchSeconds(pipeline, 'checkBake');
  const shift = watchSeconds(pipeline, 'shiftTraffic');
  const bakeInvocations = invocationsOf(service.bakeSeconds, bake);
  const scaleDownInvocations = invocationsOf(service.scaleDownDelaySeconds, bake);
  const holdInvocations = pauses.reduce((sum, pause) => sum + 1 + (pause > 0 ? Math.ceil(pause / shift) : 0), 0);
  const holdSeconds = pauses.reduce((sum, pause) => sum + pause, 0);
  const stabilityInvocations = invocationsOf(service.stabilityTimeoutSeconds, watchSeconds(pipeline, 'checkStability'));
  const secondsTerms: Array<readonly [string, number]> = [
    ['stability up to', service.stabilityTimeoutSeconds],
    ...(service.cache ? ([['cache waits up to', 2 * pipeline.cacheWaitSeconds]] as const) : []),
    ...(service.approval ? ([['approval up to', pipeline.approvalTimeoutSeconds]] as const) : []),
    ['holds', holdSeconds],
    ['bake', service.bakeSeconds],
    ['scale-down delay', service.scaleDownDelaySeconds],
  ];
  return {
    bakeInvocations,
    scaleDownInvocations,
    holdInvocations,
    holdSeconds,
    stabilityInvocations,
    events:
      (bakeInvocations + scaleDownInvocations + holdInvocations + stabilityInvocations) * WATCH_INVOCATION_HISTORY_EVENTS +
      OTHER_STATES_HISTORY_EVENTS,
    seconds: secondsTerms.reduce((sum, [, seconds]) => sum + seconds, 0),
    secondsTerms,
  };
}

/** How a strategy's holds add up, e.g. "linear 1 % every 86400 s holds 99 × 86400 s = 8,553,600 s". */
function describeHolds(strategy: ServiceConfig['strategy']): string {
  const pauses = planSteps(strategy)
    .map((step) => step.pauseSeconds)
    .filter((pause) => pause > 0);
  const total = count(pauses.reduce((sum, pause) => sum + pause, 0));
  switch (strategy.type) {
    case 'all-at-once':
      return 'all-at-once holds no traffic';
    case 'canary':
      return `canary ${strategy.percent} % holds ${total} s`;
    case 'linear':
      return `linear ${strategy.stepPercent} % every ${strategy.intervalSeconds} s holds ${pauses.length} × ${strategy.intervalSeconds} s = ${total} s`;
    case 'steps':
      return `steps hold ${pauses.map((pause) => `${pause} s`).join(' + ')} = ${total} s`;
  }
}

const describeSeconds = (terms: ReadonlyArray<readonly [string, number]>) =>
  terms.map(([what, seconds]) => `${what} ${seconds} s`).join(' + ');

/** The wave of each service in a release of all of them (dependencies first); undefined when dependsOn has a cycle (reported elsewhere). */
function wavesOf(services: readonly ServiceConfig[]): number[] | undefined {
  const byName = new Map(services.map((service) => [service.name, service]));
  const level = new Map<string, number>();
  const visit = (name: string, path: readonly string[]): number | undefined => {
    if (path.includes(name)) return undefined;
    const known = level.get(name);
    if (known !== undefined) return known;
    let wave = 0;
    for (const dependency of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dependency)) continue;
      const below = visit(dependency, [...path, name]);
      if (below === undefined) return undefined;
      wave = Math.max(wave, below + 1);
    }
    level.set(name, wave);
    return wave;
  };
  const waves = services.map((service) => visit(service.name, []));
  return waves.every((wave) => wave !== undefined) ? (waves as number[]) : undefined;
}

/**
 * Adds an issue for every service whose deployment cannot fit one execution
 * (history events or the execution timeout), and for a release of all the
 * services that cannot; each names the field and shows the arithmetic.
 */
export function checkExecutionBudget(config: BatonConfig, ctx: z.RefinementCtx): void {
  const { pipeline } = config;
  const timeout = pipeline.executionTimeoutSeconds;
  const budgets = config.services.map((service) => serviceBudget(service, pipeline));
  let serviceRefused = false;
  config.services.forEach((service, index) => {
    const budget = budgets[index];
    if (!budget) return;
    const refuse = (path: Array<string | number>, message: string) => {
      serviceRefused = true;
      ctx.addIssue({ code: 'custom', path: ['services', index, ...path], message });
    };
    if (budget.events > HISTORY_EVENT_LIMIT) {
      const invocations = budget.bakeInvocations + budget.scaleDownInvocations + budget.holdInvocations + budget.stabilityInvocations;
      refuse(
        ['strategy'],
        `one deployment writes up to ${count(budget.events)} history events, ${LIMIT_TEXT}: the strategy's ${planSteps(service.strategy).length} steps and holds take ${budget.holdInvocations} invocations of shiftTraffic, the bake ${budget.bakeInvocations} and the scale-down delay ${budget.scaleDownInvocations} of checkBake, the stability checks up to ${budget.stabilityInvocations}: ${invocations} invocations × ${WATCH_INVOCATION_HISTORY_EVENTS} history events + ${OTHER_STATES_HISTORY_EVENTS} for the other states`,
      );
    }
    if (budget.seconds > timeout) {
      const took = `one deployment may take ${count(budget.seconds)} s (${describeSeconds(budget.secondsTerms)})`;
      if (budget.holdSeconds > timeout) {
        refuse(
          ['strategy'],
          `${describeHolds(service.strategy)}, longer than the execution timeout of ${timeout} s (pipeline.executionTimeoutSeconds) on its own; ${took}`,
        );
      } else if (service.bakeSeconds > timeout) {
        refuse(
          ['bakeSeconds'],
          `${took}, longer than the state machine's execution timeout (pipeline.executionTimeoutSeconds ${timeout} s)`,
        );
      } else {
        serviceRefused = true;
        ctx.addIssue({
          code: 'custom',
          path: ['pipeline', 'executionTimeoutSeconds'],
          message: `${timeout} s is too short for services[${index}] (${service.name}): ${took}`,
        });
      }
    }
  });
  if (serviceRefused || config.services.length < 2) return;

  // A release of every service runs in one execution: their history adds up; the waves run one after the other.
  const events = budgets.reduce((sum, budget) => sum + budget.events, 0);
  if (events > HISTORY_EVENT_LIMIT) {
    ctx.addIssue({
      code: 'custom',
      path: ['services'],
      message: `a release of all ${config.services.length} services runs in one execution and writes up to ${budgets.map((budget) => count(budget.events)).join(' + ')} = ${count(events)} history events, ${LIMIT_TEXT}`,
    });
  }
  const waves = wavesOf(config.services);
  if (!waves) return;
  const waveCount = Math.max(...waves) + 1;
  const max = (values: number[]) => Math.max(0, ...values);
  const upToVerified = Array.from({ length: waveCount }, (_, wave) =>
    max(
      budgets.flatMap((budget, index) => {
        if (waves[index] !== wave) return [];
        const terms = budget.secondsTerms;
        return [terms.filter(([what]) => what.endsWith('up to')).reduce((sum, [, seconds]) => sum + seconds, 0)];
      }),
    ),
  );
  const holds = max(budgets.map((budget) => budget.holdSeconds));
  const bake = max(config.services.map((service) => service.bakeSeconds));
  const scaleDown = max(config.services.map((service) => service.scaleDownDelaySeconds));
  const seconds = upToVerified.reduce((sum, wave) => sum + wave, 0) + holds + bake + scaleDown;
  if (seconds > timeout) {
    ctx.addIssue({
      code: 'custom',
      path: ['pipeline', 'executionTimeoutSeconds'],
      message: `a release of all ${config.services.length} services may take ${count(seconds)} s (${upToVerified.map((wave, index) => `wave ${index + 1} up to ${wave} s`).join(' + ')} + holds ${holds} s + bake ${bake} s + scale-down delay ${scaleDown} s), longer than the state machine's execution timeout of ${timeout} s`,
    });
  }
}

/**
 * Why a strategy given in the execution input cannot fit one execution
 * (history events or the execution timeout), with the arithmetic; undefined
 * when it fits. The config's own strategies are checked at synth.
 */
export function requestStrategyProblem(
  service: ServiceConfig,
  pipeline: Pick<BatonConfig['pipeline'], 'approvalTimeoutSeconds' | 'cacheWaitSeconds' | 'executionTimeoutSeconds' | 'phases'>,
  strategy: ServiceConfig['strategy'],
): string | undefined {
  const budget = serviceBudget({ ...service, strategy }, pipeline);
  if (budget.events > HISTORY_EVENT_LIMIT) {
    return `strategy: holding traffic ${budget.holdSeconds} s at ${service.name}'s ${service.gateIntervalSeconds} s gate interval makes one deployment write up to ${count(budget.events)} history events, ${LIMIT_TEXT}`;
  }
  if (budget.seconds > pipeline.executionTimeoutSeconds) {
    return `strategy: one deployment of ${service.name} would take up to ${count(budget.seconds)} s (${describeSeconds(budget.secondsTerms)}), longer than the execution timeout of ${pipeline.executionTimeoutSeconds} s`;
  }
  return undefined;
}
