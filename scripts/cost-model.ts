/**
 * The arithmetic of `npm run cost` (scripts/cost.ts): fixed monthly and
 * per-deployment cost from the synthesized template and a simulated run.
 * Each item names what it counted, so the figures can be checked by hand.
 */
import type { BatonConfig } from '../lambdas/shared/config-schema.ts';
import { classifyInput } from '../lambdas/shared/execution-input.ts';
import type { AccountSpec } from '../sim/account/schema.ts';
import type { BoundDefinition } from '../sim/definition.ts';
import type { SimulationResult } from '../sim/harness.ts';

/** us-east-1 list prices, from AWS's pricing pages. */
export const PRICES = {
  asOf: 'as published in 2025; check the pages for today and your region',
  /** https://aws.amazon.com/step-functions/pricing/ (Standard workflows). */
  stateTransition: 0.025 / 1000,
  /** https://aws.amazon.com/lambda/pricing/ (requests; Arm duration, the functions run on arm64). */
  lambdaRequest: 0.2 / 1_000_000,
  lambdaGbSecondArm: 0.0000133334,
  /** https://aws.amazon.com/cloudwatch/pricing/ (standard-resolution alarm metric, dashboard, custom metric). */
  alarmMonth: 0.1,
  dashboardMonth: 3,
  customMetricMonth: 0.3,
  /** https://aws.amazon.com/kms/pricing/ (customer managed key). */
  kmsKeyMonth: 1,
  /** https://aws.amazon.com/fargate/pricing/ (Linux/x86). */
  fargateVcpuHour: 0.04048,
  fargateGbHour: 0.004445,
} as const;

/** What an invocation is billed for when nothing better is known: most phases take 0.1 to 0.5 s; 1 s errs high. */
export const ASSUMED_INVOCATION_SECONDS = 1;
const SECONDS_PER_MONTH = 30 * 24 * 3600;

export interface CostItem {
  readonly what: string;
  readonly usd: number;
}

export interface Cost {
  readonly monthly: { readonly items: CostItem[]; readonly totalUsd: number };
  readonly deployment: { readonly input: string; readonly items: CostItem[]; readonly totalUsd: number };
}

const total = (items: readonly CostItem[]) => items.reduce((sum, item) => sum + item.usd, 0);

/** Minutes between sweeps, from the template's schedule rule (`rate(5 minutes)`). */
function sweepMinutes(bound: BoundDefinition): number | undefined {
  for (const id of bound.resolver.resourcesOfType('AWS::Events::Rule')) {
    const schedule = bound.resolver.property(id, 'ScheduleExpression');
    const match = typeof schedule === 'string' ? /^rate\((\d+) minutes?\)$/.exec(schedule) : null;
    if (match?.[1]) return Number(match[1]);
  }
  return undefined;
}

function monthly(config: BatonConfig, bound: BoundDefinition, phasesRun: number): CostItem[] {
  const count = (type: string) => bound.resolver.resourcesOfType(type).length;
  const alarms = count('AWS::CloudWatch::Alarm');
  const dashboards = count('AWS::CloudWatch::Dashboard');
  const keys = count('AWS::KMS::Key');
  const items: CostItem[] = [
    { what: `${alarms} CloudWatch alarms`, usd: alarms * PRICES.alarmMonth },
    { what: `${dashboards} dashboard (the first 3 of an account are free)`, usd: dashboards * PRICES.dashboardMonth },
    { what: `${keys} KMS key (the outcomes topic's)`, usd: keys * PRICES.kmsKeyMonth },
  ];
  const minutes = sweepMinutes(bound);
  if (minutes !== undefined) {
    const invocations = Math.round(SECONDS_PER_MONTH / 60 / minutes);
    const gb = bound.functions.backstop.memorySize / 1024;
    items.push({
      what: `backstop sweep: ${invocations} invocations (every ${minutes} min)`,
      usd: invocations * (PRICES.lambdaRequest + gb * ASSUMED_INVOCATION_SECONDS * PRICES.lambdaGbSecondArm),
    });
  }
  // Per service, in a month it deploys: one count per outcome (7), the duration, each phase's duration, the weight of each colour.
  const metrics = config.services.length * (7 + 1 + phasesRun + 2);
  items.push({ what: `${metrics} custom metrics, in a month with deployments`, usd: metrics * PRICES.customMetricMonth });
  return items;
}

function vcpuAndGb(account: AccountSpec, family: string): { vcpu: number; gb: number } {
  const definitions = account.ecs.taskDefinitions.filter((definition) => definition.family === family);
  const latest = definitions[definitions.length - 1];
  return { vcpu: Number(latest?.cpu ?? 256) / 1024, gb: Number(latest?.memory ?? 512) / 1024 };
}

function perDeployment(
  config: BatonConfig,
  account: AccountSpec,
  bound: BoundDefinition,
  result: SimulationResult,
  input: string,
): CostItem[] {
  const run = result.main;
  // Each Task's invocation is billed for as long as it ran: a watching phase (check bake, a hold) waits inside its
  // invocation, up to 840 s; the others take well under a second, so ASSUMED_INVOCATION_SECONDS errs high for them.
  let invocations = 0;
  let gbSeconds = 0;
  const entered = new Map<string, number[]>();
  const bill = (name: string, seconds: number) => {
    const fn = bound.bindings.get(name);
    if (!fn) return;
    invocations += 1;
    gbSeconds += (fn.memorySize / 1024) * Math.max(ASSUMED_INVOCATION_SECONDS, seconds);
  };
  for (const event of run.events) {
    const name = event.state?.name;
    if (!name || !bound.bindings.has(name)) continue;
    if (event.type === 'StateEntered' || event.type === 'StateRetried') {
      entered.set(name, [...(entered.get(name) ?? []), event.timestamp]);
    } else if (event.type === 'StateExited') {
      const started = entered.get(name)?.shift();
      if (started !== undefined) bill(name, (event.timestamp - started) / 1000);
    }
  }
  // A Task that failed (or was retried) has no exit: billed as assumed.
  for (const [name, starts] of entered) for (const _start of starts) bill(name, 0);
  // The first Deploy of the run (a release deploys its services from states inside its Map iterations).
  const deployedAt = run.events.find(
    (event) => event.type === 'StateEntered' && event.state !== undefined && bound.bindings.get(event.state.name)?.phase === 'deploy',
  )?.timestamp;
  const endedAt = run.events[run.events.length - 1]?.timestamp;
  const bothHours = deployedAt !== undefined && endedAt !== undefined ? (endedAt - deployedAt) / 3_600_000 : 0;
  const items: CostItem[] = [
    { what: `${run.transitions} state transitions`, usd: run.transitions * PRICES.stateTransition },
    {
      what: `${invocations} Lambda invocations, ${gbSeconds.toFixed(1)} GB-s (as long as each ran, at least ${ASSUMED_INVOCATION_SECONDS} s)`,
      usd: invocations * PRICES.lambdaRequest + gbSeconds * PRICES.lambdaGbSecondArm,
    },
  ];
  // Only the services the input deploys run twice; the live colour is the one of the pair that has tasks.
  const deployed = classifyInput(JSON.parse(input)).images;
  for (const service of config.services.filter((candidate) => deployed.has(candidate.name))) {
    const colours = account.ecs.clusters[service.cluster]?.services ?? {};
    const tasks = Math.max(colours[service.blue.serviceName]?.desiredCount ?? 0, colours[service.green.serviceName]?.desiredCount ?? 0);
    const { vcpu, gb } = vcpuAndGb(account, service.taskDefinitionFamily);
    items.push({
      what: `${service.name}: ${tasks} more tasks (${vcpu} vCPU, ${gb} GB) for ${(bothHours * 60).toFixed(1)} min`,
      usd: tasks * bothHours * (vcpu * PRICES.fargateVcpuHour + gb * PRICES.fargateGbHour),
    });
  }
  return items;
}

export function costOf(config: BatonConfig, account: AccountSpec, bound: BoundDefinition, result: SimulationResult, input: string): Cost {
  const phasesRun = new Set(
    result.main.events.flatMap((event) => (event.state ? [bound.bindings.get(event.state.name)?.phase] : [])).filter(Boolean),
  ).size;
  const monthlyItems = monthly(config, bound, phasesRun);
  const deploymentItems = perDeployment(config, account, bound, result, input);
  return {
    monthly: { items: monthlyItems, totalUsd: total(monthlyItems) },
    deployment: { input: JSON.stringify(JSON.parse(input)), items: deploymentItems, totalUsd: total(deploymentItems) },
  };
}
