/**
 * Evaluates the synthesized IAM policies the way IAM would, with
 * @cloud-copilot/iam-simulate: a request (principal, action, resource, context
 * keys) against identity policies and a resource policy (topic, key or log
 * group policy). The template's intrinsics are first resolved to the concrete
 * ARNs of one account, so the policies are evaluated as deployed.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';
import { policiesOf } from './template.ts';

/** What a policy may hold once synthesized: JSON with CloudFormation intrinsics. */
type TemplateValue = string | number | boolean | null | TemplateValue[] | { [key: string]: TemplateValue };

/**
 * Resolves `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select` and `Fn::Split` of a
 * template value. `values` gives each Ref (`AWS::Partition`, a logical id) and
 * each attribute (`<logical id>.Arn`) its deployed value, as a record (a name
 * it lacks throws, so a policy is never evaluated with a placeholder) or as a
 * function.
 */
export function resolveIntrinsics(value: unknown, values: Readonly<Record<string, string>> | ((name: string) => string)): unknown {
  const v = value as TemplateValue;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((item) => resolveIntrinsics(item, values));
  const lookup = (name: string): string => {
    const found = typeof values === 'function' ? values(name) : values[name];
    if (found === undefined) throw new Error(`no deployed value for ${name}`);
    return found;
  };
  const asString = (part: unknown): string => {
    const resolved = resolveIntrinsics(part, values);
    if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  };
  if (typeof v.Ref === 'string') return lookup(v.Ref);
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return lookup(getAtt.map(String).join('.'));
  const join = v['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join;
    if (typeof separator !== 'string' || !Array.isArray(parts)) throw new Error(`malformed Fn::Join ${JSON.stringify(v)}`);
    return parts.map(asString).join(separator);
  }
  const split = v['Fn::Split'];
  if (Array.isArray(split)) {
    const [separator, source] = split;
    if (typeof separator !== 'string') throw new Error(`malformed Fn::Split ${JSON.stringify(v)}`);
    return asString(source).split(separator);
  }
  const select = v['Fn::Select'];
  if (Array.isArray(select)) {
    const [index, list] = select;
    const items = resolveIntrinsics(list, values);
    if (typeof index !== 'number' || !Array.isArray(items) || items[index] === undefined)
      throw new Error(`malformed Fn::Select ${JSON.stringify(v)}`);
    return items[index];
  }
  return Object.fromEntries(Object.entries(v).map(([key, item]) => [key, resolveIntrinsics(item, values)]));
}

/**
 * Deployed values for a stack in `account` and `region`: the pseudo
 * parameters, and an ARN naming the logical id (and attribute) for every
 * other Ref or GetAtt. For evaluating policies whose own resources do not
 * matter to the request.
 */
export function deployedIn(account: string, region: string): (name: string) => string {
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': region, 'AWS::AccountId': account };
  return (name) => pseudo[name] ?? `arn:aws:test:${region}:${account}:resource/${name}`;
}

/** The documents of every AWS::IAM::Policy of the template attached to the role, intrinsics resolved. */
export function identityPoliciesOf(template: Template, roleLogicalId: string, values: (name: string) => string): unknown[] {
  return policiesOf({ template }, roleLogicalId).map((policy) => resolveIntrinsics(policy.Properties.PolicyDocument, values));
}

export interface IamRequest {
  /** A role ARN, or a service principal such as `cloudwatch.amazonaws.com`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
  readonly context?: Readonly<Record<string, string>>;
  /** Policy documents attached to the principal (resolved). */
  readonly identityPolicies?: readonly unknown[];
  /** The resource's policy document (resolved): topic policy, key policy, log group policy. */
  readonly resourcePolicy?: unknown;
}

export interface IamDecision {
  /** `Allowed`, `ImplicitlyDenied` or `ExplicitlyDenied`. */
  readonly result: string;
  /**
   * Each resource pattern evaluated with its result. A request on `*` for an
   * action with resource types is evaluated once per ARN pattern the policies
   * name, so `[['*', 'Allowed']]` means allowed on `*` itself.
   */
  readonly patterns: Array<[string, string]>;
}

export async function evaluate(request: IamRequest): Promise<IamDecision> {
  const response = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: { ...request.context },
      },
      identityPolicies: (request.identityPolicies ?? []).map((policy, index) => ({ name: `policy${index}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    },
    { simulationMode: 'Strict' },
  );
  switch (response.resultType) {
    case 'error':
      throw new Error(`iam-simulate rejected the request: ${JSON.stringify(response.errors)}`);
    case 'single':
      return { result: response.overallResult, patterns: [[request.resource, response.overallResult]] };
    case 'wildcard':
      return {
        result: response.overallResult,
        patterns: response.results.map((r): [string, string] => [r.resourcePattern, r.analysis.result]),
      };
  }
}
