/**
 * The clock of a handler that watches inside its invocation
 * (lambdas/shared/watch.ts). A test mocks the sleep of lambdas/shared/time.ts
 * with sleepOnFakeClock:
 *
 *   vi.mock('…/lambdas/shared/time.ts', async (importOriginal) => ({
 *     ...(await importOriginal<typeof import('…/lambdas/shared/time.ts')>()),
 *     sleep: (await import('…/support/sleep.ts')).sleepOnFakeClock,
 *   }));
 *
 * and fakes Date (vi.useFakeTimers({ toFake: ['Date'] })): each sleep moves
 * the clock on by the time slept at once, as the simulation's virtual clock
 * does, so a watch of minutes runs in milliseconds.
 */
import { vi } from 'vitest';

export async function sleepOnFakeClock(millis: number): Promise<void> {
  vi.setSystemTime(Date.now() + Math.max(0, millis));
}

/** The part of a Lambda context a phase reads: `seconds` left (read once, when the watch starts). */
export function lambdaContext(seconds: number): { getRemainingTimeInMillis: () => number } {
  return { getRemainingTimeInMillis: () => seconds * 1000 };
}
