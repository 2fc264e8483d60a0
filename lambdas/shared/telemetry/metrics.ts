/**
 * Deployment metrics as CloudWatch embedded metric format (Powertools
 * Metrics): written to the function's log, no API call. Namespace `Baton`,
 * dimension `service` (the deployed service), plus `phase` for phase
 * durations and `colour` for traffic weights. The dashboard and the alarms of the stack read these names.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Colour, TerminalStatus } from '../contract.ts';

export const METRICS_NAMESPACE = 'Baton';

/** One count metric per terminal outcome. */
export const OUTCOME_METRICS: Record<TerminalStatus, string> = {
  SUCCEEDED: 'DeploymentSucceeded',
  ROLLED_BACK: 'DeploymentRolledBack',
  ROLLBACK_FAILED: 'DeploymentRollbackFailed',
  REJECTED: 'DeploymentRejected',
  DUPLICATE: 'DeploymentDuplicate',
  SUPERSEDED: 'DeploymentSuperseded',
  QUEUED: 'DeploymentQueued',
};
export const DEPLOYMENT_DURATION = 'DeploymentDuration';
export const PHASE_DURATION = 'PhaseDuration';
/** Percent of production traffic on a colour, after each production weight write. */
export const TRAFFIC_WEIGHT = 'TrafficWeight';

function emit(service: string, deploymentId: string, add: (metrics: Metrics) => void): void {
  // The default `service` dimension is the deployed service, not the pipeline.
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  metrics.addMetadata('deploymentId', deploymentId);
  add(metrics);
  metrics.publishStoredMetrics();
}

export function phaseFinished(service: string, deploymentId: string, phase: string, seconds: number): void {
  emit(service, deploymentId, (metrics) => {
    metrics.addDimension('phase', phase);
    metrics.addMetric(PHASE_DURATION, MetricUnit.Seconds, seconds);
  });
}

export function deploymentFinished(service: string, deploymentId: string, status: TerminalStatus, seconds: number): void {
  emit(service, deploymentId, (metrics) => {
    metrics.addMetric(OUTCOME_METRICS[status], MetricUnit.Count, 1);
    metrics.addMetric(DEPLOYMENT_DURATION, MetricUnit.Seconds, seconds);
  });
}

/** Both colours' weights, one datapoint each, so a graph of a weight change shows both lines move. */
export function trafficWeightChanged(service: string, deploymentId: string, weights: Readonly<Record<Colour, number>>): void {
  for (const colour of ['blue', 'green'] as const satisfies readonly Colour[]) {
    emit(service, deploymentId, (metrics) => {
      metrics.addDimension('colour', colour);
      metrics.addMetric(TRAFFIC_WEIGHT, MetricUnit.Percent, weights[colour]);
    });
  }
}

/** One count metric per release verdict, and the release's duration; dimension `service` is "release". */
export const RELEASE_OUTCOME_METRICS: Record<'SUCCEEDED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'REJECTED', string> = {
  SUCCEEDED: 'ReleaseSucceeded',
  ROLLED_BACK: 'ReleaseRolledBack',
  ROLLBACK_FAILED: 'ReleaseRollbackFailed',
  REJECTED: 'ReleaseRejected',
};
const RELEASE_DURATION = 'ReleaseDuration';
/** The value of the `service` dimension of release metrics. */
export const RELEASE_DIMENSION = 'release';

export function releaseFinished(releaseId: string, status: keyof typeof RELEASE_OUTCOME_METRICS, seconds: number): void {
  emit(RELEASE_DIMENSION, releaseId, (metrics) => {
    metrics.addMetric(RELEASE_OUTCOME_METRICS[status], MetricUnit.Count, 1);
    metrics.addMetric(RELEASE_DURATION, MetricUnit.Seconds, seconds);
  });
}

/** The value of the `service` dimension of metrics about the pipeline itself rather than one service. */
export const PIPELINE_DIMENSION = 'pipeline';
/**
 * An execution that failed without recording its outcome: an error no Catch
 * handles (States.Runtime, a bad payload path), so a fault of Baton's rather
 * than of the deployment. The backstop counts it as it starts the recovery.
 */
export const FAILED_WITHOUT_OUTCOME = 'ExecutionFailedWithoutOutcome';

export function failedWithoutOutcome(deploymentId: string): void {
  emit(PIPELINE_DIMENSION, deploymentId, (metrics) => metrics.addMetric(FAILED_WITHOUT_OUTCOME, MetricUnit.Count, 1));
}
