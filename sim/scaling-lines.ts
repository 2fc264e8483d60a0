/** The simulator's summary lines for Application Auto Scaling: each target before and after the run, and what the autoscaler did. */
import type { ScalingSummaryEntry } from './account/scaling.ts';
import type { SimulationResult } from './harness.ts';

function describe(entry: ScalingSummaryEntry | undefined): string {
  if (!entry) return 'not registered';
  const suspended = [entry.scaleInSuspended ? 'scale-in' : '', entry.scaleOutSuspended ? 'scale-out' : ''].filter(Boolean);
  return `min ${entry.min} max ${entry.max} desired ${entry.desiredCount}${suspended.length ? ` (${suspended.join(', ')} suspended)` : ''}`;
}

/** None for an account without scalable targets. */
export function scalingLines(result: SimulationResult): string[] {
  const resources = [...new Set([...Object.keys(result.initialScaling), ...Object.keys(result.scaling)])];
  const start = result.model.now - result.simulatedSeconds * 1000;
  return [
    ...resources.map(
      (resource) => `Scaling ${resource}: ${describe(result.initialScaling[resource])} -> ${describe(result.scaling[resource])}`,
    ),
    ...result.model.scaling.activities.map(
      (activity) =>
        `Autoscaler at +${Math.round((activity.at - start) / 1000)} s: ${activity.resourceId} ${activity.from} -> ${activity.to} (${activity.cause})`,
    ),
  ];
}
