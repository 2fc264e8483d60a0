/**
 * cdk-nag acknowledgements of the quick start, in one place for review like
 * lib/nag.ts for Baton's stack. Each is a choice a quick start makes to stay
 * cheap and short; the reason says what a production service would do instead.
 */
import { Validations } from 'aws-cdk-lib';
import type { QuickstartStack } from './stack.ts';

export function acknowledgeQuickstartFindings(stack: QuickstartStack): void {
  Validations.of(stack.vpc).acknowledge({
    id: 'AwsSolutions-VPC7',
    reason: 'Quick start: VPC flow logs cost per GB ingested and nothing here reads them; a production VPC enables them.',
  });
  Validations.of(stack.loadBalancer).acknowledge({
    id: 'AwsSolutions-ELB2',
    reason:
      'Quick start: access logs need an S3 bucket with its own policy and lifecycle; the target-group alarms are what Baton gates on.',
  });
  Validations.of(stack.loadBalancerSecurityGroup).acknowledge({
    id: 'AwsSolutions-EC23',
    reason:
      'An internet-facing load balancer: the production listener serves the public, and the test listener must be reachable by the smoke-test function, which runs outside the VPC.',
  });
  Validations.of(stack.cluster).acknowledge({
    id: 'AwsSolutions-ECS4',
    reason:
      'Quick start: Container Insights bills its metrics and log ingestion per task; the target-group alarms Baton gates on come with the load balancer at no charge.',
  });
  Validations.of(stack.taskDefinition.obtainExecutionRole()).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecr:GetAuthorizationToken, which the execution role needs to pull the images Baton deploys, only accepts "*"; the pull itself is limited to the quick-start repository.',
  });
  Validations.of(stack.appConfig).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The app config is edited by people, not rotated: a new version reaches tasks only through a Baton deployment, which pins the version it deploys.',
  });
}
