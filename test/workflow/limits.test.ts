/**
 * AWS's limits in the rehearsal: what would fail in a real account fails
 * here the same way, and what Baton can refuse first it refuses with the
 * arithmetic, before any change.
 */
import { describe, expect, it } from 'vitest';
import { NEW_TAG, record, run, weights } from '../support/simulation.ts';

describe('a strategy given in the execution input', () => {
  it('is refused before any change when its holds would pass 25,000 history events', async () => {
    // Arrange / Act: 99 steps of 1 %, each held a day: 104 invocations of Shift traffic per step (up to 840 s of
    // watching each, 7 history events each), whatever the gate interval.
    const result = await run({
      input: { service: 'web', imageTag: NEW_TAG, strategy: { type: 'linear', stepPercent: 1, intervalSeconds: 86_400 } },
    });

    // Assert
    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe(
      "InvalidInputError: invalid execution input: strategy: holding traffic 8553600 s at web's 30 s gate interval makes one deployment write up to 72,207 history events, over Step Functions' 25,000-event limit per execution",
    );
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(result.apis.calls.filter((call) => call.operation === 'UpdateService' || call.operation === 'ModifyListener')).toEqual([]);
  });

  it('is refused before any change when one deployment could outlast the execution timeout', async () => {
    // Arrange / Act: a canary held 21,000 s; with stability, bake and scale-down that passes 21,600 s.
    const result = await run({
      input: { service: 'web', imageTag: NEW_TAG, strategy: { type: 'canary', percent: 10, bakeSeconds: 21_000 } },
    });

    // Assert
    expect(record(result)?.status).toBe('REJECTED');
    expect(String(record(result)?.outcomeReason)).toMatch(
      /^InvalidInputError: invalid execution input: strategy: one deployment of web would take up to [\d,]+ s \(.*\), longer than the execution timeout of 21600 s$/,
    );
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});

describe('state data', () => {
  it('fails the execution with States.DataLimitExceeded past any Catch when a state input passes 256 KiB', async () => {
    // Arrange / Act
    const result = await run({ input: { service: 'web', imageTag: NEW_TAG, reason: 'x'.repeat(300_000) } });

    // Assert: Step Functions fails the execution; the backstop records that nothing changed.
    expect(result.main.status).toBe('FAILED');
    expect(result.main.error).toBe('States.DataLimitExceeded');
    expect(result.main.historyEvents).toBeGreaterThan(0);
    expect(record(result)?.status).toBe('REJECTED');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});

describe('history', () => {
  it('counts the events Step Functions writes for the example deployment: 84 for its 23 transitions', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.transitions).toBe(23);
    expect(result.main.historyEvents).toBe(84);
  });
});
