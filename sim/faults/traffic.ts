/** Faults in traffic: the listeners, the targets, the smoke test, the rollback's way back. */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import { internalError } from '../account/services/common.ts';
import { ALARM_FAULTS } from './alarms.ts';
import {
  accessDenied,
  afterShift,
  beforeRetire,
  type Fault,
  idleColour,
  isListenerUpdate,
  loadBalancerOf,
  newColourFails,
} from './fault.ts';

export const TRAFFIC_FAULTS: Record<string, Fault> = {
  'listener-split': {
    description: 'The production listener is at 80/20 when the deployment starts: initialize rejects it.',
    expected: 'REJECTED',
    apply(ctx) {
      const web = loadBalancerOf(ctx, 'fault "listener-split"');
      const listener = ctx.model.listeners[web.listener];
      if (listener) listener.forward = { [web.blue]: 80, [web.green]: 20 };
    },
  },
  'listener-update-fails': {
    description: 'ModifyListener is denied when traffic first moves: shift traffic fails and the deployment rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      loadBalancerOf(ctx, 'fault "listener-update-fails"');
      ctx.interceptors.push((_service, operation) => {
        if (isListenerUpdate(operation) && ctx.currentState === S.shiftTraffic) {
          throw accessDenied('elasticloadbalancing:ModifyListener');
        }
      });
    },
  },
  'target-unhealthy-during-shift': {
    description:
      "45 s after traffic first moves, the new colour's targets start failing health checks; they turn unhealthy at the unhealthy threshold (2 checks 10 s apart in the example account) and the next gate check rolls back.",
    expected: 'ROLLED_BACK',
    apply(ctx) {
      const targetGroupArn = loadBalancerOf(ctx, 'fault "target-unhealthy-during-shift"')[idleColour(ctx)];
      afterShift(ctx, 1, 45_000, () => {
        const unhealthyAt = newColourFails(ctx, targetGroupArn);
        ctx.signalAt ??= unhealthyAt;
      });
    },
  },
  'target-unhealthy-before-retire': {
    description:
      '45 s into "Check before retiring old colour" (all traffic on the new colour, the bake over), the new colour\'s targets start failing health checks; they turn unhealthy at the unhealthy threshold and the next gate check rolls back to the old colour, which was never scaled to 0.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      const targetGroupArn = loadBalancerOf(ctx, 'fault "target-unhealthy-before-retire"')[idleColour(ctx)];
      beforeRetire(ctx, 45_000, () => {
        const unhealthyAt = newColourFails(ctx, targetGroupArn);
        ctx.signalAt ??= unhealthyAt;
      });
    },
  },
  'smoke-fails': {
    description:
      'The new colour answers the smoke test through the test listener with HTTP 500: after 3 attempts it rolls back before any production traffic.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      loadBalancerOf(ctx, 'fault "smoke-fails"');
      ctx.smoke.fails = true;
    },
  },
  'smoke-slow': {
    description:
      'The new colour answers the smoke test 150 ms over its latency budget: after 3 attempts it rolls back before any production traffic.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      loadBalancerOf(ctx, 'fault "smoke-slow"');
      ctx.smoke.delayMs = (ctx.service.smokeTest?.maxLatencyMs ?? 0) + 150;
    },
  },
  'rollback-listener-fails-once': {
    description: 'With alarm-during-bake: the first listener update of the rollback fails (HTTP 500); the retry moves traffic back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      loadBalancerOf(ctx, 'fault "rollback-listener-fails-once"');
      ALARM_FAULTS['alarm-during-bake']?.apply(ctx);
      let failed = false;
      ctx.interceptors.push((_service, operation) => {
        if (isListenerUpdate(operation) && ctx.currentState === S.rollback && !failed) {
          failed = true;
          throw internalError();
        }
      });
    },
  },
  'rollback-denied': {
    description:
      'With alarm-during-bake: the rollback may not modify the listener (a permission was removed). ROLLBACK_FAILED is recorded and the lock kept; the execution retries every 5 minutes until it times out. Fixable: with --redrive-after-fix the permission comes back and the redriven execution rolls back.',
    expected: 'ROLLBACK_FAILED',
    apply(ctx) {
      loadBalancerOf(ctx, 'fault "rollback-denied"');
      ALARM_FAULTS['alarm-during-bake']?.apply(ctx);
      ctx.interceptors.push((_service, operation) => {
        if (isListenerUpdate(operation) && ctx.currentState === S.rollback && !ctx.fixed) {
          throw accessDenied('elasticloadbalancing:ModifyListener');
        }
      });
    },
    fix(ctx) {
      ctx.fixed = true;
    },
  },
  'old-colour-scaled-down': {
    description:
      'With alarm-during-bake: the old colour has 0 tasks when the rollback starts; it is scaled up and healthy before traffic returns.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ALARM_FAULTS['alarm-during-bake']?.apply(ctx);
      const live = idleColour(ctx) === 'green' ? ctx.service.blue : ctx.service.green;
      let done = false;
      ctx.onStateEntered.push((state) => {
        if (state !== S.rollback || done) return;
        done = true;
        const service = ctx.model.service(ctx.service.cluster, live.serviceName);
        if (service) ctx.model.updateService(service, { desiredCount: 0 });
        ctx.model.advanceTo(ctx.model.now + 1000);
      });
    },
  },
  'shift-timeout-after-listener': {
    description:
      'Shift traffic stops responding right after it moves the listener to the new colour: Lambda ends it at its 900 s timeout (Lambda.Unknown), 15 s before the Task would give up, so nothing of it runs on while Roll back moves traffic back: ROLLED_BACK, 100 % on the old colour.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      loadBalancerOf(ctx, 'fault "shift-timeout-after-listener"');
      let hung = false;
      ctx.interceptors.push((_service, operation) => {
        if (hung || ctx.currentState !== S.shiftTraffic || !isListenerUpdate(operation)) return;
        hung = true;
        ctx.hangInvocation();
      });
    },
  },
};
