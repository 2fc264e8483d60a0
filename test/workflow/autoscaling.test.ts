/**
 * Issue 19, item 1: autoscaling-aware colours (services[].autoscaling), on the
 * real state machine and bundles, against the simulation's Application Auto
 * Scaling (scalable targets, target tracking policies and a load that drives
 * them). examples/autoscaling: blue live at min 2, max 10 with a 60 % CPU
 * policy, 4 tasks at 45 % CPU; green retired at min 0, max 0 with the same
 * policy; a linear strategy of 25 % every 300 s and a 1800 s bake. run()
 * checks every invariant after each run.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import type { AccountSpec } from '../../sim/account/schema.ts';
import type { SimulationResult } from '../../sim/harness.ts';
import { THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import {
  accountFile,
  BAKE_LOOP,
  REJECTED,
  ROLLED_BACK,
  record,
  run,
  SCALE_DOWN_LOOP,
  START,
  VERIFIED,
  weights,
} from '../support/simulation.ts';

const CONFIG = loadConfig('examples/autoscaling/baton.config.json');
const ACCOUNT_PATH = 'examples/autoscaling/sim-account.json';
const SHIFT = ['Shift traffic', 'Is traffic fully shifted?'];
/** The example's path from the request to retiring the old colour: four linear steps, the bake, the scale-down delay. */
const TO_RETIRE = [...VERIFIED, ...SHIFT, ...SHIFT, ...SHIFT, ...SHIFT, ...BAKE_LOOP, ...BAKE_LOOP, ...BAKE_LOOP, ...SCALE_DOWN_LOOP];

const colour = (min: number, max: number, desiredCount: number) => ({
  min,
  max,
  scaleInSuspended: false,
  scaleOutSuspended: false,
  scheduledSuspended: false,
  policies: ['cpu-60'],
  desiredCount,
});
/** A colour Complete retired: min 0, max 0, all its scaling suspended, so nothing revives it. */
const RETIRED = { ...colour(0, 0, 0), scaleInSuspended: true, scaleOutSuspended: true, scheduledSuspended: true };
/** The account's scaling before any deployment: blue serving at 4 tasks, green retired. */
const BEFORE = { 'service/prod/web-blue': colour(2, 10, 4), 'service/prod/web-green': colour(0, 0, 0) };
/** Both colours in the record's words. */
const nothingSuspended = { dynamicScalingIn: false, dynamicScalingOut: false, scheduledScaling: false };
const cpu60 = {
  name: 'cpu-60',
  type: 'TargetTrackingScaling',
  targetTracking: {
    TargetValue: 60,
    PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
    ScaleOutCooldown: 60,
    ScaleInCooldown: 300,
  },
};
const recorded = (min: number, max: number, suspended = nothingSuspended) => ({ registered: true, min, max, suspended, policies: [cpu60] });
const HELD = ['deploy: web-blue: scale-in suspended', 'deploy: web-green: min 0, max 10, scale-in suspended, policies cpu-60'];
const RETIRING = ['complete: web-green: min 2, max 10, scale-in as before', 'complete: web-blue: min 0, max 0, all scaling suspended'];
/** Before traffic returns, the old colour's bounds, its scale-in held: only when traffic had moved. */
const BOUNDS_BACK = 'rollback: web-blue: min 2, max 10, policies cpu-60, scale-in held until traffic is back';
const RESTORED = [
  'rollback: web-blue: min 2, max 10, policies cpu-60, as before',
  'rollback: web-green: min 0, max 0, policies cpu-60, as before',
];

/** What the autoscaler did, in the words tests compare: seconds from the start, resource, from, to, and why in short. */
function activities(result: SimulationResult): string[] {
  const start = result.main.startDate;
  return result.model.scaling.activities.map(
    (a) => `+${Math.round((a.at - start) / 1000)} s ${a.resourceId.split('/').pop()} ${a.from} -> ${a.to} (${a.policyName ?? 'bounds'})`,
  );
}

function account(edit: (raw: AccountSpec) => void = () => {}): AccountSpec {
  const raw = accountFile(ACCOUNT_PATH);
  edit(raw);
  return raw;
}

describe('autoscaling-aware colours', () => {
  it("gives the new colour the old one's scaling, holds scale-in until the bake passed, and retires the old colour at min 0, max 0", async () => {
    // Act
    const result = await run({ config: CONFIG, account: account() });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.executionPath).toEqual([...TO_RETIRE, 'Complete deployment', 'Deployment succeeded']);
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(result.initialScaling).toEqual(BEFORE);
    expect(result.scaling).toEqual({ 'service/prod/web-blue': RETIRED, 'service/prod/web-green': colour(2, 10, 4) });
    expect(record(result)?.scaling).toEqual({
      before: { blue: recorded(2, 10), green: recorded(0, 0) },
      changes: [...HELD, ...RETIRING],
      after: { blue: recorded(0, 0, { dynamicScalingIn: true, dynamicScalingOut: true, scheduledScaling: true }), green: recorded(2, 10) },
    });
    // Deploy left green's minimum at 0, so no task of its old revision started; Complete's maximum 0 retired blue.
    expect(activities(result)).toEqual(['+3045 s web-blue 4 -> 0 (bounds)']);
  });

  it('lets both colours scale out with the load during the shift; the new one keeps scaling as the old one did, the old one stays retired', async () => {
    // Act
    const result = await run({ config: CONFIG, account: account(), faults: ['scale-out-during-shift'] });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(activities(result)).toEqual([
      '+240 s web-blue 4 -> 7 (cpu-60)',
      '+540 s web-green 4 -> 5 (cpu-60)',
      '+780 s web-green 5 -> 7 (cpu-60)',
      '+1080 s web-green 7 -> 10 (cpu-60)',
      '+3045 s web-blue 7 -> 0 (bounds)',
    ]);
    expect(result.scaling).toEqual({ 'service/prod/web-blue': RETIRED, 'service/prod/web-green': colour(2, 10, 10) });
  });

  it("keeps the old colour's tasks through a bake whose load falls: its scale-in is held, so it stays the way back", async () => {
    // Act
    const result = await run({ config: CONFIG, account: account(), faults: ['old-colour-scaled-in-during-bake'] });

    // Assert: the autoscaler's AlarmLow fired, but nothing was scaled in until Complete retired blue.
    expect(result.main.status).toBe('SUCCEEDED');
    expect(activities(result)).toEqual(['+3045 s web-blue 4 -> 0 (bounds)']);
  });

  describe("a rollback at any step puts both colours' scaling back exactly as it was", () => {
    it.each([
      ['update-service-fails', 'Deploy new colour', [...START, 'Deploy new colour failed', ...ROLLED_BACK]],
      ['alarm-during-shift', 'Shift traffic', [...VERIFIED, ...SHIFT, 'Shift traffic', 'Shift traffic failed', ...ROLLED_BACK]],
      [
        'alarm-during-bake',
        'Check bake',
        [...VERIFIED, ...SHIFT, ...SHIFT, ...SHIFT, ...SHIFT, 'Check bake', 'Check bake failed', ...ROLLED_BACK],
      ],
      ['complete-fails', 'Complete deployment', [...TO_RETIRE, 'Complete deployment', 'Complete deployment failed', ...ROLLED_BACK]],
    ])('%s (failed in %s)', async (fault, failedIn, path) => {
      // Act
      const result = await run({ config: CONFIG, account: account(), faults: [fault] });

      // Assert
      expect(result.main.executionPath).toEqual(path);
      expect(weights(result)).toEqual({ blue: 100, green: 0 });
      expect(result.scaling).toEqual(BEFORE);
      const saved = record(result);
      expect(saved?.status).toBe('ROLLED_BACK');
      expect(saved?.failedPhase).toBe(failedIn);
      const scaling = saved?.scaling as { changes: string[]; after: unknown };
      expect(scaling.changes).toEqual([
        ...HELD,
        ...(fault === 'complete-fails' ? RETIRING : []),
        ...(fault === 'update-service-fails' ? [] : [BOUNDS_BACK]),
        ...RESTORED,
      ]);
      expect(scaling.after).toEqual({ blue: recorded(2, 10), green: recorded(0, 0) });
      expect(saved?.evidence).toContain('rollback: scaling: web-blue: min 2, max 10, policies cpu-60, as before');
    });

    it('after Complete retired the old colour (min 0, max 0): its bounds come back before traffic does', async () => {
      // Act: Complete set blue to min 0, max 0 and desired 0, then failed; the rollback must bring blue back first.
      const result = await run({ config: CONFIG, account: account(), faults: ['complete-fails'] });

      // Assert: blue was raised to its minimum by its bounds, then to its count, before the listener moved (the invariants).
      expect(activities(result)).toEqual([
        '+3045 s web-blue 4 -> 0 (bounds)',
        '+3045 s web-blue 0 -> 2 (bounds)',
        '+3045 s web-green 4 -> 0 (bounds)',
      ]);
      expect(result.scaling).toEqual(BEFORE);
    });

    it('waits for the old colour to run as many tasks as the new one scaled out to before traffic returns', async () => {
      // Act: the load tripled during the shift; green, at 100 %, scaled to 10, blue (no traffic, scale-in held) stayed at 7.
      // Complete retired blue (min 0, max 0), then failed.
      const result = await run({ config: CONFIG, account: account(), faults: ['scale-out-during-shift', 'complete-fails'] });

      // Assert: blue's bounds came back (0 -> 2), it was scaled to green's 10, and traffic returned once 10 were healthy.
      expect(activities(result).slice(-3)).toEqual([
        '+3045 s web-blue 7 -> 0 (bounds)',
        '+3045 s web-blue 0 -> 2 (bounds)',
        '+3090 s web-green 10 -> 0 (bounds)',
      ]);
      expect(record(result)?.evidence).toEqual([
        'failed in: Complete deployment',
        'signal: AccessDeniedException: User is not authorized to perform: dynamodb:UpdateItem',
        'rollback: traffic moved from blue 0 % / green 100 % back to 100 % blue',
        'rollback: scaling: web-blue: min 2, max 10, policies cpu-60, as before',
        'rollback: scaling: web-green: min 0, max 0, policies cpu-60, as before',
        'rollback: web-green scaled to 0 on arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6',
      ]);
      const back = ((record(result)?.weightChanges ?? []) as Array<{ at: string; phase: string }>).filter(
        (change) => change.phase === 'rollback',
      );
      // 45 s after the rollback started at +3045 s: three looks 15 s apart while blue's new tasks started and passed their checks.
      expect(back.map((change) => (Date.parse(change.at) - result.main.startDate) / 1000)).toEqual([3090.365]);
      expect(result.scaling).toEqual({ ...BEFORE, 'service/prod/web-blue': colour(2, 10, 10) });
    });

    it('ends ROLLED_BACK with traffic back and a warning naming what to restore when the scaling cannot be put back', async () => {
      // Act: the rollback's role lost RegisterScalableTarget (IAM drift); an alarm rolls the bake back.
      const result = await run({
        config: CONFIG,
        account: account(),
        faults: ['alarm-during-bake', 'deny:application-autoscaling:RegisterScalableTarget@rollback'],
      });

      // Assert: production is on blue, green at 0 tasks; the record says what could not be restored, and to what.
      expect(weights(result)).toEqual({ blue: 100, green: 0 });
      const saved = record(result);
      expect(saved?.status).toBe('ROLLED_BACK');
      const denied = (name: string) =>
        `could not restore the scaling of ${name} (AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/BatonProduction-PhasesrollbackRole86B2E083/BatonProduction-PhasesrollbackE5B27AB2 is not authorized to perform: application-autoscaling:RegisterScalableTarget on resource: `;
      const warnings = saved?.warnings as string[];
      expect(warnings.map((warning) => warning.split('arn:aws:application-autoscaling')[0])).toEqual([
        denied('web-blue'),
        denied('web-green'),
      ]);
      expect(warnings.map((warning) => warning.split('put it back by hand: ')[1])).toEqual([
        'min 2, max 10, policies cpu-60',
        'min 0, max 0, policies cpu-60',
      ]);
      expect(result.scaling['service/prod/web-green']?.desiredCount).toBe(0);
    });

    it("through the backstop's recovery of an execution that ended without a record", async () => {
      // Act
      const result = await run({ config: CONFIG, account: account(), faults: ['status-event-lost'] });

      // Assert
      expect(weights(result)).toEqual({ blue: 100, green: 0 });
      expect(result.scaling).toEqual(BEFORE);
      const saved = record(result);
      expect(saved?.status).toBe('ROLLED_BACK');
      expect((saved?.scaling as { changes: string[] } | undefined)?.changes).toEqual([...HELD, BOUNDS_BACK, ...RESTORED]);
    });
  });

  describe('other starting points', () => {
    it('registers a scalable target for a new colour that had none, and deregisters it again on a rollback', async () => {
      // Arrange: green was never scaled (no scalable target, no policy).
      const unscaledGreen = () =>
        account((raw) => {
          const section = raw.applicationAutoScaling;
          if (!section) throw new Error('examples/autoscaling has no applicationAutoScaling');
          section.ScalableTargets = section.ScalableTargets.filter((target) => target.ResourceId !== 'service/prod/web-green');
          section.ScalingPolicies = section.ScalingPolicies.filter((policy) => policy.ResourceId !== 'service/prod/web-green');
        });

      // Act
      const succeeded = await run({ config: CONFIG, account: unscaledGreen() });
      const rolledBack = await run({ config: CONFIG, account: unscaledGreen(), faults: ['alarm-during-bake'] });

      // Assert
      expect(succeeded.initialScaling).toEqual({ 'service/prod/web-blue': colour(2, 10, 4) });
      expect(succeeded.scaling).toEqual({ 'service/prod/web-blue': RETIRED, 'service/prod/web-green': colour(2, 10, 4) });
      expect(rolledBack.scaling).toEqual({ 'service/prod/web-blue': colour(2, 10, 4) });
      expect((record(rolledBack)?.scaling as { changes: string[] } | undefined)?.changes).toEqual([
        ...HELD,
        BOUNDS_BACK,
        'rollback: web-blue: min 2, max 10, policies cpu-60, as before',
        'rollback: web-green: scalable target deregistered, as before',
      ]);
    });

    it("points a request count policy at the new colour's target group, and back on a rollback", async () => {
      // Arrange: both colours scale on requests per target, each on its own target group.
      const LB = 'app/prod-alb/50dc6c495c0c9188';
      const requestCount = () =>
        account((raw) => {
          for (const policy of raw.applicationAutoScaling?.ScalingPolicies ?? []) {
            const group = policy.ResourceId.endsWith('web-blue') ? 'web-blue/6d0ecf831eec9f09' : 'web-green/8e4b6b8b3c5d2a10';
            policy.TargetTrackingScalingPolicyConfiguration = {
              TargetValue: 1000,
              PredefinedMetricSpecification: {
                PredefinedMetricType: 'ALBRequestCountPerTarget',
                ResourceLabel: `${LB}/targetgroup/${group}`,
              },
            };
          }
        });
      const labels = (result: SimulationResult) =>
        result.model.scaling
          .policies()
          .map(
            (policy) =>
              `${policy.ResourceId}: ${policy.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.ResourceLabel}`,
          );

      // Act
      const succeeded = await run({ config: CONFIG, account: requestCount() });
      const rolledBack = await run({ config: CONFIG, account: requestCount(), faults: ['alarm-during-shift'] });

      // Assert
      expect(succeeded.main.status).toBe('SUCCEEDED');
      expect(labels(succeeded).sort()).toEqual([
        `service/prod/web-blue: ${LB}/targetgroup/web-blue/6d0ecf831eec9f09`,
        `service/prod/web-green: ${LB}/targetgroup/web-green/8e4b6b8b3c5d2a10`,
      ]);
      expect(labels(rolledBack).sort()).toEqual(labels(succeeded).sort());
      expect(rolledBack.scaling).toEqual(rolledBack.initialScaling);
    });
  });

  describe('in a release', () => {
    /** examples/three-services with api scaled: blue at min 2, max 6 on a 60 % CPU policy, green never scaled. */
    const scaledApi = () => {
      const config = loadConfig(THREE_SERVICES_CONFIG_PATH);
      const services = config.services.map((service) => (service.name === 'api' ? { ...service, autoscaling: true } : service));
      const raw = accountFile(THREE_SERVICES_ACCOUNT_PATH);
      raw.applicationAutoScaling = {
        ScalableTargets: [
          {
            ServiceNamespace: 'ecs',
            ResourceId: 'service/prod/api-blue',
            ScalableDimension: 'ecs:service:DesiredCount',
            MinCapacity: 2,
            MaxCapacity: 6,
            SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
          },
        ],
        ScalingPolicies: [
          {
            PolicyName: 'cpu-60',
            ServiceNamespace: 'ecs',
            ResourceId: 'service/prod/api-blue',
            ScalableDimension: 'ecs:service:DesiredCount',
            PolicyType: 'TargetTrackingScaling',
            TargetTrackingScalingPolicyConfiguration: {
              TargetValue: 60,
              PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
            },
          },
        ],
        ScheduledActions: [],
      };
      return { config: { ...config, services }, account: raw };
    };
    const RELEASE = {
      release: '2026-11-22.1',
      services: { api: { imageTag: 'v1.1.0' }, worker: { imageTag: 'v2.4.0' }, web: { imageTag: 'v1.4.2' } },
    };
    const api = (min: number, max: number, desiredCount: number, suspended = false) => ({
      min,
      max,
      scaleInSuspended: suspended,
      scaleOutSuspended: suspended,
      scheduledSuspended: suspended,
      policies: ['cpu-60'],
      desiredCount,
    });

    it("moves the scaled service's scaling with its colours, and puts it back when another service fails the release", async () => {
      // Act
      const released = await run({ ...scaledApi(), input: RELEASE });
      const failed = await run({ ...scaledApi(), input: RELEASE, faults: ['green-unhealthy@worker'] });

      // Assert
      expect(released.main.status).toBe('SUCCEEDED');
      expect(released.scaling).toEqual({ 'service/prod/api-blue': api(0, 0, 0, true), 'service/prod/api-green': api(2, 6, 2) });
      expect(failed.main.status).toBe('FAILED');
      expect(failed.initialScaling).toEqual({ 'service/prod/api-blue': api(2, 6, 2) });
      expect(failed.scaling).toEqual(failed.initialScaling);
    });
  });

  describe('Validate refuses, before any change, scaling Baton cannot move', () => {
    it('a colour with a scalable target when the service does not say autoscaling', async () => {
      // Act
      const config = { ...CONFIG, services: CONFIG.services.map((service) => ({ ...service, autoscaling: false })) };
      const result = await run({ config, account: account() });

      // Assert
      expect(result.main.executionPath).toEqual([...START.slice(0, 5), 'Validate failed', ...REJECTED]);
      expect(record(result)?.outcomeReason).toBe(
        'ScalingConfigError: blue (web-blue) has a scalable target (min 2, max 10, policies cpu-60), and services[web].autoscaling is not true: Baton would scale that colour behind its autoscaler\'s back. Set "autoscaling": true for web in the config, or deregister the target; green (web-green) has a scalable target (min 0, max 0, policies cpu-60), and services[web].autoscaling is not true: Baton would scale that colour behind its autoscaler\'s back. Set "autoscaling": true for web in the config, or deregister the target',
      );
      expect(result.scaling).toEqual(BEFORE);
      expect(weights(result)).toEqual({ blue: 100, green: 0 });
    });

    it('a scheduled action, which Baton does not move between colours', async () => {
      // Arrange: blue scales out every morning by a schedule.
      const scheduled = account((raw) => {
        raw.applicationAutoScaling?.ScheduledActions.push({
          ScheduledActionName: 'morning-peak',
          ServiceNamespace: 'ecs',
          ResourceId: 'service/prod/web-blue',
          ScalableDimension: 'ecs:service:DesiredCount',
          Schedule: 'cron(0 7 * * ? *)',
          ScalableTargetAction: { MinCapacity: 6 },
        });
      });

      // Act
      const result = await run({ config: CONFIG, account: scheduled });

      // Assert
      expect(record(result)?.status).toBe('REJECTED');
      expect(record(result)?.outcomeReason).toBe(
        'ScalingConfigError: blue (web-blue) has scheduled actions (morning-peak), which Baton does not move between colours: after a deployment they would act on the wrong one. Delete them and scale on policies, or set "autoscaling": false',
      );
      expect(result.scaling).toEqual(BEFORE);
    });

    it('a step scaling policy of the old colour that the new one lacks', async () => {
      // Arrange: blue also scales on a queue's alarms, through a step scaling policy.
      const steps = account((raw) => {
        raw.applicationAutoScaling?.ScalingPolicies.push({
          PolicyName: 'queue-steps',
          ServiceNamespace: 'ecs',
          ResourceId: 'service/prod/web-blue',
          ScalableDimension: 'ecs:service:DesiredCount',
          PolicyType: 'StepScaling',
          StepScalingPolicyConfiguration: {
            AdjustmentType: 'ChangeInCapacity',
            StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }],
          },
        });
      });

      // Act
      const result = await run({ config: CONFIG, account: steps });

      // Assert
      expect(record(result)?.status).toBe('REJECTED');
      expect(record(result)?.outcomeReason).toBe(
        "ScalingConfigError: policy queue-steps of blue (web-blue) is a StepScaling policy, which Baton does not copy (its alarms or forecasts are the service's own); give green (web-green) a StepScaling policy named queue-steps too, or use target tracking",
      );
      expect(result.initialScaling).toEqual(result.scaling);
    });
  });
});
