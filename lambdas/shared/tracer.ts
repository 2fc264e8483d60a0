/**
 * The one X-Ray tracer of the handlers (Powertools Tracer). It is active only
 * in Lambda (the stack turns on active tracing); in tests and the simulation
 * it does nothing. Responses and outgoing HTTP requests are not captured: a
 * response is a deployment state (ids only, but large), and an HTTP request's
 * URL can be a credential (the chat webhook).
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

export const tracer = new Tracer({ serviceName: 'baton', captureHTTPsRequests: false });
