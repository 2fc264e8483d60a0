/**
 * Each traffic step's last judgement as the deployment record keeps it
 * (`analyses`): what the report and `baton status` show, with every number.
 */
import * as z from 'zod';
import type { Judgement } from './judge.ts';

export const AnalysisEntrySchema = z.object({
  /** The plan step (1-based) judged, and the new colour's weight during it. */
  step: z.number().int().min(1),
  weight: z.number(),
  at: z.string(),
  verdict: z.enum(['not-worse', 'worse', 'too-few-requests']),
  newRequests: z.number(),
  oldRequests: z.number(),
  errorRate: z.object({ newRate: z.number(), oldRate: z.number(), margin: z.number(), z: z.number(), pValue: z.number() }).optional(),
  latency: z
    .object({
      percentile: z.string(),
      marginPercent: z.number(),
      u: z.number(),
      pValue: z.number(),
      newMinutes: z.number(),
      oldMinutes: z.number(),
    })
    .optional(),
  /** The verdict and its numbers in a sentence. */
  words: z.string(),
});
export type AnalysisEntry = z.infer<typeof AnalysisEntrySchema>;

export function analysisEntry(step: number, weight: number, at: string, judgement: Judgement): AnalysisEntry {
  const { errorRate, latency } = judgement;
  return {
    step,
    weight,
    at,
    verdict: judgement.verdict,
    newRequests: judgement.newRequests,
    oldRequests: judgement.oldRequests,
    ...(errorRate
      ? {
          errorRate: {
            newRate: errorRate.newRate,
            oldRate: errorRate.oldRate,
            margin: errorRate.margin,
            z: errorRate.z,
            pValue: errorRate.pValue,
          },
        }
      : {}),
    ...(latency
      ? {
          latency: {
            percentile: latency.percentile,
            marginPercent: latency.marginPercent,
            u: latency.u,
            pValue: latency.pValue,
            newMinutes: latency.newMinutes,
            oldMinutes: latency.oldMinutes,
          },
        }
      : {}),
    words: judgement.words,
  };
}
