/**
 * The analysis as a gate of a traffic step (services[].analysis): while both
 * colours take production traffic, the new colour's target group against the
 * old one's, over the current step since its weight was written (whole
 * minutes, at most windowSeconds back). Nothing to judge before the first
 * step, at 100 % (the old colour takes none) or without an analysis.
 */

import type { ColourState } from '../contract.ts';
import { productionListenerOf, targetGroupOf } from '../service-resources.ts';
import type { VerifiedState } from '../stages.ts';
import { planSteps } from '../strategy.ts';
import { type Judgement, judge, type Nouns, WEB_NOUNS } from './judge.ts';
import { type ColourMetrics, colourTraffic, PERIOD_SECONDS, targetGroupMetrics, workerColourMetrics } from './metrics.ts';

const MINUTE_MS = PERIOD_SECONDS * 1000;

/** The current step's judgement; undefined when there is nothing to judge. */
export async function judgeStep(state: VerifiedState): Promise<Judgement | undefined> {
  const config = state.service.analysis;
  const { weight, heldSince } = state.traffic;
  if (!config || weight <= 0 || weight >= 100 || !heldSince) return undefined;
  const now = Date.now();
  // Whole minutes only: the one the weight was written in mixes two splits, the current one is not over.
  const from =
    Math.max(Math.ceil(Date.parse(heldSince) / MINUTE_MS), Math.ceil((now - config.windowSeconds * 1000) / MINUTE_MS)) * MINUTE_MS;
  const to = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const empty = { requests: 0, errors: 0, latencyMs: [] };
  const traffic =
    to > from
      ? await colourTraffic({
          newer: metricsOf(state, state.idle),
          older: metricsOf(state, state.live),
          percentile: config.latency?.percentile ?? 'p99',
          from: new Date(from),
          to: new Date(to),
        })
      : { newer: empty, older: empty };
  return judge(traffic.newer, traffic.older, config, looksAt(state), nounsOf(state));
}

/** A colour's metrics: its target group's (web), or those the worker publishes for it. */
function metricsOf(state: VerifiedState, colour: ColourState): ColourMetrics {
  const metrics = state.service.analysis?.metrics;
  if (metrics) return workerColourMetrics(metrics, colour.serviceName);
  return targetGroupMetrics(targetGroupOf(colour), productionListenerOf(state.service));
}

/** What the judgement calls the work and its errors: requests and the 5xx rate, or the worker's metrics. */
function nounsOf(state: VerifiedState): Nouns {
  const metrics = state.service.analysis?.metrics;
  return metrics ? { requests: metrics.processed, errorRate: `${metrics.failed} rate` } : WEB_NOUNS;
}

/**
 * The checks one window of a step sees (each tests the step's data again:
 * judge.ts perLookConfidence): the window, or the step's pause and the
 * longest it may be held for requests when that is shorter, over the gate
 * interval, and the check at its start.
 */
export function looksAt(state: VerifiedState): number {
  const config = state.service.analysis;
  const pause = planSteps(state.strategy)[state.traffic.nextStep - 1]?.pauseSeconds ?? 0;
  const horizon = pause + (config?.lowTraffic === 'hold' ? config.maxExtraHoldSeconds : 0);
  return Math.ceil(Math.min(config?.windowSeconds ?? horizon, horizon) / state.service.gateIntervalSeconds) + 1;
}

/** The gate's failures for a judgement: the new colour is worse. Too few requests decide nothing until the step is due to end. */
export function analysisFailures(judgement: Judgement | undefined): string[] {
  return judgement?.verdict === 'worse' ? [judgement.words] : [];
}
