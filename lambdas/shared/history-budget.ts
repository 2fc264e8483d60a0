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
 * are each Wait -> Lambda Task -> Choice and write 9 events per poll: sim/stepfunctions/history.ts
 * counts them, and its test holds GATE_POLL_HISTORY_EVENTS to that count.
 */
import type { z } from 'zod';
import type { BatonConfig, ServiceConfig } from './config-schema.ts';
import { planSteps } from './strategy.ts';
import { STABILITY_POLL_SECONDS } from './time.ts';

/** Step Functions' quota of history events in one execution (a hard quota). */
export const HISTORY_EVENT_LIMIT = 25_000;
/** One gate poll: WaitStateEntered/Exited (2), a Lambda Task (TaskStateEntered, LambdaFunctionScheduled, Started, Succeeded, TaskStateExited: 5), ChoiceStateEntered/Exited (2). */
export const GATE_POLL_HISTORY_EVENTS = 9;
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

/** Gate polls of a hold of `seconds` at `interval`: every `interval` seconds (the last one shorter) until it is over. */
const pollsOf = (seconds: number, interval: number) => Math.ceil(seconds / interval);

export interface ServiceBudget {
  /** Polls of the bake loop (at least one, even for a bake of 0 s). */
  readonly bakePolls: number;
  /** Polls of the scale-down wait, the gates watched until the old colour is retired (at least one, even for 0 s). */
  readonly scaleDownPolls: number;
  /** Polls of the traffic loop while the strategy's steps hold. */
  readonly holdPolls: number;
  readonly holdSeconds: number;
  /** Polls of the stability loop, at most (until stabilityTimeoutSeconds). */
  readonly stabilityPolls: number;
  /** History events of one deployment of the service, at most. */
  readonly events: number;
  /** Seconds one deployment of the service may take, at most, and what they are made of. */
  readonly seconds: number;
  readonly secondsTerms: ReadonlyArray<readonly [string, number]>;
}

export function serviceBudget(
  service: ServiceConfig,
  pipeline: Pick<BatonConfig['pipeline'], 'approvalTimeoutSeconds' | 'cacheWaitSeconds'>,
): ServiceBudget {
  const interval = service.gateIntervalSeconds;
  const pauses = planSteps(service.strategy).map((step) => step.pauseSeconds);
  const bakePolls = Math.max(1, pollsOf(service.bakeSeconds, interval));
  const scaleDownPolls = Math.max(1, pollsOf(service.scaleDownDelaySeconds, interval));
  const holdPolls = pauses.reduce((sum, pause) => sum + pollsOf(pause, interval), 0);
  const holdSeconds = pauses.reduce((sum, pause) => sum + pause, 0);
  const stabilityPolls = pollsOf(service.stabilityTimeoutSeconds, STABILITY_POLL_SECONDS);
  const secondsTerms: Array<readonly [string, number]> = [
    ['stability up to', service.stabilityTimeoutSeconds],
    ...(service.cache ? ([['cache waits up to', 2 * pipeline.cacheWaitSeconds]] as const) : []),
    ...(service.approval ? ([['approval up to', pipeline.approvalTimeoutSeconds]] as const) : []),
    ['holds', holdSeconds],
    ['bake', service.bakeSeconds],
    ['scale-down delay', service.scaleDownDelaySeconds],
  ];
  return {
    bakePolls,
    scaleDownPolls,
    holdPolls,
    holdSeconds,
    stabilityPolls,
    events: (bakePolls + scaleDownPolls + holdPolls + stabilityPolls) * GATE_POLL_HISTORY_EVENTS + OTHER_STATES_HISTORY_EVENTS,
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
    const interval = service.gateIntervalSeconds;
    const bakeEvents = budget.bakePolls * GATE_POLL_HISTORY_EVENTS;
    const holdEvents = budget.holdPolls * GATE_POLL_HISTORY_EVENTS;
    const scaleDownEvents = budget.scaleDownPolls * GATE_POLL_HISTORY_EVENTS;
    const refuse = (path: Array<string | number>, message: string) => {
      serviceRefused = true;
      ctx.addIssue({ code: 'custom', path: ['services', index, ...path], message });
    };
    if (bakeEvents > HISTORY_EVENT_LIMIT) {
      refuse(
        ['bakeSeconds'],
        `a bake of ${service.bakeSeconds} s at a ${interval} s gate interval is ${budget.bakePolls} polls × ${GATE_POLL_HISTORY_EVENTS} history events = ${count(bakeEvents)}, ${LIMIT_TEXT}`,
      );
    } else if (scaleDownEvents > HISTORY_EVENT_LIMIT) {
      refuse(
        ['scaleDownDelaySeconds'],
        `a scale-down delay of ${service.scaleDownDelaySeconds} s, gates checked every ${interval} s, is ${budget.scaleDownPolls} polls × ${GATE_POLL_HISTORY_EVENTS} history events = ${count(scaleDownEvents)}, ${LIMIT_TEXT}`,
      );
    } else if (holdEvents > HISTORY_EVENT_LIMIT) {
      refuse(
        ['strategy'],
        `the strategy holds traffic ${budget.holdSeconds} s in all; at a ${interval} s gate interval that is ${budget.holdPolls} polls × ${GATE_POLL_HISTORY_EVENTS} history events = ${count(holdEvents)}, ${LIMIT_TEXT}`,
      );
    } else if (budget.events > HISTORY_EVENT_LIMIT) {
      const polls = budget.bakePolls + budget.scaleDownPolls + budget.holdPolls + budget.stabilityPolls;
      refuse(
        ['gateIntervalSeconds'],
        `one deployment writes up to ${count(budget.events)} history events, ${LIMIT_TEXT}: at a ${interval} s gate interval the bake is ${budget.bakePolls} polls, the scale-down delay ${budget.scaleDownPolls} and the holds ${budget.holdPolls}, with up to ${budget.stabilityPolls} stability polls (every ${STABILITY_POLL_SECONDS} s for ${service.stabilityTimeoutSeconds} s): ${polls} polls × ${GATE_POLL_HISTORY_EVENTS} history events + ${OTHER_STATES_HISTORY_EVENTS} for the other states`,
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
  pipeline: Pick<BatonConfig['pipeline'], 'approvalTimeoutSeconds' | 'cacheWaitSeconds' | 'executionTimeoutSeconds'>,
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
