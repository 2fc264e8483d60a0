import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** Application Auto Scaling: the scalable targets and scaling policies of the colours (services[].autoscaling). */
export const scaling = /* @__PURE__ */ clientOnce(() => traced(new ApplicationAutoScalingClient(SDK_OPTIONS)));
