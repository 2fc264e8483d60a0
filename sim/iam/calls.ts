/**
 * IAM in front of the simulated services: an API call a deployed function
 * makes is checked against its role (authorizer.ts) before the service acts;
 * a call made as an operator (asOperator: the CLI in tests) against the
 * operator or viewer managed policy of the template.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { AWS_MANAGED_KEY } from '../../lambdas/shared/secret-refs.ts';
import type { Authorize } from '../account/api.ts';
import type { AccountModel } from '../account/model.ts';
import { type FunctionHost, runningFunction, runningHost } from '../artifact/functions.ts';
import type { BoundDefinition } from '../definition.ts';
import { namedError, type RunningState } from '../stepfunctions/execution.ts';
import type { Authorizer, PolicyDocument } from './authorizer.ts';
import { authorizationRequests } from './requests.ts';

export interface CallGate {
  /** The simulation's function containers: a call from another simulation's function is refused. */
  readonly host: FunctionHost;
  readonly running: AsyncLocalStorage<RunningState>;
  readonly iam: Authorizer;
  readonly bound: BoundDefinition;
  readonly model: AccountModel;
}

/**
 * What an operator's role is given: one of the stack's managed policies
 * (`<name>-operator`, `<name>-viewer`: lib/constructs/operator-policy.ts), or
 * an identity policy of the test's own (one command's grants, say).
 */
export type OperatorPolicy = 'operator' | 'viewer' | PolicyDocument;

const operatorCalls = new AsyncLocalStorage<OperatorPolicy>();

/** Runs `work` as an operator whose role has only `policy`. */
export function asOperator<T>(policy: OperatorPolicy, work: () => Promise<T>): Promise<T> {
  return operatorCalls.run(policy, work);
}

/** Runs `work` as no operator: an execution runs with its own roles, not as whoever started it. */
export function asService<T>(work: () => T): T {
  return operatorCalls.exit(work);
}

/** The session name the operator's calls are made with (the principal is `assumed-role/<policy name>/operator`). */
const OPERATOR_SESSION = 'operator';

/**
 * IAM's answer for each API call of a running function, or of an operator
 * (asOperator); none for any other call from outside a function: the simulator, a CLI test that is no operator.
 */
export function authorizeCalls({ host, running, iam, bound, model }: CallGate): Authorize {
  const { assembly, resolver } = bound;
  const place = {
    account: assembly.account,
    region: assembly.region,
    // A customer managed key (the account schema names it by ARN or id); the AWS managed key needs no grant.
    secretKey: (secretId: string) => {
      const key = model.secrets[secretId]?.kmsKeyId;
      if (!key || AWS_MANAGED_KEY.test(key)) return undefined;
      return key.startsWith('arn:') ? key : `arn:aws:kms:${assembly.region}:${assembly.account}:key/${key}`;
    },
    topicKey: (topicArn: string) => resolver.topicKey(topicArn),
  };
  return async (service, operation, input) => {
    // An execution of a closed simulation still running in the background must not reach this account.
    const caller = runningHost();
    if (caller && caller !== host) throw namedError('SimulationClosed', `a function of a closed simulation called ${operation}`);
    // A hung invocation makes no further call: Lambda ends it at its timeout, and nothing it would do happens.
    if (running.getStore()?.invocation?.hung) throw namedError('InvocationHung', `the invocation stopped responding before ${operation}`);
    const fn = runningFunction();
    const requests = () => authorizationRequests(service, operation, input, place);
    if (fn) return iam.check(fn.roleLogicalId, fn.name, requests());
    const policy = operatorCalls.getStore();
    if (!policy) return undefined;
    if (typeof policy !== 'string') return iam.check(iam.operatorRole('Operator', policy), OPERATOR_SESSION, requests());
    // The role is named after the policy, so a denial says which one it had.
    const name = `${resolver.physicalName(assembly.stateMachine.resource)}-${policy}`;
    return iam.check(iam.operatorRole(name, iam.managedPolicyDocument(name)), OPERATOR_SESSION, requests());
  };
}
