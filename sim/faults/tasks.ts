/** Faults in ECS: the task definition, the service update, the new colour's tasks. */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import { accessDenied, type Fault } from './fault.ts';

function hasTaskDefinition(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'taskDefinition' in input;
}

export const TASK_FAULTS: Record<string, Fault> = {
  'register-fails': {
    description: 'RegisterTaskDefinition is denied: prepare fails and the deployment rolls back (nothing was live yet).',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.interceptors.push((_service, operation) => {
        if (operation === 'RegisterTaskDefinition') throw accessDenied('ecs:RegisterTaskDefinition');
      });
    },
  },
  'update-service-fails': {
    description: 'UpdateService of the new colour is denied: deploy fails and the deployment rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.interceptors.push((_service, operation, input) => {
        if (operation === 'UpdateService' && ctx.currentState === S.deploy && hasTaskDefinition(input)) {
          throw accessDenied('ecs:UpdateService');
        }
      });
    },
  },
  'green-tasks-crash': {
    description: 'Tasks of the new image exit right after starting: the ECS circuit breaker fires and the deployment rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'crash' : behaviour);
    },
  },
  'green-never-stable': {
    description: 'Tasks of the new image never reach RUNNING: the stability deadline passes and the deployment rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'never-starts' : behaviour);
    },
  },
  'green-unhealthy': {
    description: 'Targets of the new image fail their health checks: ECS replaces them until its circuit breaker fires; rolled back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'unhealthy' : behaviour);
    },
  },
};
