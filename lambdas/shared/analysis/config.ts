/**
 * `services[].analysis`: the new colour judged against the old one while both
 * take production traffic (judge.ts), from their target groups' metrics over
 * the same window (a worker's: its own metrics, per colour). Off unless configured.
 */
import * as z from 'zod';

export const LATENCY_PERCENTILES = ['p50', 'p90', 'p95', 'p99'] as const;

const MetricName = z.string().min(1).max(255);

/**
 * A worker's own CloudWatch metrics, published per colour: each datapoint
 * carries `dimension` with the ECS service name of the colour that did the
 * work (what an application reads from ECS's task metadata, or is given in
 * its environment).
 */
export const WorkerMetricsSchema = z.strictObject({
  namespace: z.string().min(1).max(255),
  /** The dimension whose value is the colour's ECS service name. */
  dimension: z.string().min(1).max(255).default('ServiceName'),
  /** Units of work done per minute (Sum): messages processed, jobs run. What `minRequests` counts for a worker. */
  processed: MetricName,
  /** Of those, the ones that failed (Sum): the error rate is failed / processed. */
  failed: MetricName,
  /**
   * The time each unit took, published as values (not statistic sets) so CloudWatch has its percentiles:
   * needed for `latency`.
   */
  duration: z.strictObject({ name: MetricName, unit: z.enum(['Milliseconds', 'Seconds']).default('Milliseconds') }).optional(),
});
export type WorkerMetrics = z.infer<typeof WorkerMetricsSchema>;

export const AnalysisSchema = z.strictObject({
  /** A worker's metrics (required for a worker, refused for a web service, which is judged on its target groups'). */
  metrics: WorkerMetricsSchema.optional(),
  /** The 5xx rate: worse when the new colour's is above the old one's plus `margin` (absolute: 0.005 is half a percentage point). */
  errorRate: z.strictObject({ margin: z.number().min(0).max(0.5).default(0.005) }).default({ margin: 0.005 }),
  /** A percentile of TargetResponseTime, minute by minute: worse when the new colour's is above the old one's by more than `marginPercent`. */
  latency: z
    .strictObject({
      percentile: z.enum(LATENCY_PERCENTILES).default('p99'),
      marginPercent: z.number().min(0).max(1000).default(10),
    })
    .optional(),
  /** How sure a test must be before it calls the new colour worse (one-sided). */
  confidence: z.number().min(0.8).max(0.999).default(0.95),
  /** Requests each colour must have served in the window before anything is decided. */
  minRequests: z.number().int().min(1).max(10_000_000).default(500),
  /**
   * When a step is due to end with fewer than minRequests on either side (no
   * decision before: a check mid-step with too few requests decides nothing):
   * "hold" keeps the step until there are enough (at most maxExtraHoldSeconds
   * beyond its pause, then the gate fails), "pass" lets it go on, "fail"
   * fails the gate.
   */
  lowTraffic: z.enum(['hold', 'pass', 'fail']).default('hold'),
  maxExtraHoldSeconds: z.number().int().min(0).max(86_400).default(1800),
  /** How far back a check looks: the current step since its weight was written, at most this long. */
  windowSeconds: z.number().int().min(120).max(86_400).default(3600),
});
export type AnalysisConfig = z.infer<typeof AnalysisSchema>;
