/**
 * The lock's lease along a deployment: renewed as every phase's invocation starts and ends, held through every watch
 * (a watch waits inside one invocation for up to 840 s, lambdas/shared/watch.ts; the lease is 900 s).
 * run() and runWith() check the invariants of docs/architecture.md after every run.
 */
import { describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../../lambdas/shared/config-schema.ts';
import type { SimulationResult } from '../../../sim/harness.ts';
import { rawExampleConfig } from '../../support/config.ts';
import { run } from '../../support/simulation.ts';

/** A lock-holding phase's renewals: the check at its start (900 s), then the renewal as it ends for the wait ahead. */
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
      const second = Math.floor(call.at / 1000);
      return { state: call.state, until, second, secondsAhead: until - second, error: call.error };
    });
}

/** The phases that watch inside their invocation. */
const WATCHING = ['Check new colour stability', 'Check bake', 'Check before retiring old colour'];

describe("the lock's lease", () => {
  it('renews the lease in every phase for 900 s plus the wait ahead of it, once as each invocation starts and once as it ends', async () => {
    // Arrange / Act
    const result = await run();

    // Assert: the phases that change the service first check that they still hold the lock by renewing it for
    // 900 s; every phase renews it once done for 900 s plus the wait ahead (its output's wait.seconds: none on this
    // path, where every phase that waits does so inside its invocation). Each watching phase is one invocation
    // here (stability 45 s, bake 300 s, scale-down delay 300 s), so two renewals each. Complete released the lock
    // before its last renewal, which finds no lock of its own.
    const renewals = leaseRenewals(result);
    expect(renewals.map(({ state, secondsAhead, error }) => [state, secondsAhead, error])).toEqual([
      ['Initialize', 900, undefined],
      ['Validate', 900, undefined],
      ...holding('Prepare task definition', 900),
      ...holding('Deploy new colour', 900),
      ...holding('Check new colour stability', 900),
      ...holding('Verify new colour', 900),
      ...holding('Record smoke test', 900),
      ...holding('Shift traffic', 900),
      ...holding('Check bake', 900),
      ...holding('Check before retiring old colour', 900),
      ['Complete deployment', 900, undefined],
      ['Complete deployment', 900, 'ConditionalCheckFailedException'],
    ]);
    expect(renewals.length).toBe(20);
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

  it('holds the lock through every watch: a 1800 s bake is three invocations of up to 840 s, 60 s of lease to spare', async () => {
    // Arrange
    const raw = rawExampleConfig() as { services: Array<Record<string, unknown>> };
    Object.assign(raw.services[0] ?? {}, { bakeSeconds: 1800 });
    const config = BatonConfigSchema.parse(raw);

    // Act
    const result = await run({ config });

    // Assert: the seconds of lease left as each renewal of a watching phase is made (the previous renewal's end).
    expect(result.main.status).toBe('SUCCEEDED');
    const renewals = leaseRenewals(result).filter((renewal) => renewal.error === undefined);
    const left = renewals.slice(1).map((renewal, index) => [renewal.state, (renewals[index]?.until ?? 0) - renewal.second] as const);
    expect(left.filter(([state]) => WATCHING.includes(String(state)))).toEqual([
      // 45 s of looking at the rollout.
      ['Check new colour stability', 900],
      ['Check new colour stability', 855],
      // The bake: 840 s, 840 s, then the last 120 s; each invocation renews for 900 s as it starts.
      ['Check bake', 900],
      ['Check bake', 60],
      ['Check bake', 900],
      ['Check bake', 60],
      ['Check bake', 900],
      ['Check bake', 780],
      // The 300 s scale-down delay.
      ['Check before retiring old colour', 900],
      ['Check before retiring old colour', 600],
    ]);
    expect(Math.min(...left.map(([, seconds]) => seconds))).toBe(60);
  });
});
