/**
 * Faults aimed at a worker (examples/worker: jobs, no load balancer): one that
 * needs the production listener, a target group or the test listener refuses
 * it naming the fault and the service; one in the new colour's metrics needs a
 * workload publishing them (examples/worker-analysis); the others act on it as
 * on a web service.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/load.ts';
import { AccountModel } from '../../../sim/account/model.ts';
import { runContext } from '../../../sim/fault-context.ts';
import { FaultTargetError, idleColour } from '../../../sim/faults/fault.ts';
import { FAULTS } from '../../../sim/faults/index.ts';
import { ROOT } from '../../support/config.ts';
import { accountFile } from '../../support/simulation.ts';

const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const config = loadConfig(`${ROOT}/examples/worker/baton.config.json`);
const controls = { interceptors: [], denyAction() {}, hangInvocation() {}, stopAt() {}, loseMainStatusEvent() {} };
const input = { service: 'jobs', imageTag: 'v1.4.2' };

function workerContext(account = 'examples/worker/sim-account.json') {
  return runContext(new AccountModel(accountFile(account), T0), config, input, controls);
}

const NEED_A_LOAD_BALANCER = [
  'listener-split',
  'listener-update-fails',
  'target-unhealthy-during-shift',
  'target-unhealthy-before-retire',
  'smoke-fails',
  'smoke-slow',
  'rollback-listener-fails-once',
  'rollback-denied',
  'shift-timeout-after-listener',
  'scale-out-during-shift',
  'old-colour-scaled-in-during-bake',
];

describe('faults on a worker', () => {
  it.each(NEED_A_LOAD_BALANCER)('refuses %s, naming the fault and the service', (name) => {
    const apply = () => FAULTS[name]?.apply(workerContext());
    expect(apply).toThrow(FaultTargetError);
    expect(apply).toThrow(
      `fault "${name}" needs a load balancer, and jobs is a worker (no production listener, no target groups): aim it at a web service`,
    );
  });

  it('applies the faults that act on tasks and alarms, to the colour that has no tasks', () => {
    const ctx = workerContext();
    expect(idleColour(ctx)).toBe('green');
    for (const name of [
      'green-tasks-crash',
      'green-task-stops-during-bake',
      'alarm-during-bake',
      'alarm-during-shift',
      'old-colour-scaled-down',
    ]) {
      expect(() => FAULTS[name]?.apply(ctx)).not.toThrow();
    }
    expect(
      ctx.model.hooks.behaviourOf?.(
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com/jobs@sha256:ec2acdaae90fa366d8f73db8366df30b91cd3737db36c9c0d10c5f564598fc84',
        'healthy',
      ),
    ).toBe('crash');
  });

  it.each(['green-error-rate-1.5pct', 'new-colour-latency-20pct'])(
    "refuses %s when no workload publishes the new colour's metrics",
    (name) => {
      const apply = () => FAULTS[name]?.apply(workerContext());
      expect(apply).toThrow(FaultTargetError);
      expect(apply).toThrow(
        `fault "${name}" needs the new colour's metrics, and jobs is a worker whose colour prod/jobs-green publishes none: give the account a workload (ecs.workloads) with it among its services`,
      );
    },
  );

  it("bends the new colour's own metrics when a workload publishes them, keyed by its ECS service", () => {
    const ctx = workerContext('examples/worker-analysis/sim-account.json');
    FAULTS['green-error-rate-1.5pct']?.apply(ctx);
    FAULTS['new-colour-latency-20pct']?.apply(ctx);
    expect(ctx.model.traffic.degradationAt('prod/jobs-green', T0)).toEqual({ errorRate: 0.015, latencyFactor: 1.2, since: T0 });
    expect(ctx.model.traffic.degradationAt('prod/jobs-blue', T0)).toEqual({});
  });
});
