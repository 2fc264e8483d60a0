/**
 * What the workflow tests of test/workflow/records/ share: the main
 * execution of a simulated run (deploy-1, on the simulated day), the texts its
 * outcome states, the phases a successful deployment records, and readers of
 * the phases and events a run left.
 */
import type { PhaseRun } from '../../lambdas/shared/telemetry/phase-runs.ts';
import type { SimulationResult } from '../../sim/harness.ts';
import { record } from './simulation.ts';

/** The main execution of a simulated run. */
export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:deploy-1';
export const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`;
export const SUCCESS_REASON = 'v1.4.2 live on green (web-green) after a 300 s bake';
export const BAKE_ALARM =
  'gate failed during the bake of green at 100 %: alarm web-5xx-rate is ALARM (Threshold Crossed: 3 datapoints were greater than the threshold (5.0).)';
/** The phases of a successful deployment, in the order they first run. */
export const PHASES = [
  'initialize',
  'validate',
  'prepare',
  'deploy',
  'checkStability',
  'verify',
  'smokeTest',
  'shiftTraffic',
  'checkBake',
  'complete',
];

/** 2026-11-23 (the simulated day) at `time` UTC (`HH:MM:SS`, or `HH:MM:SS.mmm` with the latencies of sim/stepfunctions/latency.ts). */
export function at(time: string): string {
  return `2026-11-23T${time}${time.includes('.') ? '' : '.000'}Z`;
}

/** The phase entries of an execution's record (the main execution's by default). */
export function phasesOf(result: SimulationResult, execution = result.main.name): Record<string, PhaseRun> {
  return (record(result, execution)?.phases ?? {}) as Record<string, PhaseRun>;
}

/** [detail-type, phase, status] of every EventBridge event, in publishing order. */
export function eventSummary(result: SimulationResult): Array<[string, unknown, unknown]> {
  return result.model.events.map((event) => [event.detailType, event.detail.phase, event.detail.status]);
}
