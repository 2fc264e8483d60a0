/**
 * The lock inside a running function: a function that changes the service
 * first proves its deployment still holds the lock (renewing the lease), and
 * every function extends the lease past the wait ahead, so a live
 * execution's lease never lapses. definePhase (phase.ts) calls both.
 */
import type { PhaseName } from '../../../lib/constructs/phases.ts';
import { LockLostError } from '../errors.ts';
import { logger } from '../logger.ts';
import { lockHolderOf } from './holder.ts';
import { LEASE_SECONDS, readLock, renewLease } from './table.ts';

/** The deployment a function works for, as far as its lock goes. */
export interface LeasedDeployment {
  readonly deploymentId: string;
  readonly executionArn: string;
  /** The execution that holds the lock, when not executionArn (a recovery). */
  readonly heldBy?: string;
  readonly service: string | undefined;
}

export async function assertLockHeld(deployment: LeasedDeployment, phase: PhaseName): Promise<void> {
  if (!deployment.service) return;
  if (await renewLease(deployment.service, lockHolderOf(deployment), LEASE_SECONDS, phase)) return;
  const holder = await readLock(deployment.service);
  throw new LockLostError(
    `deployment ${deployment.deploymentId} no longer holds the lock of ${deployment.service} (${
      holder ? `deployment ${holder.deploymentId} holds it` : 'nobody holds it'
    }); ${phase} changes nothing`,
  );
}

/**
 * A live execution keeps its lock: every function extends the lease past the
 * wait ahead. Only the holder can (the write is conditional), so a function of a
 * deployment that holds no lock (a duplicate, a released lock) changes nothing.
 */
export async function keepLease(deployment: LeasedDeployment, phase: PhaseName, extraSeconds: number): Promise<void> {
  if (!deployment.service) return;
  try {
    await renewLease(deployment.service, lockHolderOf(deployment), LEASE_SECONDS + extraSeconds, phase);
  } catch (error) {
    logger.warn('lease not renewed', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}
