/**
 * Reading a synthesized Baton template (test/support/synth.ts): the
 * resources of a type, a phase's role and function, the IAM statements
 * attached to a role, a function's environment. The stack tests assert on
 * what these return; the shapes below are only as much of each resource as
 * they read.
 */
import type { CfnResource } from 'aws-cdk-lib';
import { expect } from 'vitest';
import type { PhaseName } from '../../lib/constructs/phases.ts';
import { logicalIdOf, type Synthesis } from './synth.ts';

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
  readonly Principal?: unknown;
  readonly Sid?: string;
}

export interface PolicyResource {
  readonly Properties: {
    /** The stack's roles are its own, so each is a Ref. */
    readonly Roles: Array<{ readonly Ref: string }>;
    readonly PolicyDocument: { readonly Statement: Statement[] };
  };
}

export interface FunctionResource {
  readonly Properties: { readonly Environment: { readonly Variables: Record<string, unknown> } };
}

export interface RuleTarget {
  readonly Arn: unknown;
  readonly Id: string;
  readonly RoleArn?: unknown;
  readonly RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  readonly DeadLetterConfig?: { Arn: unknown };
  readonly InputTransformer?: { InputPathsMap: Record<string, string>; InputTemplate: string };
}

export interface RuleResource {
  readonly Properties: {
    /** Absent on a schedule rule. */
    readonly EventPattern?: { source: string[]; 'detail-type': string[]; detail: Record<string, unknown> };
    readonly ScheduleExpression?: string;
    readonly State?: string;
    readonly Targets: RuleTarget[];
  };
}

/** What the readers need of a synthesis: identity-policy evaluation (test/support/iam.ts) has only the template. */
type WithTemplate = Pick<Synthesis, 'template'>;

/** The resources of one CloudFormation type, by logical id. */
export function resourcesOf<T>(synthesis: WithTemplate, type: string): Record<string, T> {
  return synthesis.template.findResources(type) as Record<string, T>;
}

/** The resource with this logical id; throws when the template has none. */
export function resourceOf<T>(synthesis: WithTemplate, logicalId: string): T {
  const found = (synthesis.template.toJSON().Resources as Record<string, T | undefined>)[logicalId];
  if (!found) throw new Error(`no resource ${logicalId}`);
  return found;
}

/** Logical id of a phase's role. */
export function roleOf(synthesis: Synthesis, phase: PhaseName): string {
  return logicalIdOf(synthesis.stack, synthesis.stack.phases.roles[phase]);
}

/** Logical id of a phase's function. */
export function functionOf(synthesis: Synthesis, phase: PhaseName): string {
  return logicalIdOf(synthesis.stack, synthesis.stack.phases.functions[phase]);
}

/** What a Task invoking a phase names (resolveToString): the Ref of its function's current version. */
export function invokedTarget(synthesis: Synthesis, phase: PhaseName): string {
  // The version's logical id is a token (CDK derives it from a hash of the function): resolved, not read.
  const version = synthesis.stack.phases.functions[phase].currentVersion.node.defaultChild as CfnResource;
  return `\${${String(synthesis.stack.resolve(version.logicalId))}}`;
}

/** The function a Task's target (resolveToString of its Resource or FunctionName) invokes: itself, or the one of a version. */
export function invokedFunctionId(resources: Record<string, { Type?: string; Properties?: unknown }>, target: string): string | undefined {
  const fn = /^\$\{([A-Za-z0-9]+)\.Arn\}$/.exec(target)?.[1];
  if (fn) return fn;
  const version = resources[/^\$\{([A-Za-z0-9]+)\}$/.exec(target)?.[1] ?? ''];
  if (version?.Type !== 'AWS::Lambda::Version') return undefined;
  return (version.Properties as { FunctionName?: { Ref?: string } }).FunctionName?.Ref;
}

/** The environment variables of a phase's function. */
export function environmentOf(synthesis: Synthesis, phase: PhaseName): Record<string, unknown> {
  return resourceOf<FunctionResource>(synthesis, functionOf(synthesis, phase)).Properties.Environment.Variables;
}

/** Every AWS::IAM::Policy of the template. */
export function iamPolicies(synthesis: WithTemplate): PolicyResource[] {
  return Object.values(resourcesOf<PolicyResource>(synthesis, 'AWS::IAM::Policy'));
}

/** The AWS::IAM::Policy resources attached to the role. */
export function policiesOf(synthesis: WithTemplate, roleLogicalId: string): PolicyResource[] {
  return iamPolicies(synthesis).filter((policy) => policy.Properties.Roles.some((role) => role.Ref === roleLogicalId));
}

/** Every statement of every AWS::IAM::Policy attached to the role, in template order. */
export function statementsOf(synthesis: WithTemplate, roleLogicalId: string): Statement[] {
  return policiesOf(synthesis, roleLogicalId).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The Allow statements of the policies attached to the role. */
export function allowStatementsOf(synthesis: WithTemplate, roleLogicalId: string): Statement[] {
  return statementsOf(synthesis, roleLogicalId).filter((statement) => statement.Effect === 'Allow');
}

/** Logical ids of the roles any of whose Allow statements grant an action matching `pattern` (e.g. /^sns:/), or "*". */
export function rolesGranting(synthesis: WithTemplate, pattern: RegExp): string[] {
  const roles = iamPolicies(synthesis)
    .filter((policy) =>
      policy.Properties.PolicyDocument.Statement.some(
        (statement) => statement.Effect === 'Allow' && [statement.Action].flat().some((action) => pattern.test(action) || action === '*'),
      ),
    )
    .flatMap((policy) => policy.Properties.Roles.map((role) => role.Ref));
  return [...new Set(roles)].sort();
}

/** The only target of an EventBridge rule; fails the test when the rule has another. */
export function onlyTarget(rule: RuleResource): RuleTarget {
  expect(rule.Properties.Targets).toHaveLength(1);
  const [target] = rule.Properties.Targets;
  if (!target) throw new Error('rule has no target');
  return target;
}

/** The statements of the queue policies attached to a queue. */
export function queuePolicyStatements(synthesis: WithTemplate, queueLogicalId: string): Statement[] {
  const policies = resourcesOf<{ Properties: { Queues: unknown[]; PolicyDocument: { Statement: Statement[] } } }>(
    synthesis,
    'AWS::SQS::QueuePolicy',
  );
  return Object.values(policies)
    .filter((policy) => policy.Properties.Queues.some((queue) => JSON.stringify(queue) === JSON.stringify({ Ref: queueLogicalId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}
