/**
 * What every simulated service shares: the response metadata, AWS's common
 * errors (access denied, throttling, internal failure) and how a service
 * module is installed on the SDK clients.
 */
import { ECSServiceException } from '@aws-sdk/client-ecs';
import type { AccountModel } from '../model.ts';

export const META = { $metadata: { httpStatusCode: 200, requestId: 'sim' } };
export const errorMeta = (status: number) => ({ $metadata: { httpStatusCode: status, requestId: 'sim' } });

/** What a service module needs to answer its client's commands. */
export interface ServiceSetup {
  readonly model: AccountModel;
  /** Where the client stubs are made (SimulatedApis.uninstall restores the clients). */
  readonly stubs: ClientStubs;
  /** Wraps an operation so that the call is authorized, intercepted and logged like any other (SimulatedApis). */
  route<I, O>(service: string, operation: string, fn: (input: I) => O): (input: I) => Promise<O>;
}

/** What a stubbed client answers a command with: the command's input in, the service's output (or its error) out. */
type Answer = (input: never) => Promise<unknown>;
type CommandClass = abstract new (...args: never[]) => { readonly input: unknown };
type Send = (command: { readonly input: unknown }) => Promise<unknown>;
/** A client class of any service (the document client's constructor is protected: only its prototype matters). */
interface ClientClass {
  readonly prototype: object;
}

/** One client's commands: `.on(Command).callsFake(answer)`, as aws-sdk-client-mock spells it. */
export interface ClientStub {
  on(command: CommandClass): { callsFake(answer: Answer): ClientStub };
}

/**
 * The SDK clients' `send`, replaced on each client class for one installation
 * and put back by restore(). A command is answered by its class (a command of
 * another class that extends it, by that one); a command no service module
 * answers fails, as a call the account does not model. One Map lookup a
 * call: a bake of a day reads its signal 86,400 times.
 */
export class ClientStubs {
  private readonly restores: Array<() => void> = [];

  stub(client: ClientClass): ClientStub {
    const answers = new Map<CommandClass, Answer>();
    const prototype = client.prototype as { send: Send };
    const own = Object.getOwnPropertyDescriptor(prototype, 'send');
    const answerOf = (command: { readonly input: unknown }): Answer | undefined => {
      const exact = answers.get(command.constructor as CommandClass);
      if (exact) return exact;
      for (const [type, answer] of answers) if (command instanceof type) return answer;
      return undefined;
    };
    prototype.send = function send(command) {
      const answer = answerOf(command);
      if (!answer) return Promise.reject(new Error('the simulated account does not model this API call'));
      return answer(command.input as never);
    };
    this.restores.push(() => {
      if (own) Object.defineProperty(prototype, 'send', own);
      else delete (prototype as Partial<typeof prototype>).send;
    });
    const stub: ClientStub = {
      on: (command) => ({
        callsFake: (answer) => {
          answers.set(command, answer);
          return stub;
        },
      }),
    };
    return stub;
  }

  /** Every client as it was before stub(). */
  restore(): void {
    for (const restore of this.restores.splice(0).reverse()) restore();
  }
}

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
