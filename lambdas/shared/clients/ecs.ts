import { ECSClient } from '@aws-sdk/client-ecs';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** Amazon ECS: services, tasks, task definitions. */
export const ecs = /* @__PURE__ */ clientOnce(() => traced(new ECSClient(SDK_OPTIONS)));
