/**
 * The lock's lease along a deployment: renewed in every phase, held past every wait.
 * run() and runWith() check the invariants of docs/architecture.md after every run.
 */
import { describe, expect, it } from 'vitest';
import type { SimulationResult } from '../../../sim/harness.ts';
import { run, runWith } from '../../support/simulation.ts';

function times<T>(items: T[], count: number): T[] {
  return Array.from({ length: count }, () => items).flat();
}

/** A lock-holding phase's renewals: the check at its start (900 s), then the renewal for the wait ahead. */
function holding(state: string, secondsAhead: number): Array<[string, number, undefined]> {
  return [
    [state, 900, undefined],
    [state, secondsAhead, undefined],
  ];
}

/** The lease renewals: UpdateItem calls on the service lock. */
function leaseRenewals(result: SimulationResult) {
  return result.apis.calls
    .filter((call) => call.operation === 'UpdateItem' && (call.input as { Key?: { pk?: unknown } }).Key?.pk === 'LOCK#web')
    .map((call) => {
      const until = Number((call.input as { ExpressionAttributeValues?: Record<string, unknown> }).ExpressionAttributeValues?.[':until']);
      // The lease is in whole epoch seconds, counted from the second the call was made in.
      return { state: call.state, secondsAhead: until - Math.floor(call.at / 1000), error: call.error };
    });
}

describe("the lock's lease", () => {
  it('renews the lease in every phase for 900 s plus the wait ahead of it', async () => {
    // Arrange / Act
    const result = await run();

    // Assert: the phases that change the service first check that they still hold the lock by renewing it for
    // 900 s; every phase renews it once done for 900 s plus the wait ahead. Complete released the lock before
    // its last renewal, which finds no lock of its own.
    const renewals = leaseRenewals(result);
    expect(renewals.map(({ state, secondsAhead, error }) => [state, secondsAhead, error])).toEqual([
      ['Initialize', 900, undefined],
      ['Validate', 900, undefined],
      ...holding('Prepare task definition', 900),
      ...holding('Deploy new colour', 915),
      ...times(holding('Check new colour stability', 915), 3),
      ...holding('Verify new colour', 915),
      ...holding('Record smoke test', 915),
      ...holding('Shift traffic', 930),
      ...times(holding('Check bake', 930), 10),
      ...times(holding('Check before retiring old colour', 930), 9),
      ...holding('Check before retiring old colour', 900),
      ['Complete deployment', 900, undefined],
      ['Complete deployment', 900, 'ConditionalCheckFailedException'],
    ]);
    expect(renewals.length).toBe(60);
    // Each renewal beyond 900 s is 900 s plus the `wait.seconds` of the output of the state that renewed it.
    const renewing = new Set(renewals.map((renewal) => renewal.state));
    const exits = result.main.events.flatMap((event) =>
      event.type === 'StateExited' && event.state && renewing.has(event.state.name)
        ? [[event.state.name, (event.state.output as { wait?: { seconds?: number } } | undefined)?.wait?.seconds ?? 0] as const]
        : [],
    );
    expect(renewals.filter((renewal) => renewal.secondsAhead !== 900).map((renewal) => [renewal.state, renewal.secondsAhead])).toEqual(
      exits.filter(([, wait]) => wait > 0).map(([state, wait]) => [state, 900 + wait]),
    );
  });

  it('holds the lock past every wait of the bake and of the scale-down delay', async () => {
    // Arrange: the lease as each wait starts and as each check after it starts.
    const margins: Array<[string, number]> = [];
    const result = await runWith({}, (ctx) => {
      ctx.onStateEntered.push((state) => {
        const watched = ['Wait during bake', 'Check bake', 'Wait before retiring old colour', 'Check before retiring old colour'];
        if (![...watched, 'Complete deployment'].includes(state)) return;
        const lease = Number(ctx.model.table.get('LOCK#web|LOCK')?.leaseExpiresAt);
        margins.push([state, lease - Math.floor(Date.now() / 1000)]);
      });
    });

    // Assert: 930 s left as each 30 s wait starts, 900 s left when the check after it runs, through the bake and the delay.
    expect(result.main.status).toBe('SUCCEEDED');
    expect(margins).toEqual([
      ...Array(10)
        .fill([
          ['Wait during bake', 930],
          ['Check bake', 900],
        ])
        .flat(),
      ...Array(10)
        .fill([
          ['Wait before retiring old colour', 930],
          ['Check before retiring old colour', 900],
        ])
        .flat(),
      ['Complete deployment', 900],
    ]);
  });
});
