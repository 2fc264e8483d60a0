/**
 * The takeover policy: whether the holder of a service lock is still at work. The lock names its
 * execution, which is the authority: the holder is gone when that execution
 * ended (or no longer exists) and its deployment is closed (or never got a
 * record). An execution that ended with its record still open belongs to the
 * backstop, whose recovery execution takes the lock over; it is never
 * reclaimed here. Nor is the lock of a ROLLBACK_FAILED deployment: it stays
 * until an operator resolves it (`baton unlock`). The lease (renewed by every phase) tells a stuck execution
 * from a live one in the refusal message.
 */
import { ENDED_STATUSES, executionStatus } from '../execution-end.ts';
import { logger } from '../logger.ts';
import { getRecord, TERMINAL_STATUSES } from '../records/deployment.ts';
import { describeHolder } from './holder.ts';
import { acquireLock, type LockItem, reclaimLock } from './table.ts';

type HolderVerdict =
  | { readonly reclaimable: true; readonly why: string }
  | { readonly reclaimable: false; readonly why: string | undefined; readonly rollbackFailed?: true };

export async function inspectHolder(holder: LockItem): Promise<HolderVerdict> {
  const status = await executionStatus(holder.executionArn);
  const leaseExpired = holder.leaseExpiresAt < Math.floor(Date.now() / 1000);
  // Only a status that says the execution has ended lets its lock go; anything else counts as still running.
  if (!ENDED_STATUSES.has(status)) {
    // The execution is the authority: a lapsed lease on a running execution means it is stuck, not gone.
    return {
      reclaimable: false,
      why: leaseExpired
        ? `its lease expired at ${new Date(holder.leaseExpiresAt * 1000).toISOString()} but its execution is still ${status}; stop it with "baton abort" if it is stuck`
        : undefined,
    };
  }
  const ended = status === 'DOES_NOT_EXIST' ? 'its execution no longer exists' : `its execution ended ${status}`;
  const record = await getRecord(holder.deploymentId);
  if (!record) return { reclaimable: true, why: `${ended} and it never wrote a record` };
  // A failed rollback left production in a state only a human can judge: the lock stays until one resolves it.
  if (record.status === 'ROLLBACK_FAILED') {
    return {
      reclaimable: false,
      rollbackFailed: true,
      why: `${ended} and its rollback failed (ROLLBACK_FAILED); production needs a human: check the listener weights, then release the lock with "baton unlock ${holder.service} --reason <what was done>"`,
    };
  }
  if (TERMINAL_STATUSES.has(record.status)) return { reclaimable: true, why: `${ended} and its record is ${record.status}` };
  return {
    reclaimable: false,
    why: `${ended} with its record still ${record.status}; the backstop closes that record (a recovery execution rolls it back if it has to) and frees the lock`,
  };
}

type LockAttempt =
  | { readonly taken: true; readonly warning?: string }
  | {
      readonly taken: false;
      /** Undefined when the lock changed hands twice while we looked. */
      readonly holder: LockItem | undefined;
      readonly why: string | undefined;
      /** The holder was dead, but another deployment took its lock over first. */
      readonly lostRace?: boolean;
      /** The holder's rollback failed: its lock waits for an operator, whatever image this trigger names. */
      readonly rollbackFailed?: true;
    };

/**
 * Takes a service's lock: free, already ours, or held by a holder found dead
 * (taken over, with a warning naming it). Otherwise returns the live holder,
 * and why it is not taken over, for the caller to refuse in its own words.
 */
export async function takeLock(lock: LockItem): Promise<LockAttempt> {
  let result = await acquireLock(lock);
  // Released between the write and the read: the lock is free now.
  if (!result.acquired && !result.holder) result = await acquireLock(lock);
  if (result.acquired) return { taken: true };
  const { holder } = result;
  if (!holder) return { taken: false, holder: undefined, why: undefined };
  // A dead holder's lock is taken over first: a re-trigger of its image is then a fresh deployment, not a duplicate.
  const verdict = await inspectHolder(holder);
  if (!verdict.reclaimable) return { taken: false, holder, why: verdict.why, ...(verdict.rollbackFailed ? { rollbackFailed: true } : {}) };
  if (await reclaimLock(lock, holder)) {
    logger.warn('lock reclaimed', { from: holder.deploymentId, why: verdict.why });
    return { taken: true, warning: `took over the lock of ${describeHolder(holder)}: ${verdict.why}` };
  }
  return { taken: false, holder, why: 'another deployment took the lock first', lostRace: true };
}
