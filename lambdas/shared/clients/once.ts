/**
 * How the handlers' AWS SDK clients are made: one module per client (next
 * to this one), so a bundle requires only the SDK packages its handler's
 * import graph uses; each client is created at its first use, once per
 * container, and traced by X-Ray (a subsegment per call) when running in
 * Lambda. Tests and the simulation replace them by mocking the client
 * classes (aws-sdk-client-mock), so handlers never build clients of their own.
 */
import { tracer } from '../tracer.ts';

// The state machine owns retries (with backoff visible in the execution
// history); the SDK retries only briefly so a throttled call fails fast into
// a TransientAwsError that Step Functions retries.
export const SDK_OPTIONS = { maxAttempts: 2 } as const;

/** The client `create` makes, made at the first call and the same one after. */
export function clientOnce<T extends object>(create: () => T): () => T {
  let client: T | undefined;
  return () => {
    client ??= create();
    return client;
  };
}

/** A client traced by X-Ray when tracing is on (in Lambda), as it is otherwise. */
export function traced<T extends object>(client: T): T {
  return tracer.captureAWSv3Client(client);
}
