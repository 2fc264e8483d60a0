import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** ElastiCache: replication groups. */
export const cache = /* @__PURE__ */ clientOnce(() => traced(new ElastiCacheClient(SDK_OPTIONS)));
