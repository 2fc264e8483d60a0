import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** EventBridge: the deployment events. */
export const events = /* @__PURE__ */ clientOnce(() => traced(new EventBridgeClient(SDK_OPTIONS)));
