/**
 * A phase role's identity policy as IAM evaluates it: the statements of every
 * AWS::IAM::Policy attached to the role, with the template's intrinsics
 * resolved to the ARNs they name in the example account, fed to
 * @cloud-copilot/iam-simulate with a concrete request (action, resource ARN,
 * context keys). What a real account would answer, short of resource
 * policies and SCPs.
 */

import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { deploymentTableName } from '../../lambdas/shared/names.ts';
import type { PhaseName } from '../../lib/constructs/phases.ts';
import { defaultKeyPolicy, type PolicyDocument } from '../../sim/iam/authorizer.ts';
import { resolveIntrinsics } from './iam.ts';
import { logicalIdOf, type Synthesis } from './synth.ts';
import { roleOf, statementsOf } from './template.ts';

export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** The resource's own policy, e.g. a KMS key policy (KMS honours IAM policies only when its key policy lets it). */
  readonly resourcePolicy?: PolicyDocument;
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** The deployment table's ARN in the config's account and region. */
export function tableArn(config: BatonConfig): string {
  return `arn:aws:dynamodb:${config.pipeline.region}:${config.pipeline.account}:table/${deploymentTableName(config.pipeline)}`;
}

/**
 * The deployed value of each name a role policy refers to: the pseudo
 * parameters as the config's partition, region and account, the deployment
 * table's Arn as its real ARN, any other Ref or GetAtt as a placeholder naming
 * the logical id (and attribute).
 */
function deployedValues(synthesis: Synthesis, config: BatonConfig): (name: string) => string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': config.pipeline.region,
    'AWS::AccountId': config.pipeline.account,
    [`${logicalIdOf(synthesis.stack, synthesis.stack.deployments.table)}.Arn`]: tableArn(config),
  };
  return (name) => pseudo[name] ?? `unresolved:${name}`;
}

/** Every statement of every policy attached to the phase's role, as one identity policy. */
export function rolePolicy(synthesis: Synthesis, config: BatonConfig, phase: PhaseName): PolicyDocument {
  const values = deployedValues(synthesis, config);
  const statements = statementsOf(synthesis, roleOf(synthesis, phase)).map(
    (statement) => resolveIntrinsics(statement, values) as Record<string, unknown>,
  );
  return { Version: '2012-10-17', Statement: statements };
}

function simulation(policy: PolicyDocument, request: IamRequest, account: string): Simulation {
  return {
    request: {
      principal: `arn:aws:iam::${account}:role/baton-phase`,
      action: request.action,
      resource: { resource: request.resource, accountId: account },
      contextVariables: request.context ?? {},
    },
    identityPolicies: [{ name: 'phase', policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
  };
}

/** What IAM decides for the request under this identity policy alone (the role's own account, no resource policy). */
export async function decide(policy: PolicyDocument, request: IamRequest, account: string): Promise<Decision> {
  const result = await runSimulation(simulation(policy, request, account), {});
  if (result.resultType === 'error') throw new Error(`iam-simulate refused the request: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

/**
 * The same decision for a resource ARN iam-simulate's catalogue does not list
 * for the action, such as the short ARN (service/<name>) of an ECS service
 * created before the long ARN format: the policy is evaluated without
 * validating the request against the catalogue.
 */
export function decideUnlisted(policy: PolicyDocument, request: IamRequest, account: string): Decision {
  return runUnsafeSimulation(simulation(policy, request, account), {}) as Decision;
}

export { defaultKeyPolicy, type PolicyDocument };
