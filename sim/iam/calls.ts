/**
 * IAM in front of the simulated services: an API call a deployed function
 * makes is checked against its role (authorizer.ts) before the service acts.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { AWS_MANAGED_KEY } from '../../lambdas/shared/secret-refs.ts';
import type { Authorize } from '../account/api.ts';
import type { AccountModel } from '../account/model.ts';
import { type FunctionHost, runningFunction, runningHost } from '../artifact/functions.ts';
import type { BoundDefinition } from '../definition.ts';
import { namedError, type RunningState } from '../stepfunctions/execution.ts';
import type { Authorizer } from './authorizer.ts';
import { authorizationRequests } from './requests.ts';

export interface CallGate {
  /** The simulation's function containers: a call from another simulation's function is refused. */
  readonly host: FunctionHost;
  readonly running: AsyncLocalStorage<RunningState>;
  readonly iam: Authorizer;
  readonly bound: BoundDefinition;
  readonly model: AccountModel;
}

/** IAM's answer for each API call of a running function (none for a call from outside a function: the simulator, the CLI). */
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
    if (!fn) return undefined;
    return iam.check(fn.roleLogicalId, fn.name, authorizationRequests(service, operation, input, place));
  };
}
