/**
 * The analysis as a gate of a traffic step (services[].analysis): while both
 * colours take production traffic, the new colour's target group against the
 * old one's, over the current step since its weight was written (whole
 * minutes, at most windowSeconds back). Nothing to judge before the first
 * step, at 100 % (the old colour takes none) or without an analysis.
 */
import type { VerifiedState } from '../stages.ts';
import { type Judgement, judge } from './judge.ts';
import { colourTraffic, PERIOD_SECONDS } from './metrics.ts';

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
          newTargetGroupArn: state.idle.targetGroupArn,
          oldTargetGroupArn: state.live.targetGroupArn,
          listenerArn: state.service.productionListenerArn,
          percentile: config.latency?.percentile ?? 'p99',
          from: new Date(from),
          to: new Date(to),
        })
      : { newer: empty, older: empty };
  return judge(traffic.newer, traffic.older, config);
}

/** The gate's failures for a judgement: the new colour is worse, or there are too few requests and lowTraffic is "fail". */
export function analysisFailures(state: VerifiedState, judgement: Judgement | undefined): string[] {
  if (!judgement) return [];
  if (judgement.verdict === 'worse') return [judgement.words];
  if (judgement.verdict === 'too-few-requests' && state.service.analysis?.lowTraffic === 'fail') return [judgement.words];
  return [];
}
