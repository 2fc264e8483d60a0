import { SFNClient } from '@aws-sdk/client-sfn';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** Step Functions: executions. */
export const sfn = /* @__PURE__ */ clientOnce(() => traced(new SFNClient(SDK_OPTIONS)));
