/** Time helpers. Handlers read the clock through Date, so the simulation's virtual clock reaches them. */
export function nowIso(): string {
  return new Date().toISOString();
}

export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

export function isPast(iso: string): boolean {
  return Date.now() >= Date.parse(iso);
}

export function secondsUntil(iso: string): number {
  return Math.max(0, Math.ceil((Date.parse(iso) - Date.now()) / 1000));
}

/** Seconds between two looks at a rolling-out ECS deployment. */
export const STABILITY_POLL_SECONDS = 15;
