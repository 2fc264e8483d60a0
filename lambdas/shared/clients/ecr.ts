import { ECRClient } from '@aws-sdk/client-ecr';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** Amazon ECR: images. */
export const ecr = /* @__PURE__ */ clientOnce(() => traced(new ECRClient(SDK_OPTIONS)));
