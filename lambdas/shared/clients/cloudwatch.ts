import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** CloudWatch: alarms. */
export const cloudwatch = /* @__PURE__ */ clientOnce(() => traced(new CloudWatchClient(SDK_OPTIONS)));
