/**
 * The dashboard rows that show a deployment as it happens: per service, the
 * production weight of each colour (the `TrafficWeight` metric the phases
 * emit on every production write) beside each colour's target-group 5xx and
 * latency (a worker's: its ECS CPU and memory utilization), so a shift that hurts shows as a step in one next to a rise in
 * the others; and for the pipeline itself, the depth of every dead-letter
 * queue and the errors of every phase function.
 */
import { Duration } from 'aws-cdk-lib';
import { Color, GraphWidget, type IMetric, type IWidget, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ServiceConfig } from '../../lambdas/shared/config-schema.ts';
import type { Colour } from '../../lambdas/shared/contract.ts';
import { productionListenerOf, targetGroupOf } from '../../lambdas/shared/service-resources.ts';
import { METRICS_NAMESPACE, TRAFFIC_WEIGHT } from '../../lambdas/shared/telemetry/metrics.ts';

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
const ALB_NAMESPACE = 'AWS/ApplicationELB';
const ECS_NAMESPACE = 'AWS/ECS';
const LINE_COLOURS: Record<Colour, string> = { blue: Color.BLUE, green: Color.GREEN };
const COLOURS: readonly Colour[] = ['blue', 'green'];

/** The part after the last ":" of a target group ARN, `targetgroup/<name>/<id>`: the TargetGroup dimension of ALB metrics. */
export function targetGroupDimension(targetGroupArn: string): string {
  return targetGroupArn.slice(targetGroupArn.lastIndexOf(':') + 1);
}

/**
 * The LoadBalancer dimension of ALB metrics, `app/<name>/<id>`, from the ARN
 * of one of its listeners (`listener/app/<name>/<id>/<listener id>`) or
 * listener rules (`listener-rule/app/<name>/<id>/<listener id>/<rule id>`).
 * The config's ARNs are literals checked by its schema, so plain string work
 * suffices.
 */
export function loadBalancerDimension(listenerArn: string): string {
  const resource = listenerArn.slice(listenerArn.lastIndexOf(':') + 1);
  return resource.split('/').slice(1, 4).join('/');
}

/** A metric of one colour's target group behind the service's production listener. */
function targetGroupMetric(service: ServiceConfig, colour: Colour, metricName: string, statistic: string): IMetric {
  return new Metric({
    namespace: ALB_NAMESPACE,
    metricName,
    dimensionsMap: {
      TargetGroup: targetGroupDimension(targetGroupOf(service[colour])),
      LoadBalancer: loadBalancerDimension(productionListenerOf(service)),
    },
    statistic,
    period: MINUTE,
    label: colour,
    color: LINE_COLOURS[colour],
  });
}

/** A metric of one colour's ECS service (AWS/ECS: published for every service, Container Insights or not). */
function ecsServiceMetric(service: ServiceConfig, colour: Colour, metricName: string): IMetric {
  return new Metric({
    namespace: ECS_NAMESPACE,
    metricName,
    dimensionsMap: { ClusterName: service.cluster, ServiceName: service[colour].serviceName },
    statistic: Stats.AVERAGE,
    period: MINUTE,
    label: colour,
    color: LINE_COLOURS[colour],
  });
}

/**
 * One row per service: its production weights, and each colour's 5xx and p99 latency, minute by minute; a worker,
 * which has no target groups, each colour's CPU and memory utilization instead.
 */
export function serviceRow(service: ServiceConfig): IWidget[] {
  const perColour = (metric: (colour: Colour) => IMetric) => COLOURS.map(metric);
  const byColour =
    service.kind === 'worker'
      ? [
          new GraphWidget({
            title: `${service.name}: CPU utilization (%), by colour`,
            left: perColour((colour) => ecsServiceMetric(service, colour, 'CPUUtilization')),
            leftYAxis: { min: 0 },
            width: 8,
          }),
          new GraphWidget({
            title: `${service.name}: memory utilization (%), by colour`,
            left: perColour((colour) => ecsServiceMetric(service, colour, 'MemoryUtilization')),
            leftYAxis: { min: 0 },
            width: 8,
          }),
        ]
      : [
          new GraphWidget({
            title: `${service.name}: target 5xx per minute, by colour`,
            left: perColour((colour) => targetGroupMetric(service, colour, 'HTTPCode_Target_5XX_Count', Stats.SUM)),
            leftYAxis: { min: 0 },
            width: 8,
          }),
          new GraphWidget({
            title: `${service.name}: target response time p99 (seconds), by colour`,
            left: perColour((colour) => targetGroupMetric(service, colour, 'TargetResponseTime', Stats.p(99))),
            leftYAxis: { min: 0 },
            width: 8,
          }),
        ];
  return [
    new GraphWidget({
      title: `${service.name}: production traffic weight (%)`,
      left: perColour(
        (colour) =>
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: TRAFFIC_WEIGHT,
            dimensionsMap: { service: service.name, colour },
            // A datapoint per listener write, none in between: the maximum of a minute is the weight it ended at or passed.
            statistic: Stats.MAXIMUM,
            period: MINUTE,
            label: colour,
            color: LINE_COLOURS[colour],
          }),
      ),
      leftYAxis: { min: 0, max: 100 },
      width: 8,
    }),
    ...byColour,
  ];
}

/** A dead-letter queue of the stack, named by what lands in it. */
export interface GraphedQueue {
  readonly label: string;
  readonly queue: IQueue;
}

/** The pipeline's own health: messages waiting in each dead-letter queue, and each phase function's errors. */
export function pipelineRow(queues: readonly GraphedQueue[], functions: Readonly<Record<string, IFunction>>): IWidget[] {
  return [
    new GraphWidget({
      title: 'Dead-letter queues (messages visible, maximum)',
      left: queues.map(({ label, queue }) =>
        queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: Stats.MAXIMUM, label }),
      ),
      leftYAxis: { min: 0 },
      width: 12,
    }),
    new GraphWidget({
      title: 'Phase function errors (per 5 minutes)',
      left: Object.entries(functions).map(([phase, fn]) => fn.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM, label: phase })),
      leftYAxis: { min: 0 },
      width: 12,
    }),
  ];
}
