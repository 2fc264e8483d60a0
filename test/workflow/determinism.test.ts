/**
 * A simulation is deterministic: the same config, account, input and faults
 * give the same run, call for call. The workflow tests rely on it when they
 * share one run between tests that ask for the same (test/support/simulation.ts).
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import type { SimulationResult } from '../../sim/harness.ts';
import { exampleConfig, ROOT, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { accountFile, exampleAccount, NEW_TAG, runIn } from '../support/simulation.ts';

/**
 * Calls (or log lines) made at one simulated moment, as a set: concurrent calls of one handler (Promise.all) may
 * interleave either way, as they may in AWS.
 */
function byMoment<T>(items: readonly T[], at: (item: T) => number): Array<[number, string[]]> {
  const moments = new Map<number, string[]>();
  for (const item of items) moments.set(at(item), [...(moments.get(at(item)) ?? []), JSON.stringify(item)]);
  return [...moments].map(([moment, made]) => [moment, made.sort()]);
}

/**
 * Everything a run did, without its wall time. `parallel`: the run has Map iterations (a release), whose states
 * at one moment may enter in either order, as in Step Functions: its path is compared as the states it entered.
 */
function observed(result: SimulationResult, parallel = false): unknown {
  return {
    executions: [result.main, ...result.others].map(({ name, status, executionPath, error, cause, output }) => ({
      name,
      status,
      executionPath: parallel ? [...executionPath].sort() : executionPath,
      error,
      cause,
      output,
    })),
    simulatedSeconds: result.simulatedSeconds,
    calls: byMoment(result.apis.calls, (call) => call.at),
    table: [...result.model.table.entries()],
    listeners: result.model.listeners,
    logLines: byMoment(result.logLines, (line) => Date.parse((JSON.parse(line) as { timestamp?: string }).timestamp ?? '')),
    webhook: result.webhook,
    backstop: result.backstop,
    sweeps: result.sweeps,
    scaling: result.scaling,
    signalToRestoreSeconds: result.signalToRestoreSeconds,
  };
}

describe('a simulation run twice', () => {
  it.each([[[]], [['alarm-during-bake']], [['green-tasks-crash', 'rollback-listener-fails-once']]])(
    'makes the same calls at the same simulated times, with faults %j',
    async (faults) => {
      // Act
      const options = { input: { service: 'web', imageTag: NEW_TAG }, faults };
      const first = await runIn(exampleConfig(), exampleAccount(), options, true);
      const second = await runIn(exampleConfig(), exampleAccount(), options, true);

      // Assert
      expect(first.apis.calls.length).toBeGreaterThan(50);
      expect(observed(second)).toEqual(observed(first));
    },
  );

  it('releases three services the same way each time', async () => {
    // Arrange
    const config = loadConfig(THREE_SERVICES_CONFIG_PATH);
    const account = accountFile('sim/accounts/three-services.json');
    const options = { input: JSON.parse(readFileSync(`${ROOT}/examples/three-services/release.json`, 'utf8')) as unknown };

    // Act
    const first = await runIn(config, account, options, true);
    const second = await runIn(config, account, options, true);

    // Assert
    expect(first.main.status).toBe('SUCCEEDED');
    expect(observed(second, true)).toEqual(observed(first, true));
  });
});
