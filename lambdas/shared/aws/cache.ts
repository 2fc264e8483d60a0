/** The ElastiCache replication group a deployment may require to be serving. */
import { DescribeReplicationGroupsCommand, ReplicationGroupNotFoundFault } from '@aws-sdk/client-elasticache';
import { cache } from '../clients/elasticache.ts';
import { CacheNotReadyError, CacheNotServingError } from '../errors.ts';

/** `available` serves; `snapshotting` still serves reads and writes (a backup is running). */
const SERVING_CACHE_STATES = new Set(['available', 'snapshotting']);
/** Changes in progress that end in `available`: worth waiting for, within a bound. */
const TRANSITIONAL_CACHE_STATES = new Set(['modifying', 'creating']);

export async function assertCacheServing(replicationGroupId: string): Promise<string> {
  try {
    const out = await cache().send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId }));
    const status = out.ReplicationGroups?.[0]?.Status ?? 'unknown';
    if (TRANSITIONAL_CACHE_STATES.has(status)) {
      throw new CacheNotReadyError(
        `ElastiCache replication group ${replicationGroupId} is "${status}", not yet available (the deployment waits up to pipeline.cacheWaitSeconds for it)`,
      );
    }
    if (!SERVING_CACHE_STATES.has(status)) {
      throw new CacheNotServingError(`ElastiCache replication group ${replicationGroupId} is "${status}", not available`);
    }
    return status;
  } catch (error) {
    if (error instanceof ReplicationGroupNotFoundFault) {
      throw new CacheNotServingError(`ElastiCache replication group ${replicationGroupId} not found`, { cause: error });
    }
    throw error;
  }
}
