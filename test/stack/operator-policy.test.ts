/**
 * The operator and viewer managed policies of the synthesized stack, statement
 * by statement, and the outputs that name them. That they are enough for each
 * command, and no more than the viewer's share, is shown against the
 * simulation under IAM's rules (test/workflow/baton-cli.test.ts,
 * test/workflow/operator-policy.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, REGION, synthExample } from '../support/example.ts';
import { logicalIdOf, resolveToString, type Synthesis } from '../support/synth.ts';
import type { Statement } from '../support/template.ts';

const STATE_MACHINE = `arn:\${AWS::Partition}:states:${REGION}:${ACCOUNT}:stateMachine:baton-production`;
const EXECUTIONS = `arn:\${AWS::Partition}:states:${REGION}:${ACCOUNT}:execution:baton-production:*`;
const TABLE = `arn:\${AWS::Partition}:dynamodb:${REGION}:${ACCOUNT}:table/baton-production-deployments`;

interface ManagedPolicy {
  readonly Properties: { readonly ManagedPolicyName: string; readonly PolicyDocument: { readonly Statement: Statement[] } };
}

/** A statement with its ARNs as strings (`arn:${AWS::Partition}:...`) and its lists as lists. */
function plain(statement: Statement): { effect: string; actions: string[]; resources: string[] } {
  return {
    effect: statement.Effect,
    actions: [statement.Action].flat(),
    resources: [statement.Resource].flat().map(resolveToString),
  };
}

describe('the operator policies', () => {
  let synthesis: Synthesis;
  let policy: (kind: 'Operator' | 'Viewer') => ManagedPolicy;

  beforeAll(() => {
    ({ synthesis } = synthExample());
    const { stack } = synthesis;
    policy = (kind) => {
      const id = logicalIdOf(stack, kind === 'Operator' ? stack.operatorPolicies.operator : stack.operatorPolicies.viewer);
      return synthesis.template.toJSON().Resources[id] as ManagedPolicy;
    };
  });

  it('creates baton-production-operator with what every command needs, scoped to the state machine and the table', () => {
    const { Properties } = policy('Operator');

    expect(Properties.ManagedPolicyName).toBe('baton-production-operator');
    expect(Properties.PolicyDocument.Statement.map(plain)).toEqual([
      { effect: 'Allow', actions: ['states:StartExecution'], resources: [STATE_MACHINE, `${STATE_MACHINE}:*`] },
      { effect: 'Allow', actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [TABLE] },
      {
        effect: 'Allow',
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution'],
        resources: [EXECUTIONS],
      },
      {
        effect: 'Allow',
        actions: [
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'states:SendTaskFailure',
          'states:SendTaskSuccess',
        ],
        resources: ['*'],
      },
      { effect: 'Allow', actions: ['dynamodb:Query'], resources: [`${TABLE}/index/byService`] },
    ]);
  });

  it('creates baton-production-viewer that reads and changes nothing', () => {
    const { Properties } = policy('Viewer');

    expect(Properties.ManagedPolicyName).toBe('baton-production-viewer');
    expect(Properties.PolicyDocument.Statement.map(plain)).toEqual([
      { effect: 'Allow', actions: ['dynamodb:GetItem'], resources: [TABLE] },
      { effect: 'Allow', actions: ['dynamodb:Query'], resources: [`${TABLE}/index/byService`] },
      { effect: 'Allow', actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: [EXECUTIONS] },
      { effect: 'Allow', actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'], resources: ['*'] },
    ]);
  });

  it('outputs the ARNs of both', () => {
    const outputs = synthesis.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const { stack } = synthesis;

    expect(outputs.OperatorPolicyArn?.Value).toEqual({ Ref: logicalIdOf(stack, stack.operatorPolicies.operator) });
    expect(outputs.ViewerPolicyArn?.Value).toEqual({ Ref: logicalIdOf(stack, stack.operatorPolicies.viewer) });
  });
});
