/**
 * The weight history of a deployment in its record (`weightChanges`), the
 * strategy's plan beside it (`plan`), and the TrafficWeight metric of each
 * production weight write, in the simulated account (which enforces the
 * functions' IAM from the template). run() checks the invariants after every run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/load.ts';
import { AccountSchema } from '../../../sim/account/schema.ts';
import type { SimulationResult } from '../../../sim/harness.ts';
import { THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../../support/config.ts';
import { at } from '../../support/records.ts';
import { record, run } from '../../support/simulation.ts';

const CANARY = { type: 'canary', percent: 10, bakeSeconds: 300 };
/** The example service's canary as the record states it: 10 % for 300 s, then everything; the service's bake and gate interval. */
const CANARY_PLAN = {
  strategy: 'canary',
  steps: [
    { weight: 10, pauseSeconds: 300 },
    { weight: 100, pauseSeconds: 0 },
  ],
  bakeSeconds: 300,
  gateIntervalSeconds: 30,
};
/** Both steps of the canary, from blue to green: smoke tested at 09:00:45, held exactly 300 s (the hold waits inside Shift traffic until 300 s after step 1). */
const CANARY_STEPS = [
  { at: at('09:00:45.225'), blue: 90, green: 10, phase: 'shiftTraffic', step: 1, of: 2 },
  { at: at('09:05:45.225'), blue: 0, green: 100, phase: 'shiftTraffic', step: 2, of: 2 },
];

/** [colour, TrafficWeight, time] of every TrafficWeight datapoint of the run. */
function trafficWeights(result: SimulationResult): Array<[unknown, unknown, string]> {
  return result.logLines
    .filter((line) => line.includes('"TrafficWeight"'))
    .map((line) => JSON.parse(line) as { _aws: { Timestamp: number }; colour: unknown; TrafficWeight: unknown; service: unknown })
    .map((line) => [line.colour, line.TrafficWeight, new Date(line._aws.Timestamp).toISOString()]);
}

describe('the weight history of a deployment', () => {
  it('keeps both canary steps, with their time and place in the plan, and the plan', async () => {
    // Act
    const result = await run({ input: { service: 'web', imageTag: 'v1.4.2', strategy: CANARY } });

    // Assert
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(record(result)?.weightChanges).toEqual(CANARY_STEPS);
    expect(record(result)?.plan).toEqual(CANARY_PLAN);
  });

  it('emits TrafficWeight for both colours at every write', async () => {
    // Act
    const result = await run({ input: { service: 'web', imageTag: 'v1.4.2', strategy: CANARY } });

    // Assert
    expect(trafficWeights(result)).toEqual([
      ['blue', 90, at('09:00:45.225')],
      ['green', 10, at('09:00:45.225')],
      ['blue', 0, at('09:05:45.225')],
      ['green', 100, at('09:05:45.225')],
    ]);
  });

  it('ends with the rollback putting 100 % back on the old colour when an alarm fires during the bake', async () => {
    // Act
    const result = await run({ input: { service: 'web', imageTag: 'v1.4.2', strategy: CANARY }, faults: ['alarm-during-bake'] });

    // Assert
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(record(result)?.weightChanges).toEqual([...CANARY_STEPS, { at: at('09:06:45.275'), blue: 100, green: 0, phase: 'rollback' }]);
    expect(record(result)?.plan).toEqual(CANARY_PLAN);
  });

  it('keeps the rollback once when its first listener write fails and the retry moves traffic back', async () => {
    // Act
    const result = await run({ faults: ['rollback-listener-fails-once'] });

    // Assert
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(record(result)?.weightChanges).toEqual([
      { at: at('09:00:45.225'), blue: 0, green: 100, phase: 'shiftTraffic', step: 1, of: 1 },
      // The alarm enters ALARM at 09:01:45.225 (its metric breached as the bake began, 60 s before); the bake's gate
      // check at 09:01:45.250 sends it to the rollback; the retry after the failed write moves traffic back 2 s later.
      { at: at('09:01:47.300'), blue: 100, green: 0, phase: 'rollback' },
    ]);
  });

  it('keeps the move back of the recovery that rolls back a stopped deployment in the record of the stopped one', async () => {
    // Act
    const result = await run({ abortAt: 'Check bake' });

    // Assert
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(record(result)?.weightChanges).toEqual([
      { at: at('09:00:45.225'), blue: 0, green: 100, phase: 'shiftTraffic', step: 1, of: 1 },
      { at: at('09:00:45.280'), blue: 100, green: 0, phase: 'rollback' },
    ]);
  });

  it('writes nothing for a dry run, which has no record', async () => {
    // Act
    const result = await run({ input: { service: 'web', imageTag: 'v1.4.2', dryRun: true } });

    // Assert
    expect(record(result)).toBeUndefined();
    expect(trafficWeights(result)).toEqual([]);
  });

  it('keeps one change per service and step in each record of a release shifted together', async () => {
    // Arrange
    const config = loadConfig(THREE_SERVICES_CONFIG_PATH);
    const account = AccountSchema.parse(JSON.parse(readFileSync(THREE_SERVICES_ACCOUNT_PATH, 'utf8')));
    const input = {
      release: '2026-11-22.1',
      services: { api: { imageTag: 'v1.1.0' }, worker: { imageTag: 'v2.4.0' }, web: { imageTag: 'v1.4.2' } },
      shift: 'together',
      strategy: { type: 'canary', percent: 10, bakeSeconds: 120 },
    };

    // Act
    const result = await run({ config, account, input });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    const histories = Object.fromEntries(
      ['api', 'web', 'worker'].map((name) => [name, record(result, `${result.main.name}-${name}`)?.weightChanges]),
    );
    const steps = [
      { at: at('09:01:30.375'), blue: 90, green: 10, phase: 'shiftTogether', step: 1, of: 2 },
      { at: at('09:03:30.375'), blue: 0, green: 100, phase: 'shiftTogether', step: 2, of: 2 },
    ];
    expect(histories).toEqual({ api: steps, web: steps, worker: steps });
  });
});
