/** Who holds a service's lock: the item a deployment takes, the execution that works for it, and how an operator reads it. */
import type { InitializedState } from '../stages.ts';
import { LEASE_SECONDS, type LockHolder, type LockItem } from './table.ts';

/** The execution that holds the lock for a deployment state: a recovery's (heldBy), else the state's own. */
export function lockHolderOf(state: { deploymentId: string; executionArn: string; heldBy?: string | undefined }): LockHolder {
  return { deploymentId: state.deploymentId, executionArn: state.heldBy ?? state.executionArn };
}

/** The lock item a deployment takes: who holds it, for which image, and for how long without renewal. */
export function lockFor(state: InitializedState): LockItem {
  const { request } = state;
  const imageRef = request.rollbackTo ? `rollback:${request.rollbackTo}` : (request.imageDigest ?? `tag:${request.imageTag ?? ''}`);
  return {
    service: state.service.name,
    deploymentId: state.deploymentId,
    executionArn: state.executionArn,
    imageRef,
    acquiredAt: state.startedAt,
    leaseExpiresAt: Math.floor(Date.now() / 1000) + LEASE_SECONDS,
    ...(state.releaseId ? { release: state.releaseId } : {}),
  };
}

export function describeRef(imageRef: string): string {
  if (imageRef.startsWith('rollback:')) return `a rollback to ${imageRef.slice('rollback:'.length)}`;
  return imageRef.startsWith('tag:') ? `image tag ${imageRef.slice(4)}` : `image ${imageRef}`;
}

/** A lock holder as an operator needs it named: deployment, release, image, since when, which execution. */
export function describeHolder(holder: LockItem): string {
  return `deployment ${holder.deploymentId}${holder.release ? ` of release ${holder.release}` : ''} (${describeRef(holder.imageRef)}, since ${holder.acquiredAt}, execution ${holder.executionArn})`;
}
