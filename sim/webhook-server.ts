/**
 * The chat service as an HTTP endpoint: a real local server (127.0.0.1, an
 * ephemeral port) that records what Baton posts to the chat webhook, so the
 * notification code makes a real request. The simulation points the webhook
 * secret at it, keeping the secret's path (and its SIMSECRET marker).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccountModel } from './account/model.ts';

export interface WebhookServer {
  /** Every POST body received, parsed as JSON. */
  readonly received: Array<{ path: string; body: unknown }>;
  close(): Promise<void>;
}

/** Rewrites the webhook secret's URL to the local server and starts it; undefined when the secret is not in the account. */
export async function startWebhookServer(model: AccountModel, secretArn: string): Promise<WebhookServer | undefined> {
  const version = model.secrets[secretArn]?.versions.find((v) => v.stages.includes('AWSCURRENT'));
  const url = version?.value.url;
  if (!version || typeof url !== 'string') return undefined;
  const received: WebhookServer['received'] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // Kept as text: the test that reads it says what was wrong.
      }
      received.push({ path: request.url ?? '', body: parsed });
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  version.value = { ...version.value, url: `http://127.0.0.1:${port}${new URL(url).pathname}` };
  return { received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
