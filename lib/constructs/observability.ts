/**
 * What operators see: the SNS topic for terminal outcomes (encrypted with a
 * key of the stack, SSL only), the CloudWatch dashboard over the metrics the
 * handlers emit (lambdas/shared/telemetry/metrics.ts), the services' target
 * groups and the pipeline's queues and functions (dashboard-rows.ts), and alarms on
 * executions that failed without recording an outcome, timed out or were
 * aborted, on ROLLBACK_FAILED and on messages in the dead-letter queues,
 * wired to the topic.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { CfnRule } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { dashboardName, notificationTopicName } from '../../lambdas/shared/names.ts';
import { DEPLOYMENT_EVENT, EVENT_SOURCE, PHASE_EVENT } from '../../lambdas/shared/telemetry/events.ts';
import {
  DEPLOYMENT_DURATION,
  FAILED_WITHOUT_OUTCOME,
  METRICS_NAMESPACE,
  OUTCOME_METRICS,
  PHASE_DURATION,
  PIPELINE_DIMENSION,
  RELEASE_DIMENSION,
  RELEASE_OUTCOME_METRICS,
} from '../../lambdas/shared/telemetry/metrics.ts';
import { type GraphedQueue, pipelineRow, serviceRow } from './dashboard-rows.ts';
import { eventsMayWrite } from './events-log-target.ts';

const HOUR = Duration.hours(1);

/** Terminal outcomes and alarms go here; subscribe e-mail, chat or a pager to it. */
export class OutcomeTopic extends Construct {
  public readonly topic: ITopic;
  /** The key of the topic the stack creates; undefined when the config names an existing topic. */
  public readonly key: Key | undefined;

  constructor(scope: Construct, id: string, props: { readonly config: BatonConfig }) {
    super(scope, id);
    const { config } = props;
    const existing = config.pipeline.notifications.snsTopicArn;
    if (existing) {
      this.topic = Topic.fromTopicArn(this, 'Outcomes', existing);
    } else {
      this.key = new Key(this, 'Key', {
        description: `Baton ${config.pipeline.name}-${config.pipeline.environment}: encrypts the outcomes topic`,
        enableKeyRotation: true,
      });
      this.topic = new Topic(this, 'Outcomes', {
        topicName: notificationTopicName(config.pipeline),
        displayName: `Baton ${config.pipeline.environment}`,
        masterKey: this.key,
        enforceSSL: true,
      });
      // enforceSSL writes a topic policy, which replaces SNS's default one: CloudWatch must be allowed
      // explicitly, on the topic and on its key (the AWS managed SNS key would not let it in at all).
      this.key.addToResourcePolicy(alarmsOfThisAccount(this, ['kms:Decrypt', 'kms:GenerateDataKey*'], ['*']));
      this.topic.addToResourcePolicy(alarmsOfThisAccount(this, ['sns:Publish'], [this.topic.topicArn]));
    }
  }
}

/**
 * Lets CloudWatch do `actions` for the alarms of this account only: the
 * source conditions keep another account's alarm from using the topic
 * through CloudWatch (confused deputy).
 */
function alarmsOfThisAccount(scope: Construct, actions: string[], resources: string[]): PolicyStatement {
  const stack = Stack.of(scope);
  return new PolicyStatement({
    sid: 'CloudWatchAlarmsOfThisAccount',
    principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
    actions,
    resources,
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    },
  });
}

/**
 * Every `baton` event (phase changes, finished deployments) kept in a log
 * group: an audit trail to query with Logs Insights, and the example of
 * wiring a rule to Baton's events.
 */
export class EventArchive extends Construct {
  public readonly rule: CfnRule;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: { readonly config: BatonConfig }) {
    super(scope, id);
    const { pipeline } = props.config;
    // No fixed name (nothing reads it; the stack output EventArchiveLogGroupName gives it), so a group
    // retained from a deleted stack never collides with the one of the stack installed again.
    this.logGroup = new LogGroup(this, 'Events', {
      retention: RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const logGroupArn = eventsMayWrite(this, 'EventsMayWrite', this.logGroup, `${pipeline.name}-${pipeline.environment}-events-archive`);
    this.rule = new CfnRule(this, 'AllEvents', {
      description: `Baton ${pipeline.name}-${pipeline.environment}: every phase change and finished deployment, kept for a year`,
      eventPattern: { source: [EVENT_SOURCE], 'detail-type': [PHASE_EVENT, DEPLOYMENT_EVENT] },
      state: 'ENABLED',
      targets: [{ id: 'Archive', arn: logGroupArn, retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 } }],
    });
  }
}

/** A dead-letter queue to alarm on: what lands in it is work that was never done. */
export interface WatchedQueue extends GraphedQueue {
  /** The alarm's id, also the end of its name. */
  readonly alarmId: string;
  readonly queue: IQueue;
  /** What a message in it means and what to do: the alarm's description. */
  readonly description: string;
}

export interface MonitoringProps {
  readonly config: BatonConfig;
  readonly stateMachine: IStateMachine;
  readonly topic: ITopic;
  readonly deadLetterQueues: readonly WatchedQueue[];
  /** Dead-letter queues the dashboard graphs beside the watched ones (those of the asynchronously invoked functions). */
  readonly graphedQueues: readonly GraphedQueue[];
  /** The phase functions by name, whose errors the dashboard graphs. */
  readonly functions: Readonly<Record<string, IFunction>>;
}

/** The dashboard and the alarms. */
export class Monitoring extends Construct {
  public readonly dashboard: Dashboard;
  public readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, stateMachine } = props;

    const services = config.services.map((s) => s.name);
    const metric = (name: string, service: string, statistic: string = Stats.SUM) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service }, statistic, period: HOUR });

    const outcomes = (service: string): IMetric[] =>
      Object.entries(OUTCOME_METRICS).map(([status, name]) => metric(name, service).with({ label: `${service} ${status}` }));
    const rollbackRate = (service: string, index: number) =>
      new MathExpression({
        // An outcome count has no datapoint in an hour without that outcome; FILL makes those hours count as 0.
        expression: `100 * (FILL(rb${index}, 0) + FILL(rbf${index}, 0)) / MAX([FILL(s${index}, 0) + FILL(rb${index}, 0) + FILL(rbf${index}, 0), 1])`,
        usingMetrics: {
          [`s${index}`]: metric(OUTCOME_METRICS.SUCCEEDED, service),
          [`rb${index}`]: metric(OUTCOME_METRICS.ROLLED_BACK, service),
          [`rbf${index}`]: metric(OUTCOME_METRICS.ROLLBACK_FAILED, service),
        },
        label: `${service} rollback rate %`,
        period: HOUR,
      });

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: dashboardName(config.pipeline) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Baton ${config.pipeline.name}-${config.pipeline.environment}\nDeployments per service (namespace \`${METRICS_NAMESPACE}\`), state machine \`${stateMachine.stateMachineArn}\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Deployments per hour, by outcome',
        left: services.flatMap(outcomes),
        stacked: true,
        width: 12,
      }),
      new GraphWidget({
        title: 'Deployment duration (seconds)',
        left: services.flatMap((service) => [
          metric(DEPLOYMENT_DURATION, service, Stats.AVERAGE).with({ label: `${service} average` }),
          metric(DEPLOYMENT_DURATION, service, Stats.p(90)).with({ label: `${service} p90` }),
        ]),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Rollback rate (% of deployments that reached production)',
        left: services.map(rollbackRate),
        leftYAxis: { min: 0, max: 100 },
        width: 12,
      }),
      new GraphWidget({
        title: 'Phase duration (seconds, average)',
        left: [
          new MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},phase,service} MetricName="${PHASE_DURATION}"', 'Average', 3600)`,
            label: '',
            period: HOUR,
          }),
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Executions',
        left: [
          stateMachine.metricStarted({ period: HOUR }),
          stateMachine.metricSucceeded({ period: HOUR }),
          stateMachine.metricFailed({ period: HOUR }),
          stateMachine.metricTimedOut({ period: HOUR }),
          stateMachine.metricAborted({ period: HOUR }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Multi-service releases per hour, by outcome',
        left: Object.entries(RELEASE_OUTCOME_METRICS).map(([status, name]) => metric(name, RELEASE_DIMENSION).with({ label: status })),
        width: 12,
      }),
    );
    for (const service of config.services) this.dashboard.addWidgets(...serviceRow(service));
    this.dashboard.addWidgets(...pipelineRow([...props.deadLetterQueues, ...props.graphedQueues], props.functions));

    const action = new SnsAction(props.topic);
    const alarm = (alarmId: string, metricToWatch: IMetric, description: string) => {
      const created = new Alarm(this, alarmId, {
        alarmName: `${Stack.of(this).stackName}-${alarmId}`,
        alarmDescription: description,
        metric: metricToWatch,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: Stats.SUM };
    // Not AWS/States ExecutionsFailed: every rejection and rollback ends in a Fail state, with its own outcome message.
    alarm(
      'ExecutionsFailedWithoutOutcome',
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: FAILED_WITHOUT_OUTCOME,
        dimensionsMap: { service: PIPELINE_DIMENSION },
        ...fiveMinutes,
      }),
      'A Baton execution failed without recording its outcome (an error no Catch handles, such as States.Runtime): a fault of Baton, not of the deployment. The backstop has started a recovery that rolls the deployment back; its outcome follows on this topic. Read the failed execution history for the error.',
    );
    alarm(
      'ExecutionsTimedOut',
      stateMachine.metricTimedOut(fiveMinutes),
      'A Baton execution hit executionTimeoutSeconds; the backstop starts a recovery that rolls it back.',
    );
    alarm(
      'ExecutionsAborted',
      stateMachine.metricAborted(fiveMinutes),
      'A Baton execution was stopped (baton abort or the console); the backstop starts a recovery that rolls it back.',
    );
    for (const [index, service] of services.entries()) {
      alarm(
        `RollbackFailed${index}`,
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: OUTCOME_METRICS.ROLLBACK_FAILED,
          dimensionsMap: { service },
          ...fiveMinutes,
        }),
        `ROLLBACK_FAILED for ${service}: production traffic may not be on a healthy colour. Check the listener weights now (baton status ${service}).`,
      );
    }
    for (const { alarmId, queue, description } of props.deadLetterQueues) {
      // Maximum: one message visible at any minute of the period is one too many.
      alarm(
        alarmId,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: Stats.MAXIMUM }),
        description,
      );
    }
    alarm(
      'ReleaseRollbackFailed',
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: RELEASE_OUTCOME_METRICS.ROLLBACK_FAILED,
        dimensionsMap: { service: RELEASE_DIMENSION },
        ...fiveMinutes,
      }),
      'ROLLBACK_FAILED for a multi-service release: the joint rollback did not finish. Check the services of the release (baton status <release execution arn>).',
    );
  }
}
