/**
 * The backstop: an EventBridge rule on this state machine's executions that
 * end (SUCCEEDED, ABORTED, TIMED_OUT or FAILED), invoking the backstop
 * function, which starts a recovery execution for any deployment left without
 * a terminal record (Catch cannot cover a stopped or timed-out execution;
 * this does), then the image waiting in the service's queue once the lock is
 * free (lambdas/shared/queue.ts). Step Functions delivers those events best
 * effort, so a schedule also invokes the function every
 * `pipeline.backstopSweepMinutes`: its sweep finds a record a lost event left
 * open (lambdas/backstop/sweep.ts).
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface BackstopProps {
  readonly stateMachine: IStateMachine;
  readonly handler: IFunction;
  /** Minutes between sweeps (pipeline.backstopSweepMinutes). */
  readonly sweepMinutes: number;
}

export class Backstop extends Construct {
  public readonly rule: Rule;
  /** The schedule of the sweep. */
  public readonly sweepRule: Rule;
  /** Status-change events that could not be delivered to the backstop function. */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: BackstopProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.rule = new Rule(this, 'ExecutionEnded', {
      description:
        'Baton backstop: roll back deployments whose execution was stopped, timed out or failed without a terminal record; start the queued image',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['SUCCEEDED', 'ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [props.stateMachine.stateMachineArn] },
      },
    });
    this.rule.addTarget(
      new LambdaFunction(props.handler, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(6) }),
    );
    this.sweepRule = new Rule(this, 'Sweep', {
      description:
        'Baton backstop sweep: status-change events are delivered best effort; close what a lost one left open, start the queued image',
      schedule: Schedule.rate(Duration.minutes(props.sweepMinutes)),
    });
    // A sweep the next one replaces is not worth keeping: retried only while it is the latest.
    this.sweepRule.addTarget(
      new LambdaFunction(props.handler, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(props.sweepMinutes),
      }),
    );
    props.stateMachine.grantStartExecution(props.handler);
  }
}
