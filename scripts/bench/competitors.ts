/**
 * The same figures for ECS built-in blue/green deployments, CodeDeploy's
 * predefined ECS deployment configurations and Flagger, computed from their
 * DOCUMENTED defaults only. Every number below has the page it comes from and
 * the words that say it; where the documentation gives no number (how often
 * ECS and CodeDeploy read an alarm), the cell says so instead of guessing.
 */

/** A competitor's cell: what the table shows, and the footnote that explains it. */
export interface CompetitorCell {
  readonly text: string;
  readonly note: string;
}

export type Competitor = 'ecs' | 'codedeploy' | 'flagger';
export const COMPETITOR_LABELS: Readonly<Record<Competitor, string>> = {
  ecs: 'ECS built-in blue/green',
  codedeploy: 'CodeDeploy (predefined ECS configs)',
  flagger: 'Flagger',
};

/** Amazon ECS deployment controller, strategies BLUE_GREEN, LINEAR and CANARY (2025). */
export const ECS = {
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html
  // canaryPercent: "The default value is 5.0."; canaryBakeTimeInMinutes: "Valid values are 0 to 1440 minutes (24 hours). The default value is 10."
  canaryPercent: 5,
  canaryBakeMinutes: 10,
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html
  // stepPercent: "The default value is 10.0."; stepBakeTimeInMinutes: "The default value is 6. This bake time is not applied after reaching 100 percent traffic."
  linearStepPercent: 10,
  linearStepBakeMinutes: 6,
  // BLUE_GREEN shifts all traffic at once and has no default bake: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html,
  // bakeTimeInMinutes: "You must provide this parameter when you use the BLUE_GREEN deployment strategy."
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html
  // "Monitor application health, performance metrics, and alarm states during the bake time period. A rollback operation is initiated when issues are detected."
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html
  // "You can configure Amazon ECS to set the deployment to failed when it detects that a specified CloudWatch alarm has gone into the ALARM state."
  // Neither page (nor the API reference) says how often ECS reads the alarms: no number to compute from.
} as const;

/** A CodeDeploy predefined ECS configuration: the first shift, then `stepPercent` more every `intervalMinutes`. */
export interface CodeDeployConfig {
  readonly name: string;
  readonly firstPercent: number;
  readonly stepPercent: number;
  readonly intervalMinutes: number;
}

/**
 * https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
 * ("Predefined deployment configurations for an Amazon ECS compute platform": CodeDeployDefault.ECSAllAtOnce,
 * CodeDeployDefault.ECSLinear10PercentEvery1Minutes, CodeDeployDefault.ECSLinear10PercentEvery3Minutes,
 * CodeDeployDefault.ECSCanary10Percent5Minutes, CodeDeployDefault.ECSCanary10Percent15Minutes; the name is the plan:
 * a canary shifts its percentage, then the rest after the minutes; a linear one the percentage every interval).
 */
export const CODEDEPLOY_CONFIGS: readonly CodeDeployConfig[] = [
  { name: 'CodeDeployDefault.ECSAllAtOnce', firstPercent: 100, stepPercent: 0, intervalMinutes: 0 },
  { name: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes', firstPercent: 10, stepPercent: 10, intervalMinutes: 1 },
  { name: 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes', firstPercent: 10, stepPercent: 10, intervalMinutes: 3 },
  { name: 'CodeDeployDefault.ECSCanary10Percent5Minutes', firstPercent: 10, stepPercent: 90, intervalMinutes: 5 },
  { name: 'CodeDeployDefault.ECSCanary10Percent15Minutes', firstPercent: 10, stepPercent: 90, intervalMinutes: 15 },
];
// CodeDeploy's alarm-based rollback, https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html:
// "If any of the specified alarms are activated, the deployment stops, and the status is updated to Stopped."
// https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-groups-configure-advanced-options.html:
// "You can configure a deployment to stop when an Amazon CloudWatch alarm detects that a metric has fallen below or exceeded a defined threshold."
// Neither says how often CodeDeploy reads the alarms.

/** Flagger's canary analysis defaults. */
export const FLAGGER = {
  // https://docs.flagger.app/usage/how-it-works ("Canary analysis"): "# schedule interval (default 60s)"
  // https://github.com/fluxcd/flagger/blob/main/pkg/apis/flagger/v1beta1/canary.go: "AnalysisInterval = 60 * time.Second"
  intervalSeconds: 60,
  // https://github.com/fluxcd/flagger/blob/main/pkg/apis/flagger/v1beta1/canary.go:
  // "// GetAnalysisThreshold returns the canary threshold (default 1)"
  threshold: 1,
  // https://docs.flagger.app/usage/deployment-strategies: the example sets "threshold: 10" ("# max number of failed metric checks before rollback")
  exampleThreshold: 10,
  // https://github.com/fluxcd/flagger/blob/main/pkg/controller/scheduler.go: "// set max weight default value to total weight" (100)
  maxWeight: 100,
  // stepWeight has no default (scheduler.go nextStepWeight returns the spec's value). The docs' example,
  // https://docs.flagger.app/usage/deployment-strategies: "maxWeight: 50", "stepWeight: 2", and "The above analysis, if it
  // succeeds, will run for 25 minutes" ("interval * (maxWeight / stepWeight)").
  exampleMaxWeight: 50,
  exampleStepWeight: 2,
  // https://docs.flagger.app/usage/deployment-strategies: "And the time it takes for a canary to be rollback when the
  // metrics or webhook checks are failing: interval * threshold"
} as const;

/** Minutes from a configuration's first traffic shift to 100 % on the new task set. */
export function minutesToFullShift(config: CodeDeployConfig): number {
  if (config.firstPercent >= 100 || config.stepPercent <= 0) return 0;
  return Math.ceil((100 - config.firstPercent) / config.stepPercent) * config.intervalMinutes;
}

/** Minutes for ECS's default LINEAR strategy to reach 100 %: the step bake after every step but the last. */
export function ecsLinearMinutesToFullShift(
  stepPercent: number = ECS.linearStepPercent,
  stepBakeMinutes: number = ECS.linearStepBakeMinutes,
): number {
  return (Math.ceil(100 / stepPercent) - 1) * stepBakeMinutes;
}

/**
 * Seconds from a metric going bad to Flagger routing traffic back to the primary:
 * the next analysis run comes 0 to `interval` later, and the rollback follows the
 * `threshold`-th failed check ("interval * threshold" at most).
 */
export function flaggerRestoreSeconds(intervalSeconds: number, threshold: number): { min: number; max: number } {
  return { min: (threshold - 1) * intervalSeconds, max: threshold * intervalSeconds };
}

/** Minutes Flagger's analysis takes to promote: "interval * (maxWeight / stepWeight)". */
export function flaggerPromotionMinutes(
  intervalSeconds: number = FLAGGER.intervalSeconds,
  maxWeight: number = FLAGGER.exampleMaxWeight,
  stepWeight: number = FLAGGER.exampleStepWeight,
): number {
  return (intervalSeconds * (maxWeight / stepWeight)) / 60;
}

const range = ({ min, max }: { min: number; max: number }) => (min === max ? `${max} s` : `${min}-${max} s`);

const NO_HISTORY: CompetitorCell = {
  text: 'n/a',
  note: 'ECS, CodeDeploy and Flagger keep no Step Functions history: their controllers hold a bake or a step themselves, with no per-execution event quota.',
};
const NO_RELEASE: CompetitorCell = {
  text: 'n/a',
  note: 'ECS, CodeDeploy and Flagger deploy one service (or one Kubernetes workload) at a time; a release of several services in order is the caller’s to orchestrate.',
};
const NO_LOCAL_LOOP: CompetitorCell = {
  text: 'n/a',
  note: 'A figure of Baton’s own development loop; ECS and CodeDeploy are managed services and Flagger a prebuilt controller, with nothing to synthesize, bundle or simulate.',
};

/** The competitor cells of one row of the table, by figure. */
export function competitorCells(figure: string): Record<Competitor, CompetitorCell> {
  switch (figure) {
    case 'longBake':
      return { ecs: NO_HISTORY, codedeploy: NO_HISTORY, flagger: NO_HISTORY };
    case 'release20':
      return { ecs: NO_RELEASE, codedeploy: NO_RELEASE, flagger: NO_RELEASE };
    case 'alarmToRestore': {
      const byDefault = flaggerRestoreSeconds(FLAGGER.intervalSeconds, FLAGGER.threshold);
      const byExample = flaggerRestoreSeconds(FLAGGER.intervalSeconds, FLAGGER.exampleThreshold);
      return {
        ecs: {
          text: 'not documented',
          note: 'ECS monitors the alarms during the bake and rolls back when one is in ALARM, but documents no polling period: the delay cannot be computed from its documentation.',
        },
        codedeploy: {
          text: 'not documented',
          note: 'CodeDeploy stops and rolls back a deployment whose alarm is activated, but documents no polling period; the predefined configurations do not change that.',
        },
        flagger: {
          text: range(byDefault),
          note: `Flagger checks the metrics every interval (default ${FLAGGER.intervalSeconds} s) and rolls back after threshold failed checks (default ${FLAGGER.threshold}): the next check comes 0-${FLAGGER.intervalSeconds} s after the metric goes bad. With its docs' example threshold of ${FLAGGER.exampleThreshold}, interval * threshold gives ${range(byExample)}.`,
        },
      };
    }
    case 'transitions': {
      const codedeploy = CODEDEPLOY_CONFIGS.map(
        (config) => `${config.name.replace('CodeDeployDefault.', '')} ${minutesToFullShift(config)} min`,
      );
      return {
        ecs: {
          text: 'n/a',
          note: `No state machine: the ECS deployment controller runs the lifecycle stages itself. Its defaults reach 100 % after ${ECS.canaryBakeMinutes} min (CANARY ${ECS.canaryPercent} %) or ${ecsLinearMinutesToFullShift()} min (LINEAR ${ECS.linearStepPercent} % every ${ECS.linearStepBakeMinutes} min).`,
        },
        codedeploy: {
          text: 'n/a',
          note: `No state machine: CodeDeploy runs lifecycle events, not billed transitions. Its predefined ECS configurations reach 100 % after: ${codedeploy.join(', ')}.`,
        },
        flagger: {
          text: 'n/a',
          note: `No state machine: a Kubernetes controller runs the analysis every ${FLAGGER.intervalSeconds} s; with the docs' example (stepWeight ${FLAGGER.exampleStepWeight}, maxWeight ${FLAGGER.exampleMaxWeight}) promotion takes interval * (maxWeight / stepWeight) = ${flaggerPromotionMinutes()} min.`,
        },
      };
    }
    default:
      return { ecs: NO_LOCAL_LOOP, codedeploy: NO_LOCAL_LOOP, flagger: NO_LOCAL_LOOP };
  }
}
