import { SNSClient } from '@aws-sdk/client-sns';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** SNS: the notifications topic. */
export const sns = /* @__PURE__ */ clientOnce(() => traced(new SNSClient(SDK_OPTIONS)));
