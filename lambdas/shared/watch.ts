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

/** What a watch reads every second: the events' failures, and whether an operator ended the watch (`baton promote`). */
export interface Look {
  readonly failures: readonly string[];
  readonly promoted?: boolean;
}

/** How a watch ended: its time was over, the invocation's time ran out first, or an operator promoted it. */
export type WatchEnd = 'over' | 'out-of-time' | 'promoted';

export interface Watch {
  /** What the events reported (signalFailures of the deployment, or of each service of a release), and a promotion. */
  readonly signals: () => Promise<Look>;
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

/**
 * Sleeps until `at`, reading the signal every second; throws `fail` when it
 * reports a failure. True when an operator promoted the watch meanwhile.
 */
async function waitWatching(watch: Watch, at: number): Promise<boolean> {
  while (Date.now() < at) {
    await sleep(Math.min(SIGNAL_POLL_SECONDS * 1000, at - Date.now()));
    const look = await watch.signals();
    if (look.failures.length > 0) throw watch.fail([...look.failures]);
    if (look.promoted) return true;
  }
  return false;
}

/**
 * Checks the gates now, then every interval until `until`, reading the signal
 * every second in between; throws `fail` at the first failure. Ends 'over'
 * when the watch's time is over, 'out-of-time' when the invocation's time ran
 * out first (the state machine calls again, and that invocation checks at
 * once), 'promoted' when an operator ended it (the caller checks the gates
 * again before it acts: the last check may be up to an interval old).
 */
export async function watchUntil(watch: Watch): Promise<WatchEnd> {
  const until = Date.parse(watch.until);
  const stopAt = invocationDeadline(watch.remainingMillis);
  const check = async () => {
    const failures = await watch.check();
    if (failures.length > 0) throw watch.fail(failures);
  };
  await check();
  while (Date.now() < until) {
    const nextCheck = Math.min(Date.now() + watch.intervalSeconds * 1000, until);
    if (await waitWatching(watch, Math.min(nextCheck, stopAt))) return 'promoted';
    if (Date.now() < nextCheck) return 'out-of-time';
    await check();
  }
  return 'over';
}
