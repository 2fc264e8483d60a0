/**
 * The Application Load Balancer metrics of one target group for one minute,
 * as CloudWatch would report them: the requests its listeners send it (their
 * traffic times its share of their weights over that minute), the 5xx its
 * targets answer and their response time, with seeded noise (traffic-noise.ts)
 * and the degradation a fault gave the target group (drawMinute, which a
 * worker's own metrics share: worker-metrics.ts). Pure: the same account, the
 * same numbers, whatever was asked before.
 */
import type { AccountModel } from './model.ts';
import { DEFAULT_TRAFFIC } from './schema.ts';
import { binomial, normal, normalQuantile, poisson, randomFor } from './traffic-noise.ts';

export const MINUTE = 60_000;

/** How much a minute's response time varies around the configured one (the sigma of its logarithm). */
export const LATENCY_SIGMA = 0.1;

export interface MinuteMetrics {
  readonly requests: number;
  /** HTTPCode_Target_5XX_Count. */
  readonly errors: number;
  /** TargetResponseTime (a worker's duration) in seconds for a statistic ('Average' or 'p0'..'p100' exclusive); undefined without requests. */
  latencySeconds(stat: string): number | undefined;
}

/** The percentile a `pNN` statistic asks for, as a fraction (p99 -> 0.99, p99.9 -> 0.999); undefined for any other statistic. */
export function percentileOf(stat: string): number | undefined {
  const match = /^p(\d{1,2}(?:\.\d+)?)$/.exec(stat);
  // Rounded so that p99.9 is 0.999, not 0.9990000000000001.
  const value = match ? Number((Number(match[1]) / 100).toPrecision(12)) : undefined;
  return value !== undefined && value > 0 && value < 1 ? value : undefined;
}

/** True for a listener or rule of the load balancer `app/<name>/<id>` (a LoadBalancer dimension). */
function onLoadBalancer(listenerArn: string, loadBalancer: string): boolean {
  return listenerArn.includes(`:listener/${loadBalancer}/`) || listenerArn.includes(`:listener-rule/${loadBalancer}/`);
}

/**
 * What the listeners of the load balancer (undefined: of every load balancer) send the target group in the minute:
 * the mean count, and their rates weighted by it.
 */
function expected(model: AccountModel, targetGroupArn: string, loadBalancer: string | undefined, start: number) {
  let requests = 0;
  let errors = 0;
  let p50 = 0;
  let p99 = 0;
  for (const [arn, listener] of Object.entries(model.listeners)) {
    if (loadBalancer !== undefined && !onLoadBalancer(arn, loadBalancer)) continue;
    const traffic = listener.traffic ?? DEFAULT_TRAFFIC;
    const share = model.traffic.shareOver(arn, listener.forward, targetGroupArn, start, start + MINUTE);
    const mean = traffic.requestsPerSecond * model.traffic.loadAt(arn, start) * (MINUTE / 1000) * share;
    requests += mean;
    errors += mean * traffic.errorRate;
    p50 += mean * traffic.latencyMs.p50;
    p99 += mean * traffic.latencyMs.p99;
  }
  if (requests === 0) return { requests, errorRate: 0, p50Ms: 0, p99Ms: 0 };
  return { requests, errorRate: errors / requests, p50Ms: p50 / requests, p99Ms: p99 / requests };
}

/** The requests the listeners of the load balancer (undefined: all) send the target group in the minute from `start`, without noise. */
export function expectedRequests(model: AccountModel, targetGroupArn: string, loadBalancer: string | undefined, start: number): number {
  return expected(model, targetGroupArn, loadBalancer, start).requests;
}

/** What a minute is drawn around: the mean count, the share that fails, and the median and 99th percentile time of one. */
export interface MinuteMean {
  readonly requests: number;
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * The minute from `start` (epoch ms, on a minute) of `subject`, a target group or a worker's colour
 * (worker-metrics.ts). Requests are Poisson around the mean count, errors binomial among them (at the
 * degradation's rate once a fault gave `subject` one); times follow a lognormal with the mean's median and
 * 99th percentile, and each minute's is that distribution's percentile times a lognormal noise of sigma
 * LATENCY_SIGMA (the same noise for every statistic of the minute). The draws are keyed by the load
 * balancer's metric names whatever `subject` is: `subject` alone keeps them apart.
 */
export function drawMinute(model: AccountModel, subject: string, start: number, mean: MinuteMean): MinuteMetrics {
  const key = (metric: string) => `${model.traffic.seed}|${subject}|${metric}|${start}`;
  const degradation = model.traffic.degradationAt(subject, start);
  const requests = poisson(randomFor(key('RequestCount')), mean.requests);
  const errors = binomial(randomFor(key('HTTPCode_Target_5XX_Count')), requests, degradation.errorRate ?? mean.errorRate);
  const noise = Math.exp(LATENCY_SIGMA * normal(randomFor(key('TargetResponseTime'))));
  const scale = ((degradation.latencyFactor ?? 1) * noise) / 1000;
  // The spread of one request's time: its 99th percentile is p99.
  const sigma = Math.log(mean.p99Ms / mean.p50Ms) / normalQuantile(0.99);
  return {
    requests,
    errors,
    latencySeconds(stat) {
      if (requests === 0) return undefined;
      if (stat === 'Average') return mean.p50Ms * Math.exp((sigma * sigma) / 2) * scale;
      const q = percentileOf(stat);
      return q === undefined ? undefined : mean.p50Ms * Math.exp(sigma * normalQuantile(q)) * scale;
    },
  };
}

/** The target group's metrics for the minute from `start` (epoch ms, on a minute): what its listeners send it, drawn by drawMinute. */
export function minuteMetrics(model: AccountModel, targetGroupArn: string, loadBalancer: string, start: number): MinuteMetrics {
  return drawMinute(model, targetGroupArn, start, expected(model, targetGroupArn, loadBalancer, start));
}
