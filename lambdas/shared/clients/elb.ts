import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** Elastic Load Balancing: listeners, rules, target health. */
export const elb = /* @__PURE__ */ clientOnce(() => traced(new ElasticLoadBalancingV2Client(SDK_OPTIONS)));
