/**
 * The network as a deployed function sees it. A function's HTTP requests
 * (fetch) to an address the account serves (a test listener) are answered by
 * the local server that stands in for it; a load balancer that is internal
 * (its DNS name starts with `internal-`) is reachable only from a function
 * attached to a VPC, as in AWS, where any other function's request never
 * connects. Requests made outside any function (the simulator, the CLI) and
 * to 127.0.0.1 pass through unchanged.
 */
import { runningFunction } from './functions.ts';

export interface Route {
  /** The URL (or its origin) a config addresses. */
  readonly url: string;
  /** The origin of the local server that answers for it. */
  readonly to: string;
  /** Simulated time the answer takes (ms): the virtual clock moves by it, so the caller measures it. */
  readonly latencyMs?: () => number;
}

/** How fetch fails when the connection never opens (undici's shape: a TypeError with the socket error as its cause). */
function connectError(host: string, code: 'ETIMEDOUT' | 'ENOTFOUND', detail: string): TypeError {
  const cause = Object.assign(new Error(`${code === 'ENOTFOUND' ? 'getaddrinfo' : 'connect'} ${code} ${host} (${detail})`), { code });
  return new TypeError('fetch failed', { cause });
}

/** @param elapse moves the virtual clock forward by some milliseconds. */
export function installNetwork(routes: readonly Route[], elapse: (ms: number) => void): () => void {
  const original = globalThis.fetch;
  const byOrigin = new Map(routes.map((route) => [new URL(route.url).origin, route]));
  const routed: typeof fetch = async (resource, init) => {
    const fn = runningFunction();
    const url = new URL(resource instanceof Request ? resource.url : String(resource));
    if (!fn || url.hostname === '127.0.0.1' || url.hostname === 'localhost') return original(resource, init);
    const route = byOrigin.get(url.origin);
    if (!route) throw connectError(url.hostname, 'ENOTFOUND', 'the simulated network knows no such address');
    if (url.hostname.startsWith('internal-') && !fn.inVpc) {
      throw connectError(
        url.hostname,
        'ETIMEDOUT',
        `an internal load balancer answers only inside its VPC; function ${fn.name} has no VpcConfig`,
      );
    }
    const response = await original(`${new URL(route.to).origin}${url.pathname}${url.search}`, init);
    elapse(route.latencyMs?.() ?? 0);
    return response;
  };
  globalThis.fetch = routed;
  return () => {
    globalThis.fetch = original;
  };
}
