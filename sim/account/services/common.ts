/**
 * What every simulated service shares: the response metadata, AWS's common
 * errors (access denied, throttling, internal failure) and how a service
 * module is installed on the mocked SDK clients.
 */
import { ECSServiceException } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import type { SinonSandbox } from 'sinon';
import type { AccountModel } from '../model.ts';

export const META = { $metadata: { httpStatusCode: 200, requestId: 'sim' } };
export const errorMeta = (status: number) => ({ $metadata: { httpStatusCode: status, requestId: 'sim' } });

/** What a service module needs to answer its client's commands. */
export interface ServiceSetup {
  readonly model: AccountModel;
  /** The sandbox the client stubs are made in (SimulatedApis.uninstall restores it). */
  readonly sandbox: SinonSandbox;
  /** Wraps an operation so that the call is authorized, intercepted and logged like any other (SimulatedApis). */
  route<I, O>(service: string, operation: string, fn: (input: I) => O): (input: I) => Promise<O>;
}

/** A client stubbed in the sandbox; a command its service module does not model fails. */
export const stubClient: typeof mockClient = (client, options) => {
  const stub = mockClient(client, options);
  stub.onAnyCommand().rejects(new Error('the simulated account does not model this API call'));
  return stub;
};

/**
 * The error code each service answers a denied call with: AccessDeniedException
 * (HTTP 400), the common error of every API reference (e.g. Elastic Load
 * Balancing API Reference, "Common Errors"), except SNS, whose Publish
 * answers AuthorizationError (HTTP 403).
 */
const ACCESS_DENIED: Readonly<Record<string, { name: string; status: number }>> = {
  sns: { name: 'AuthorizationError', status: 403 },
};

export function accessDeniedError(service: string, message: string, action = ''): Error {
  // SNS answers a publisher the topic's key refuses with KMSAccessDenied (Publish, "Errors").
  if (service === 'sns' && action.startsWith('kms:')) {
    return new ECSServiceException({ name: 'KMSAccessDeniedException', $fault: 'client', message, ...errorMeta(400) });
  }
  const shape = ACCESS_DENIED[service] ?? { name: 'AccessDeniedException', status: 400 };
  return new ECSServiceException({ name: shape.name, $fault: 'client', message, ...errorMeta(shape.status) });
}

/** A throttling error as ECS and ELB send it. */
export function throttlingError(service: string): Error {
  return new ECSServiceException({
    name: service === 'elb' ? 'Throttling' : 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    ...errorMeta(400),
  });
}

export function internalError(): Error {
  return new ECSServiceException({
    name: 'InternalFailure',
    $fault: 'server',
    message: 'We encountered an internal error. Please try again.',
    ...errorMeta(500),
  });
}

export function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
