/** ElastiCache: the status of the replication groups. */
import { DescribeReplicationGroupsCommand, ElastiCacheClient, ReplicationGroupNotFoundFault } from '@aws-sdk/client-elasticache';
import type { AccountModel } from '../model.ts';
import { errorMeta, META, type ServiceSetup } from './common.ts';

function describeReplicationGroups(m: AccountModel, input: { ReplicationGroupId?: string }) {
  const group = m.replicationGroups[input.ReplicationGroupId ?? ''];
  if (!group)
    throw new ReplicationGroupNotFoundFault({ message: `ReplicationGroup ${input.ReplicationGroupId} not found.`, ...errorMeta(404) });
  return { ...META, ReplicationGroups: [{ ReplicationGroupId: input.ReplicationGroupId, Status: group.status }] };
}

export function installElastiCache({ model: m, stubs, route }: ServiceSetup): void {
  const cache = stubs.stub(ElastiCacheClient);
  cache
    .on(DescribeReplicationGroupsCommand)
    .callsFake(
      route('elasticache', 'DescribeReplicationGroups', (input: { ReplicationGroupId?: string }) => describeReplicationGroups(m, input)),
    );
}
