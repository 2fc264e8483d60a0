/**
 * The Baton stack: the deployment table, one function per phase, the state
 * machine that runs them, the outcomes topic, the dashboard and the alarms.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BatonConfig } from '../lambdas/shared/config-schema.ts';
import { deploymentTableName } from '../lambdas/shared/names.ts';
import { Backstop } from './constructs/backstop.ts';
import { DeploymentTable } from './constructs/deployment-table.ts';
import { EcrPushTrigger } from './constructs/ecr-push-trigger.ts';
import { IgnoredPushes } from './constructs/ignored-pushes.ts';
import { EventArchive, Monitoring, OutcomeTopic } from './constructs/observability.ts';
import { OperatorPolicies } from './constructs/operator-policy.ts';
import { PhaseFunctions } from './constructs/phase-functions.ts';
import { PipelineStateMachine } from './constructs/pipeline-state-machine.ts';
import { SignalRules } from './constructs/signal-rules.ts';
import { acknowledgeFindings } from './nag.ts';

export interface BatonStackProps extends StackProps {
  readonly config: BatonConfig;
}

export class BatonStack extends Stack {
  public readonly deployments: DeploymentTable;
  public readonly phases: PhaseFunctions;
  public readonly pipeline: PipelineStateMachine;
  public readonly config: BatonConfig;
  public readonly ecrTrigger: EcrPushTrigger;
  /** Pushes to the configured repositories that match no service's tag patterns, logged. */
  public readonly ignoredPushes: IgnoredPushes;
  public readonly backstop: Backstop;
  /** The event-driven gates: alarms entering ALARM and tasks stopping, to the signal function. */
  public readonly signals: SignalRules;
  public readonly outcomes: OutcomeTopic;
  public readonly monitoring: Monitoring;
  public readonly events: EventArchive;
  /** The managed policies an operator's (and a viewer's) CLI needs. */
  public readonly operatorPolicies: OperatorPolicies;

  constructor(scope: Construct, id: string, props: BatonStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    this.deployments = new DeploymentTable(this, 'Deployments', { tableName: deploymentTableName(config.pipeline) });
    this.outcomes = new OutcomeTopic(this, 'Outcomes', { config });
    this.phases = new PhaseFunctions(this, 'Phases', {
      config,
      table: this.deployments.table,
      topic: this.outcomes.topic,
      ...(this.outcomes.key ? { topicKey: this.outcomes.key } : {}),
    });
    this.pipeline = new PipelineStateMachine(this, 'Pipeline', { config, versionOf: (phase) => this.phases.versionOf(phase) });

    this.backstop = new Backstop(this, 'Backstop', {
      stateMachine: this.pipeline.stateMachine,
      handler: this.phases.functions.backstop,
      sweepMinutes: config.pipeline.backstopSweepMinutes,
    });
    this.signals = new SignalRules(this, 'Signals', { config, handler: this.phases.functions.signal });
    // Pushes start on the alias: the newest published version (pipeline-state-machine.ts). The events role may start
    // that alias only: a qualified ARN in a policy scopes the permission down to it
    // (https://docs.aws.amazon.com/step-functions/latest/dg/auth-version-alias.html).
    this.ecrTrigger = new EcrPushTrigger(this, 'EcrPush', { config, stateMachine: this.pipeline.alias });
    this.ignoredPushes = new IgnoredPushes(this, 'IgnoredPushes', { config });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      config,
      stateMachine: this.pipeline.stateMachine,
      topic: this.outcomes.topic,
      deadLetterQueues: [
        {
          alarmId: 'EcrPushDeadLetters',
          label: 'ECR push rules',
          queue: this.ecrTrigger.deadLetterQueue,
          description:
            'An ECR push did not start its deployment: EventBridge gave up after its retries (StartExecution refused or throttled), so the pushed image is not deployed. The message in the queue names the repository, tag and digest; start it with baton deploy <service> --digest <digest>, then delete the message.',
        },
        {
          alarmId: 'BackstopDeadLetters',
          label: 'backstop rules',
          queue: this.backstop.deadLetterQueue,
          description:
            'An execution-ended event or a sweep did not reach the backstop function after its retries: a stopped, timed-out or failed deployment may be left without its record closed, its lock held or its queued image not started. Check the backstop function errors; the next sweep tries again.',
        },
        {
          alarmId: 'SignalDeadLetters',
          label: 'signal rules',
          queue: this.signals.deadLetterQueue,
          description:
            'An alarm or task-stopped event did not reach the signal function after its retries: a deployment watching that service learns of it at its next gate check (one gate interval) instead of within a second. Check the signal function errors.',
        },
      ],
      graphedQueues: Object.entries(this.phases.deadLetterQueues).map(([phase, queue]) => ({ label: `${phase} function`, queue })),
      functions: this.phases.functions,
    });
    this.events = new EventArchive(this, 'Events', { config });

    this.operatorPolicies = new OperatorPolicies(this, 'OperatorPolicies', { config });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'StateMachineAliasArn', { value: this.pipeline.alias.stateMachineArn });
    new CfnOutput(this, 'DeploymentTableName', { value: this.deployments.table.tableName });
    new CfnOutput(this, 'OutcomesTopicArn', { value: this.outcomes.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'EventArchiveLogGroupName', { value: this.events.logGroup.logGroupName });
    new CfnOutput(this, 'IgnoredPushesLogGroupName', { value: this.ignoredPushes.logGroup.logGroupName });
    new CfnOutput(this, 'OperatorPolicyArn', { value: this.operatorPolicies.operator.managedPolicyArn });
    new CfnOutput(this, 'ViewerPolicyArn', { value: this.operatorPolicies.viewer.managedPolicyArn });
    acknowledgeFindings(this);
  }
}

export function stackName(config: BatonConfig): string {
  return `${pascal(config.pipeline.name)}${pascal(config.pipeline.environment)}`;
}

function pascal(value: string): string {
  return value
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
