/**
 * cdk-nag acknowledgements, all in one place for review. Each names the exact
 * finding and says why it is accepted; a new finding without an entry here
 * fails `cdk synth` and the stack tests.
 */
import { Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { stateMachineName } from '../lambdas/shared/names.ts';
import type { BatonStack } from './baton-stack.ts';
import { WILDCARD_ONLY_ACTIONS } from './constructs/phase-permissions.ts';
import { PHASES, type PhaseName } from './constructs/phases.ts';

export function acknowledgeFindings(stack: BatonStack): void {
  const { phases, pipeline } = stack;
  for (const phase of Object.keys(phases.functions) as PhaseName[]) {
    const fn = phases.functions[phase];
    Validations.of(phases.roles[phase]).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `Resource "*" is granted only for actions that work on "*" alone: X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and the read-only ${WILDCARD_ONLY_ACTIONS.join(', ')} (DescribeAlarms names alarm ARNs in IAM, but returns composite alarms only when allowed on "*"). Every mutating action is scoped to the ARNs in the config.`,
    });
    // A function EventBridge invokes (the backstop, signal) has its dead-letter queue (PhaseTraits.deadLetterQueue).
    if (PHASES[phase].deadLetterQueue) continue;
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Step Functions invokes the phase functions synchronously and owns retries and failure handling (Retry/Catch); a DLQ only applies to asynchronous invocations.',
    });
  }
  // Initialize (one service) and plan release (every service of a release) take locks.
  for (const role of [phases.roles.initialize, phases.roles.planRelease]) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${stack.region}:${stack.account}:execution:${stateMachineName(stack.config.pipeline)}:*]`,
      reason:
        'DescribeExecution checks whether the execution named by a held lock still runs; execution names are not known in advance, so the grant covers the executions of this state machine only.',
    });
  }
  // The recovery and the backstop read whether an execution ended, where it stopped and why.
  for (const role of [phases.roles.recover, phases.roles.unwindRelease, phases.roles.backstop]) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${stack.region}:${stack.account}:execution:${stateMachineName(stack.config.pipeline)}:*]`,
      reason:
        'DescribeExecution and GetExecutionHistory read the execution a recovery works for; execution names are not known in advance, so the grant covers the executions of this state machine only.',
    });
  }
  const prepareRole = phases.roles.prepare;
  for (const finding of [...new Set(stack.config.services.map((s) => s.taskDefinitionFamily))]) {
    Validations.of(prepareRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:${stack.region}:${stack.account}:task-definition/${finding}:*]`,
      reason:
        'RegisterTaskDefinition creates a new revision whose number is not known in advance; the grant is limited to the configured family.',
    });
  }
  for (const cluster of [...new Set(stack.config.services.map((s) => s.cluster))]) {
    Validations.of(phases.roles.checkStability).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:${stack.region}:${stack.account}:task/${cluster}/*]`,
      reason:
        'DescribeTasks reads the stopped tasks of the new colour to explain failures; task ids are random, so the grant is limited to the configured cluster.',
    });
  }
  const scaled = stack.config.services.filter((s) => s.autoscaling);
  if (scaled.length > 0) {
    for (const phase of ['deploy', 'complete', 'rollback'] as const) {
      Validations.of(phases.roles[phase]).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:application-autoscaling:${stack.region}:${stack.account}:scalable-target/*]`,
        reason:
          'A scalable target ARN ends in an id Application Auto Scaling generates, not known at synth; the grant is limited by the application-autoscaling:service-namespace (ecs) and scalable-dimension (ecs:service:DesiredCount) condition keys.',
      });
      Validations.of(phases.roles[phase]).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:${stack.region}:${stack.account}:alarm:*]`,
        reason:
          'Application Auto Scaling checks that its caller may put and delete CloudWatch alarms by calling CloudWatch as the caller with invalid parameters that name no alarm of the service, before it registers a target or puts a policy; the grant is limited to this account and region.',
      });
    }
  }
  for (const queue of [stack.backstop.deadLetterQueue, ...Object.values(phases.deadLetterQueues)]) {
    // AwsSolutions-SQS3 recognizes a Lambda function's dead-letter queue as one, not an EventBridge target's.
    if (queue === stack.backstop.deadLetterQueue) {
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'Dead-letter queue of the backstop rule; a dead-letter queue of its own would only move the same messages again.',
      });
    }
    Validations.of(queue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'Dead-letter queue of the backstop rule: undeliverable status-change events stay 14 days for an operator to inspect and replay.',
    });
  }
  Validations.of(stack.events.rule).acknowledge({
    id: 'Serverless-EventBusDLQ',
    reason:
      'The event archive is a convenience copy of events that also reach every rule users add; EventBridge retries a failed delivery for 24 hours, and a queue of lost copies would be read by nobody.',
  });
  for (const rule of Object.values(stack.ignoredPushes.rules)) {
    Validations.of(rule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'The ignored-push log is a diagnostic trail of pushes that deploy nothing; EventBridge retries a failed delivery for 24 hours, and a queue of lost log lines would be read by nobody.',
    });
  }
  Validations.of(stack.signals.deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is the dead-letter queue of the signal rules; a dead-letter queue of its own would only move the same messages again.',
  });
  Validations.of(stack.signals.deadLetterQueue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason:
      'Dead-letter queue of the signal rules: an event kept here is stale at once (the gates poll what it said); it stays 14 days for an operator to see why the signal function refused it.',
  });
  Validations.of(stack.ecrTrigger.deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is the dead-letter queue of the ECR push rules; a dead-letter queue of its own would only move the same messages again.',
  });
  Validations.of(stack.ecrTrigger.deadLetterQueue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason:
      'Dead-letter queue of the ECR push rules: messages stay 14 days for an operator to inspect and replay; nothing consumes it, so there is nothing to redrive from.',
  });
  if (stack.config.pipeline.network) {
    Validations.of(phases.roles.smokeTest).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${stack.region}:${stack.account}:network-interface/*]`,
      reason:
        'Lambda creates and deletes the network interfaces of a VPC function itself; their ids are not known in advance. Creation is limited to the configured subnets and security groups.',
    });
  }
  const machineRole = pipeline.stateMachine.role;
  Validations.of(machineRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray tracing of the state machine (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules/Targets) has no resource-level permissions; log delivery actions (logs:CreateLogDelivery and friends) only accept "*".',
  });
  // The backstop and signal are invoked by EventBridge, not by the state machine: its role has nothing to acknowledge for them.
  const invokedByEvents = (Object.keys(phases.functions) as PhaseName[]).filter((phase) => PHASES[phase].deadLetterQueue);
  for (const fn of Object.values(phases.functions).filter((f) => !invokedByEvents.some((phase) => phases.functions[phase] === f))) {
    Validations.of(machineRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason: 'lambda:InvokeFunction on the versions and aliases of the phase functions this state machine calls, and nothing else.',
    });
  }
  acknowledgeOperatorPolicies(stack);
}

/** The operator and viewer policies (lib/constructs/operator-policy.ts): their wildcards are ones IAM leaves no narrower choice for. */
function acknowledgeOperatorPolicies(stack: BatonStack): void {
  const { region, account } = stack;
  const name = stateMachineName(stack.config.pipeline);
  const { operator, viewer } = stack.operatorPolicies;
  for (const policy of [operator, viewer]) {
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only for actions the Service Authorization Reference gives no resource type: elasticloadbalancing:DescribeListeners/DescribeRules (reading the weights production serves) and, for the operator, states:SendTaskSuccess/SendTaskFailure (the task token names the approval wait).',
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${name}:*]`,
      reason:
        'The executions of this state machine only, whose names are chosen per deployment: describing, reading the history of and (operator) stopping them.',
    });
  }
  Validations.of(operator).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:stateMachine:${name}:*]`,
    reason:
      'states:StartExecution on the versions and aliases of this state machine (a start through its alias is authorized on the qualified ARN), and nothing else.',
  });
}
