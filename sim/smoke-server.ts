/**
 * The new colour as an HTTP service: a real local server (127.0.0.1, an
 * ephemeral port) standing in for the test listener, so the smoke-test
 * handler makes real HTTP requests. What it answers follows the account: the
 * colour the test listener forwards to, the behaviour of the image that colour
 * runs, and the smoke faults.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceConfig } from '../lambdas/shared/config-schema.ts';
import type { AccountModel } from './account/model.ts';
import type { SimulationContext } from './context.ts';

export interface SmokeServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

function imageServedBy(model: AccountModel, service: ServiceConfig): string | undefined {
  const arn = service.testListenerArn;
  const forward = arn ? (model.listeners[arn]?.forward ?? {}) : {};
  const weight = (colour: 'blue' | 'green') => forward[service[colour].targetGroupArn ?? ''] ?? 0;
  const colour = weight('green') > weight('blue') ? 'green' : 'blue';
  const ecs = model.service(service.cluster, service[colour].serviceName);
  const definition = ecs ? model.taskDefinitions.get(ecs.taskDefinitionArn) : undefined;
  return definition?.containerDefinitions.find((c) => c.name === service.containerName)?.image;
}

export async function startSmokeServer(ctx: SimulationContext): Promise<SmokeServer> {
  const server: Server = createServer((request, response) => {
    const service = ctx.service;
    const image = imageServedBy(ctx.model, service);
    const healthy = image !== undefined && ctx.model.imageBehaviour(image) === 'healthy' && !ctx.smoke.fails;
    const reply = () => {
      response.writeHead(healthy ? 200 : 500, { 'content-type': 'application/json' });
      response.end(
        healthy
          ? JSON.stringify({ status: 'ok', path: request.url })
          : JSON.stringify({ status: 'degraded', path: request.url, checks: { database: 'timeout after 2000 ms' } }),
      );
    };
    // smoke-slow takes its time on the virtual clock (sim/artifact/network.ts), not in real time.
    reply();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
