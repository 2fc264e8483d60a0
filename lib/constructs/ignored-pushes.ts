/**
 * A trace of every push the ECR push rules let pass: one rule per configured
 * repository matches the successful pushes whose tag matches none of the
 * tagPatterns of the services it feeds, and those without a tag, and writes
 * each event to a log group, so "why did my push not deploy?" has an answer
 * in `aws logs tail` (docs/operations.md).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { ignoredPushesLogGroupName } from '../../lambdas/shared/names.ts';
import { successfulPushes } from './ecr-push-trigger.ts';
import { eventsMayWrite } from './events-log-target.ts';

/** Each configured repository with the tag patterns of every service it feeds, in config order. */
export function patternsByRepository(config: BatonConfig): Map<string, string[]> {
  const byRepository = new Map<string, string[]>();
  for (const { ecr } of config.services) {
    const patterns = byRepository.get(ecr.repositoryName) ?? [];
    byRepository.set(ecr.repositoryName, [...new Set([...patterns, ...ecr.tagPatterns])]);
  }
  return byRepository;
}

export class IgnoredPushes extends Construct {
  public readonly logGroup: LogGroup;
  /** The rule of each repository, by repository name. */
  public readonly rules: Record<string, Rule> = {};

  constructor(scope: Construct, id: string, props: { readonly config: BatonConfig }) {
    super(scope, id);
    const { pipeline } = props.config;
    // A diagnostic trail, not an audit one: it goes with the stack, so its fixed name is free again for a stack installed anew.
    this.logGroup = new LogGroup(this, 'Log', {
      logGroupName: ignoredPushesLogGroupName(pipeline),
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logGroupArn = eventsMayWrite(this, 'EventsMayWrite', this.logGroup, `${pipeline.name}-${pipeline.environment}-ignored-pushes`);
    for (const [index, [repository, patterns]] of [...patternsByRepository(props.config)].entries()) {
      const rule = new Rule(this, `Repository${index}`, {
        description: `Baton: log pushes to ${repository} that deploy nothing (tagged none of ${patterns.join(', ')}, or untagged)`,
        // The complement of the push rules' filter: an exact tag is a wildcard without "*". An untagged push has no image-tag.
        eventPattern: successfulPushes(repository, [...Match.anythingButWildcard(...patterns), ...Match.doesNotExist()]),
      });
      rule.addTarget({
        bind: () => ({
          arn: logGroupArn,
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: Duration.days(1).toSeconds() },
        }),
      });
      this.rules[repository] = rule;
    }
  }
}
