/**
 * Names of the pipeline's resources, derived from the config, so the stack
 * that creates them and the CLI that finds them agree without a lookup.
 */
import type { PipelineConfig } from './config-schema.ts';

export function stateMachineName(pipeline: PipelineConfig): string {
  return `${pipeline.name}-${pipeline.environment}`;
}

export function stateMachineArn(pipeline: PipelineConfig, partition = 'aws'): string {
  return `arn:${partition}:states:${pipeline.region}:${pipeline.account}:stateMachine:${stateMachineName(pipeline)}`;
}

export function deploymentTableName(pipeline: PipelineConfig): string {
  return `${pipeline.name}-${pipeline.environment}-deployments`;
}

export function executionConsoleUrl(executionArn: string, region: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** The SNS topic for terminal outcomes the stack creates (unless the config names an existing one). */
export function notificationTopicName(pipeline: PipelineConfig): string {
  return `${pipeline.name}-${pipeline.environment}-outcomes`;
}

export function dashboardName(pipeline: PipelineConfig): string {
  return `${pipeline.name}-${pipeline.environment}`;
}

/** The log group where the stack writes ECR pushes that deploy nothing (lib/constructs/ignored-pushes.ts). */
export function ignoredPushesLogGroupName(pipeline: PipelineConfig): string {
  return `/baton/${pipeline.name}-${pipeline.environment}/ignored-pushes`;
}
