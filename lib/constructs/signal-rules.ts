/**
 * The rules that make the gates event-driven (lambdas/signal): CloudWatch's
 * "CloudWatch Alarm State Change" events of the services' alarms entering
 * ALARM, and ECS's "ECS Task State Change" events of their colours' tasks
 * stopping, delivered to the signal function. CloudWatch and ECS send these to
 * the account's default event bus on their own
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html).
 * A signal is worth something only while it is fresh: an event older than
 * five minutes is dropped, and the gates' polling sees what it would have said.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';

export interface SignalRulesProps {
  readonly config: BatonConfig;
  readonly handler: IFunction;
}

const unique = (values: string[]) => [...new Set(values)].sort();

export class SignalRules extends Construct {
  /** The alarms rule; undefined when no service lists an alarm. */
  public readonly alarmRule?: Rule;
  public readonly taskRule: Rule;
  /** Events the signal function could not take after its retries (the polling gates still see what they said). */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SignalRulesProps) {
    super(scope, id);
    const { config, handler } = props;
    const { partition } = Stack.of(this);
    const { account, region } = config.pipeline;
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const target = () =>
      new LambdaFunction(handler, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.minutes(5) });

    const alarms = unique(config.services.flatMap((service) => service.alarms));
    if (alarms.length > 0) {
      this.alarmRule = new Rule(this, 'AlarmEntersAlarm', {
        description: "Baton event-driven gate: a service's alarm entered ALARM; the deployment watching it rolls back at once",
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: { alarmName: alarms, state: { value: ['ALARM'] } },
        },
      });
      this.alarmRule.addTarget(target());
    }
    this.taskRule = new Rule(this, 'TaskStopped', {
      description: "Baton event-driven gate: a task of a service's colour stopped; the deployment watching it rolls back at once",
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: unique(config.services.map((service) => `arn:${partition}:ecs:${region}:${account}:cluster/${service.cluster}`)),
          lastStatus: ['STOPPED'],
          group: unique(
            config.services.flatMap((service) => [`service:${service.blue.serviceName}`, `service:${service.green.serviceName}`]),
          ),
        },
      },
    });
    this.taskRule.addTarget(target());
  }
}
