/**
 * Time helpers. Handlers read the clock through Date and sleep through
 * node:timers/promises, so the simulation's virtual clock reaches both
 * (sim/artifact/functions.ts).
 */
import { setTimeout as delay } from 'node:timers/promises';

export function nowIso(): string {
  return new Date().toISOString();
}

export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

export function isPast(iso: string): boolean {
  return Date.now() >= Date.parse(iso);
}

/* The watch inside one invocation (watch.ts). */
/** Seconds between two reads of the signal while a watch waits: an event reaches the rollback within this. */
export const SIGNAL_POLL_SECONDS = 1;
/**
 * Seconds an invocation keeps for itself after its last wait: the last check
 * (three reads, each retried by the SDK) and the phase's record and lease.
 */
export const WATCH_MARGIN_SECONDS = 30;
/**
 * The longest watch in one invocation. The lease every phase renews at its
 * start lasts LEASE_SECONDS (900, lock/table.ts), and Lambda stops a function
 * at 900 s at most: 840 s keeps both with a margin.
 */
export const MAX_WATCH_SECONDS = 840;

/** Seconds between two looks at a rolling-out ECS deployment. */
export const STABILITY_POLL_SECONDS = 15;

/** Waits `millis` inside the invocation (a watch between its checks). */
export function sleep(millis: number): Promise<void> {
  return delay(Math.max(0, millis));
}
