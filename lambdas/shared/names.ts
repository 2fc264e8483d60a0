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

/**
 * The alias the triggers and the CLI start executions on. An execution started on an alias runs the version the alias
 * pointed to at its start, to its end ("Step Functions associates an execution with a version or alias ... at the
 * execution start time"; https://docs.aws.amazon.com/step-functions/latest/dg/execution-alias-version-associate.html),
 * so a `cdk deploy` of a new Baton never changes the definition under a running deployment. Not an integer: a
 * number would read as a version ("To avoid conflict with version ARNs, don't use an integer in the name of the
 * alias"; https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachineAlias.html).
 */
export const LIVE_ALIAS = 'live';

/** The alias ARN: the state machine's ARN and the alias name separated by a colon (concepts-state-machine-alias.html). */
export function stateMachineAliasArn(pipeline: PipelineConfig, partition = 'aws'): string {
  return `${stateMachineArn(pipeline, partition)}:${LIVE_ALIAS}`;
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
