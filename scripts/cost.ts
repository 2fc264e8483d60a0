/**
 * `npm run cost`: what Baton costs, computed rather than guessed. The fixed
 * monthly part is counted from the synthesized template (alarms, dashboards,
 * KMS keys, the backstop's sweep schedule and the custom metrics the
 * functions publish per service); the per-deployment part from a simulated
 * deployment of the real state machine (its state transitions, each Lambda
 * invocation with the memory the template gives its function, and the time
 * both colours run, from the Deploy state until the old colour is scaled to 0).
 *
 * Usage: tsx scripts/cost.ts [--config <file>] [--account <file>] [--input '<json>'] [--json]
 * Prices are AWS's us-east-1 list prices (PRICES, with their pages); other
 * regions differ by a few percent.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config/load.ts';
import { AccountSchema } from '../sim/account/schema.ts';
import { definitionFor } from '../sim/definition.ts';
import { simulate } from '../sim/harness.ts';
import { costOf, PRICES } from './cost-model.ts';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'baton.config.json' },
    account: { type: 'string', default: 'sim/accounts/example.json' },
    input: { type: 'string', default: '{"service":"web","imageTag":"v1.4.2"}' },
    json: { type: 'boolean', default: false },
  },
});

const config = loadConfig(values.config);
const account = AccountSchema.parse(JSON.parse(readFileSync(values.account, 'utf8')));
const input: unknown = JSON.parse(values.input);
const result = await simulate({ config, account, input });
if (result.main.status !== 'SUCCEEDED') {
  process.stderr.write(
    `the simulated deployment ended ${result.main.status} (${result.main.error ?? ''}); cost is computed for a deployment that succeeds\n`,
  );
  process.exit(1);
}
const cost = costOf(config, account, await definitionFor(config), result, values.input);
if (values.json) process.stdout.write(`${JSON.stringify(cost, null, 2)}\n`);
else {
  const usd = (value: number) => `${value.toFixed(value < 0.1 ? 4 : 2)} USD`;
  const lines = [
    `Baton's cost for ${config.services.length} service(s), at us-east-1 list prices (${PRICES.asOf})`,
    '',
    'Fixed, per month:',
    ...cost.monthly.items.map((item) => `  ${item.what.padEnd(58)} ${usd(item.usd).padStart(12)}`),
    `  ${'total'.padEnd(58)} ${usd(cost.monthly.totalUsd).padStart(12)}`,
    '',
    `Per deployment (${cost.deployment.input}):`,
    ...cost.deployment.items.map((item) => `  ${item.what.padEnd(58)} ${usd(item.usd).padStart(12)}`),
    `  ${'total'.padEnd(58)} ${usd(cost.deployment.totalUsd).padStart(12)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
