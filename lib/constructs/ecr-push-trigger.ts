/**
 * Starts a deployment when an image is pushed to a configured ECR repository
 * with a tag that matches the service's patterns. One rule per service, so a
 * repository that feeds several services starts one execution per service.
 * EventBridge delivers at least once: a second delivery of the same digest
 * ends DUPLICATE in initialize (or validate, once the image is live).
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { EventField, type EventPattern, Match, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { BatonConfig, ServiceConfig } from '../../lambdas/shared/config-schema.ts';

export interface EcrPushTriggerProps {
  readonly config: BatonConfig;
  readonly stateMachine: IStateMachine;
  /**
   * Delivery attempts before an event goes to the dead-letter queue.
   * @default 8
   */
  readonly retryAttempts?: number;
}

/** The `image-tag` filter: exact tags as they are, patterns with "*" as EventBridge wildcards. */
function tagFilter(service: ServiceConfig): string[] {
  return service.ecr.tagPatterns.flatMap((pattern) => (pattern.includes('*') ? Match.wildcard(pattern) : [pattern]));
}

/** The successful pushes to `repository` whose image-tag passes `imageTag` (also the pattern of the ignored-push log, ignored-pushes.ts). */
export function successfulPushes(repository: string, imageTag: string[]): EventPattern {
  return {
    source: ['aws.ecr'],
    detailType: ['ECR Image Action'],
    detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': [repository], 'image-tag': imageTag },
  };
}

export class EcrPushTrigger extends Construct {
  public readonly rules: Record<string, Rule> = {};
  /** Events EventBridge could not deliver after its retries (StartExecution failing, throttled, ...). */
  public readonly deadLetterQueue: Queue;
  /** The role EventBridge assumes to start executions: only for rules of this account. */
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: EcrPushTriggerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Confused-deputy guard, as AWS documents it for rule targets ("the value of aws:SourceArn must be the rule
    // ARN"; https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html):
    // the rules of this account and region. A wildcard for the rule name: the rules name this role in their
    // targets, so naming them here would be a circular dependency.
    this.role = new Role(this, 'StartExecutionRole', {
      description: 'Baton: EventBridge starts a deployment on an ECR push (rules of this account only)',
      assumedBy: new ServicePrincipal('events.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: '*',
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          },
        },
      }),
    });
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const service of props.config.services) {
      const rule = new Rule(this, `${service.name}Push`, {
        description: `Baton: deploy ${service.name} when ${service.ecr.repositoryName} receives a push tagged ${service.ecr.tagPatterns.join(' or ')}`,
        eventPattern: successfulPushes(service.ecr.repositoryName, tagFilter(service)),
      });
      rule.addTarget(
        new SfnStateMachine(props.stateMachine, {
          // The console form of the input, by digest: what was pushed is what gets deployed.
          input: RuleTargetInput.fromObject({
            service: service.name,
            imageDigest: EventField.fromPath('$.detail.image-digest'),
            pushedTag: EventField.fromPath('$.detail.image-tag'),
            trigger: 'ecr',
            // As a pasted event words it (lambdas/shared/request.ts): the outcome names the pushed repository and tag.
            reason: `ECR push of ${service.ecr.repositoryName}:${EventField.fromPath('$.detail.image-tag')} (event ${EventField.eventId})`,
          }),
          retryAttempts: props.retryAttempts ?? 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: this.deadLetterQueue,
          role: this.role,
        }),
      );
      this.rules[service.name] = rule;
    }
  }
}
