/**
 * The three-service example account: each service deploys on its own, with
 * its own lock, listener and record, and leaves the other services as they were.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { productionListenerOf, targetGroupOf } from '../../lambdas/shared/service-resources.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import { openSimulation } from '../../sim/harness.ts';
import { THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { record, run } from '../support/simulation.ts';

const config = loadConfig(THREE_SERVICES_CONFIG_PATH);
const account = () => AccountSchema.parse(JSON.parse(readFileSync(THREE_SERVICES_ACCOUNT_PATH, 'utf8')));

describe('the three-service example', () => {
  it('declares api first, and worker and web depending on it', () => {
    expect(config.services.map((service) => [service.name, service.dependsOn])).toEqual([
      ['api', []],
      ['worker', ['api']],
      ['web', ['api']],
    ]);
  });

  it.each([
    ['api', 'v1.1.0'],
    ['worker', 'v2.4.0'],
    ['web', 'v1.4.2'],
  ])('deploys %s %s alone and leaves the production listeners of the other services as they were', async (name, imageTag) => {
    // Arrange
    const start = account();

    // Act
    const result = await run({ config, account: start, input: { service: name, imageTag } });

    // Assert
    expect(record(result)).toMatchObject({ status: 'SUCCEEDED', service: name, imageTag });
    for (const service of config.services) {
      const forward = result.model.listeners[productionListenerOf(service)]?.forward ?? {};
      const expected = service.name === name ? { blue: 0, green: 100 } : { blue: 100, green: 0 };
      expect([service.name, forward[targetGroupOf(service.blue)], forward[targetGroupOf(service.green)]]).toEqual([
        service.name,
        expected.blue,
        expected.green,
      ]);
    }
    expect([...result.model.table.keys()].filter((key) => key.startsWith('LOCK#'))).toEqual([]);
  });

  it('runs worker and web side by side on one timeline: both succeed in the time one takes', async () => {
    // Arrange
    const open = await openSimulation({ config, account: account(), input: {} });
    try {
      const { simulation } = open;

      // Act: two executions started at the same moment, as two ECR pushes would.
      const worker = simulation.startExecution('worker-v2_4_0', { service: 'worker', imageTag: 'v2.4.0' });
      const web = simulation.startExecution('web-v1_4_2', { service: 'web', imageTag: 'v1.4.2' });
      await simulation.settle();

      // Assert: each takes 10:45.250 (stability, bake, scale-down delay, the transitions' and invokes' milliseconds);
      // together they still end after 10:45.250.
      expect([worker.status, web.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect((Date.now() - open.start) / 1000).toBe(645.25);
      expect([(worker.stopDate ?? 0) - open.start, (web.stopDate ?? 0) - open.start]).toEqual([645_250, 645_250]);
      for (const name of ['worker-v2_4_0', 'web-v1_4_2']) {
        expect(simulation.model.table.get(`DEPLOYMENT#${name}|RECORD`)?.status).toBe('SUCCEEDED');
      }
    } finally {
      open.close();
    }
  });
});
