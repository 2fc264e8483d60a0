/** `npm run cost`'s arithmetic (scripts/cost-model.ts) on simulated runs: what it counts, and only the services a run deploys. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import { costOf, PRICES } from '../../scripts/cost-model.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import { definitionFor } from '../../sim/definition.ts';
import { simulate } from '../../sim/harness.ts';
import { ROOT, THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';

const config = loadConfig(THREE_SERVICES_CONFIG_PATH);
const account = AccountSchema.parse(JSON.parse(readFileSync(THREE_SERVICES_ACCOUNT_PATH, 'utf8')));

async function costFor(input: string) {
  const result = await simulate({ config, account, input: JSON.parse(input) });
  return { result, cost: costOf(config, account, await definitionFor(config), result, input) };
}

describe('npm run cost', () => {
  it('charges a single deployment for its own service only, with the transitions it made', async () => {
    // Act
    const { result, cost } = await costFor('{"service":"web","imageTag":"v1.4.2"}');

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    const whats = cost.deployment.items.map((item) => item.what);
    expect(whats[0]).toBe(`${result.main.transitions} state transitions`);
    expect(whats.filter((what) => /^(api|worker|web): /.test(what))).toEqual(['web: 3 more tasks (0.5 vCPU, 1 GB) for 10.8 min']);
    // Each Task billed for as long as it ran, at least 1 s: the rollout (45 s), the bake (300 s) and the scale-down delay
    // (300 s) watched inside three of the 12 invocations, the other nine 1 s each: 654 s at 256 MB.
    expect(whats[1]).toBe('12 Lambda invocations, 163.5 GB-s (as long as each ran, at least 1 s)');
    expect(cost.deployment.items[0]?.usd).toBeCloseTo(result.main.transitions * PRICES.stateTransition, 10);
  }, 120_000);

  it('charges a release for each service it deploys, from its first Deploy', async () => {
    // Act
    const { cost } = await costFor(readFileSync(join(ROOT, 'examples', 'three-services', 'release.json'), 'utf8'));

    // Assert
    const doubled = cost.deployment.items.map((item) => item.what).filter((what) => /^(api|worker|web): /.test(what));
    expect(doubled).toEqual([
      'api: 2 more tasks (0.25 vCPU, 0.5 GB) for 11.5 min',
      'worker: 2 more tasks (0.25 vCPU, 0.5 GB) for 11.5 min',
      'web: 3 more tasks (0.5 vCPU, 1 GB) for 11.5 min',
    ]);
    // The pipeline's own alarms with the three services': SignalDeadLetters (the signal rules' dead-letter queue) among them.
    expect(cost.monthly.items.map((item) => item.what)).toContain('10 CloudWatch alarms');
  }, 120_000);
});
