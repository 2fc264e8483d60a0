/**
 * Soak: runs the simulation against fault timings, configs and inputs that the
 * tests do not contain, and reports every run that broke an invariant, crashed,
 * or took more than 60 s of wall time.
 *
 *   npm run soak                 # every timed fault at every state of each strategy, every fault, the bad inputs
 *   npm run soak -- --quick      # one strategy, the timed faults only
 *
 * A timed fault bends the account as a state is entered: the new colour's
 * targets start failing, a service alarm fires, or the old colour's tasks stop.
 * The states are the ones a clean run of the same config goes through, so every
 * moment of a deployment gets each bad signal once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BatonConfig, BatonConfigSchema } from '../lambdas/shared/config-schema.ts';
import { AccountSchema, type AccountSpec } from '../sim/account/schema.ts';
import type { SimulationContext } from '../sim/context.ts';
import { idleColour, loadBalancerOf, newColourFails } from '../sim/faults/fault.ts';
import { FAULTS } from '../sim/faults/index.ts';
import { type SimulationResult, simulate } from '../sim/harness.ts';
import { checkInvariants } from '../sim/invariants.ts';
import { SimulationInputError } from '../sim/stepfunctions/execution.ts';

const ROOT = join(import.meta.dirname, '..');
const WALL_LIMIT_MS = 60_000;
const INPUT = { service: 'web', imageTag: 'v1.4.2' };

function baseConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'baton.config.json'), 'utf8')) as Record<string, unknown>;
}

function account(): AccountSpec {
  return AccountSchema.parse(JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')));
}

/** The example config with the web service's traffic settings replaced. */
function variant(settings: Record<string, unknown>): BatonConfig {
  const raw = baseConfig();
  const services = (raw.services as Array<Record<string, unknown>>).map((s) => (s.name === 'web' ? { ...s, ...settings } : s));
  return BatonConfigSchema.parse({ ...raw, services });
}

const CONFIGS: Record<string, () => BatonConfig> = {
  'all-at-once': () => variant({}),
  'canary, no bake': () => variant({ strategy: { type: 'canary', percent: 10, bakeSeconds: 120 }, bakeSeconds: 0 }),
  steps: () =>
    variant({
      strategy: {
        type: 'steps',
        steps: [
          { weight: 5, pauseSeconds: 60 },
          { weight: 50, pauseSeconds: 60 },
        ],
      },
    }),
  linear: () => variant({ strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 60 } }),
};

/** Bends the account; `to` is the colour the deployment moves to. */
type Bend = (ctx: SimulationContext, to: 'blue' | 'green') => void;

const TIMED: Record<string, Bend> = {
  'new colour unhealthy': (ctx, to) => newColourFails(ctx, loadBalancerOf(ctx, 'the soak\'s "new colour unhealthy"')[to]),
  'alarm fires': (ctx) => ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: soak', ctx.model.now),
};

interface Outcome {
  readonly label: string;
  readonly status: string;
  readonly broken: string[];
  readonly wallMs: number;
}

async function once(label: string, config: BatonConfig, options: { faults?: string[]; input?: unknown; bend?: [string, Bend] }) {
  const spec = account();
  const started = performance.now();
  let result: SimulationResult;
  try {
    result = await simulate({
      config,
      account: spec,
      input: options.input ?? INPUT,
      faults: options.faults ?? [],
      ...(options.bend
        ? {
            setup: (ctx: SimulationContext) => {
              const [state, bend] = options.bend as [string, Bend];
              // The colour the deployment moves to, read before it starts.
              const to = idleColour(ctx);
              let done = false;
              ctx.onStateEntered.push((entered) => {
                if (!done && entered === state) {
                  done = true;
                  bend(ctx, to);
                }
              });
            },
          }
        : {}),
    });
  } catch (error) {
    const wallMs = performance.now() - started;
    // An input refused before anything starts (as `npm run simulate` refuses it) is an answer, not a crash.
    if (error instanceof SimulationInputError) return { label, status: 'REFUSED', broken: [], wallMs } satisfies Outcome;
    return { label, status: 'CRASHED', broken: [String(error)], wallMs } satisfies Outcome;
  }
  const record = result.model.table.get(`DEPLOYMENT#${result.main.name}|RECORD`);
  const broken = checkInvariants(config, spec, result);
  const wallMs = performance.now() - started;
  if (wallMs > WALL_LIMIT_MS) broken.push(`took ${Math.round(wallMs)} ms of wall time`);
  return { label, status: `${result.main.status}/${String(record?.status ?? 'no record')}`, broken, wallMs } satisfies Outcome;
}

/** The Task and Wait states a clean run enters, in order, once each. */
async function statesOf(config: BatonConfig): Promise<string[]> {
  const seen: string[] = [];
  await simulate({
    config,
    account: account(),
    input: INPUT,
    onProgress: (event) => {
      if (event.kind === 'entered' && !seen.includes(event.state)) seen.push(event.state);
    },
  });
  return seen;
}

const BAD_INPUTS: Record<string, unknown> = {
  'deeply nested': JSON.parse(`${'{"a":'.repeat(4000)}1${'}'.repeat(4000)}`),
  'proto key': JSON.parse('{"service":"web","imageTag":"v1.4.2","__proto__":{"dryRun":true}}'),
  'control characters in reason': { ...INPUT, reason: 'ok\n\u001b[32mSTATUS: SUCCEEDED\u001b[0m' },
  'recover a running deployment': { recover: 'deploy-1' },
  'recover nothing': { recover: '' },
  'tag and digest disagree': { service: 'web', imageTag: 'v1.4.2', pushedTag: 'v9.9.9' },
  'unknown field': { ...INPUT, dryrun: true },
  'strategy as a string': { ...INPUT, strategy: 'canary' },
  'huge tag': { service: 'web', imageTag: 'v'.repeat(300_000) },
  'empty service': { service: '', imageTag: 'v1.4.2' },
  'not an object': [1, 2, 3],
};

async function main() {
  const quick = process.argv.includes('--quick');
  const outcomes: Outcome[] = [];
  const report = (outcome: Outcome) => {
    outcomes.push(outcome);
    const mark = outcome.broken.length ? 'BROKEN' : 'ok';
    console.log(`${mark.padEnd(6)} ${(outcome.wallMs / 1000).toFixed(1).padStart(5)} s  ${outcome.status.padEnd(28)} ${outcome.label}`);
    for (const line of outcome.broken) console.log(`         ${line}`);
  };
  for (const [name, make] of Object.entries(quick ? { 'all-at-once': CONFIGS['all-at-once'] } : CONFIGS)) {
    if (!make) continue;
    const config = make();
    const states = await statesOf(config);
    for (const state of states) {
      for (const [bendName, bend] of Object.entries(TIMED)) {
        report(await once(`${name}: ${bendName} at "${state}"`, config, { bend: [state, bend] }));
      }
    }
  }
  if (!quick) {
    const config = CONFIGS['all-at-once']?.() ?? variant({});
    for (const [fault, spec] of Object.entries(FAULTS)) {
      report(await once(`fault ${fault}`, config, { faults: [fault], ...(spec.input ? { input: spec.input } : {}) }));
    }
    for (const [name, input] of Object.entries(BAD_INPUTS)) report(await once(`input: ${name}`, config, { input }));
  }
  const broken = outcomes.filter((o) => o.broken.length > 0);
  const slowest = Math.max(...outcomes.map((o) => o.wallMs));
  console.log(`\n${outcomes.length} runs, ${broken.length} broken, slowest ${(slowest / 1000).toFixed(1)} s of wall time`);
  process.exitCode = broken.length > 0 ? 1 : 0;
}

await main();
