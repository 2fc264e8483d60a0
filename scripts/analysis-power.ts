/**
 * `npm run analysis-power`: how often the analysis (services[].analysis) gets
 * it right over seeded runs of the simulation. The example of
 * examples/analysis (a 10 % canary held 1200 s, 100 requests a second, a
 * margin of 0.2 percentage points at 95 % confidence, p99 within 5 %) is
 * deployed once per seed of the account's metric noise: with the new colour
 * at 1.5 % of 5xx against the old one's 0.5 % (fault green-error-rate-1.5pct)
 * it must roll back in every run; with the two colours equal it must be
 * promoted in at least 95 of 100. Exits 1 when either target is missed.
 *
 * Usage: npm run analysis-power -- [--runs 100] [--json]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config/load.ts';
import { AccountSchema } from '../sim/account/schema.ts';
import { simulate } from '../sim/harness.ts';

const ROOT = join(import.meta.dirname, '..');
const CONFIG = join(ROOT, 'examples', 'analysis', 'baton.config.json');
const ACCOUNT = join(ROOT, 'examples', 'analysis', 'sim-account.json');

interface Scenario {
  readonly name: string;
  readonly faults: readonly string[];
  /** The record status every run should end with. */
  readonly want: 'ROLLED_BACK' | 'SUCCEEDED';
  /** The share of runs that must end so. */
  readonly target: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'new colour at 1.5 % of 5xx against 0.5 %', faults: ['green-error-rate-1.5pct'], want: 'ROLLED_BACK', target: 1 },
  { name: 'new colour equal to the old', faults: [], want: 'SUCCEEDED', target: 0.95 },
];

const { values } = parseArgs({ options: { runs: { type: 'string', default: '100' }, json: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs ${values.runs}: a whole number of runs, at least 1\n`);
  process.exit(2);
}

const config = loadConfig(CONFIG);
const account = AccountSchema.parse(JSON.parse(readFileSync(ACCOUNT, 'utf8')));
const input = { service: 'web', imageTag: 'v1.4.2' };

const results = [];
for (const scenario of SCENARIOS) {
  const outcomes = new Map<string, number>();
  const decidedAfter: number[] = [];
  for (let seed = 1; seed <= runs; seed++) {
    const result = await simulate({ config, account: { ...account, seed }, input, faults: [...scenario.faults] });
    const record = result.model.table.get(`DEPLOYMENT#${result.main.name}|RECORD`);
    const status = String(record?.status ?? result.main.status);
    outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
    if (status === 'ROLLED_BACK') decidedAfter.push(result.simulatedSeconds);
    const why = status === scenario.want ? '' : `: ${String(record?.outcomeReason ?? result.main.cause ?? '')}`;
    process.stderr.write(`analysis-power: ${scenario.name}, seed ${seed}: ${status}${why}\n`);
  }
  const right = outcomes.get(scenario.want) ?? 0;
  results.push({
    scenario: scenario.name,
    runs,
    want: scenario.want,
    right,
    outcomes: Object.fromEntries(outcomes),
    meets: right >= Math.ceil(scenario.target * runs),
    target: scenario.target,
    medianSecondsToRollback: decidedAfter.length ? decidedAfter.sort((a, b) => a - b)[Math.floor(decidedAfter.length / 2)] : undefined,
  });
}

if (values.json) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} else {
  process.stdout.write(
    `The analysis over ${runs} seeded runs per case (examples/analysis: canary 10 % for 1200 s, 100 requests/s, margin 0.2 pp, 95 % confidence):\n`,
  );
  for (const result of results) {
    const verb = result.want === 'ROLLED_BACK' ? 'rolled back' : 'promoted';
    const target = result.target === 1 ? 'every run' : `at least ${Math.ceil(result.target * runs)}`;
    const median =
      result.medianSecondsToRollback === undefined
        ? ''
        : `; median simulated time to the rollback's end ${result.medianSecondsToRollback} s`;
    process.stdout.write(
      `  ${result.scenario}: ${verb} in ${result.right} of ${runs} (target: ${target}) ${result.meets ? 'met' : 'NOT met'}; outcomes ${JSON.stringify(result.outcomes)}${median}\n`,
    );
  }
}
process.exitCode = results.every((result) => result.meets) ? 0 : 1;
