/**
 * A watch inside one invocation: the gates checked every gate interval, and
 * the event-driven signal (signals.ts) every second in between, until the
 * watch is over or the invocation's time is nearly up. The state machine
 * calls the phase again for what is left (a Choice straight back to the Task):
 * a hold or a bake of any length costs one Task and one Choice per invocation
 * (7 history events per up to 14 minutes), not 9 events per gate interval as a
 * Wait state per check did (docs/architecture.md, "Long holds").
 */
import { MAX_WATCH_SECONDS, SIGNAL_POLL_SECONDS, sleep, WATCH_MARGIN_SECONDS } from './time.ts';

export interface Watch {
  /** What the events reported (signalFailures of the deployment, or of each service of a release). */
  readonly signals: () => Promise<string[]>;
  /** When the watch is over (ISO 8601). */
  readonly until: string;
  readonly intervalSeconds: number;
  /** The gates' failures now (empty: every gate passes); gateFailures reads the signal too. */
  readonly check: () => Promise<string[]>;
  /** The error a failure is reported as, in the phase's words. */
  readonly fail: (failures: string[]) => Error;
  /** Milliseconds the invocation has left (Lambda's context.getRemainingTimeInMillis). */
  readonly remainingMillis: () => number;
}

/** When this invocation stops waiting: its time less the margin, and at most MAX_WATCH_SECONDS from now. */
export function invocationDeadline(remainingMillis: () => number): number {
  return Date.now() + Math.min(remainingMillis() - WATCH_MARGIN_SECONDS * 1000, MAX_WATCH_SECONDS * 1000);
}

/** Sleeps until `at`, reading the signal every second; throws `fail` when it reports a failure. */
async function waitWatching(watch: Watch, at: number): Promise<void> {
  while (Date.now() < at) {
    await sleep(Math.min(SIGNAL_POLL_SECONDS * 1000, at - Date.now()));
    const failures = await watch.signals();
    if (failures.length > 0) throw watch.fail(failures);
  }
}

/**
 * Checks the gates now, then every interval until `until`, reading the signal
 * every second in between; throws `fail` at the first failure. Returns true
 * when the watch is over, false when the invocation's time ran out first (the
 * state machine calls again, and that invocation checks at once).
 */
export async function watchUntil(watch: Watch): Promise<boolean> {
  const until = Date.parse(watch.until);
  const stopAt = invocationDeadline(watch.remainingMillis);
  const check = async () => {
    const failures = await watch.check();
    if (failures.length > 0) throw watch.fail(failures);
  };
  await check();
  while (Date.now() < until) {
    const nextCheck = Math.min(Date.now() + watch.intervalSeconds * 1000, until);
    await waitWatching(watch, Math.min(nextCheck, stopAt));
    if (Date.now() < nextCheck) return false;
    await check();
  }
  return true;
}
