/** Faults in ECS: the task definition, the service update, the new colour's tasks. */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import { accessDenied, type Fault, idleColour } from './fault.ts';

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
    description:
      "Tasks of the new image exit right after starting: the ECS circuit breaker fires and the deployment rolls back. A worker's rollout completes as its tasks start (no health checks to pass), so there its tasks crash-loop instead, and the gates see them stop.",
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'crash' : behaviour);
    },
  },
  'green-task-stops-during-bake': {
    description:
      "20 s into the bake a task of the new colour exits (EssentialContainerExited); ECS starts a replacement at once. Its ECS Task State Change event reaches the signal function and the bake's watch rolls back within a second or two, before a poll could miss the gap.",
    expected: 'ROLLED_BACK',
    apply(ctx) {
      // The new colour is the one idle before the deployment (by the bake it carries all traffic).
      const colour = ctx.service[idleColour(ctx)];
      let scheduled = false;
      ctx.onStateEntered.push((state) => {
        if (scheduled || state !== S.checkBake) return;
        scheduled = true;
        ctx.model.schedule(ctx.model.now + 20_000, () => {
          const service = [...ctx.model.services.values()].find((s) => s.name === colour.serviceName && s.cluster === ctx.service.cluster);
          const task = ctx.model.tasks.find((t) => t.serviceName === colour.serviceName && t.lastStatus === 'RUNNING');
          if (service && task)
            ctx.model.stop(service, task, ctx.model.now, 'Essential container in task exited', 'EssentialContainerExited', 137);
        });
      });
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
