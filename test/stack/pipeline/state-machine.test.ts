/**
 * The state machine of the synthesized stack for the example config: a
 * Standard workflow, logged and traced, whose Tasks invoke their phase's
 * function with its timeout, retry transient errors, and send every failure
 * to the rollback or to a rejection; every state reachable, every failure
 * ending in a Fail state. One synthesis (without bundling).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { PhaseName } from '../../../lib/constructs/phases.ts';
import { RELEASE_STATE_NAMES, STATE_NAMES, TASK_TIMEOUT_MARGIN_SECONDS, TRANSIENT_ERRORS } from '../../../lib/constructs/state-names.ts';
import { stateOf, tasksOf } from '../../support/definition.ts';
import { synthExample } from '../../support/example.ts';
import { type AslDefinition, type AslState, logicalIdOf, type Synthesis, stateMachineDefinition } from '../../support/synth.ts';
import { invokedFunctionId, invokedTarget } from '../../support/template.ts';

const S = STATE_NAMES;
const R = RELEASE_STATE_NAMES;
/** The retry LambdaInvoke keeps by default (retryOnServiceExceptions). */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
];
/** Tasks before any change: a failure is recorded as a rejection. */
const REJECTING_TASKS = [S.initialize, S.validate];
/** Tasks from "Prepare task definition" onward: a failure rolls back. */
const ROLLING_BACK_TASKS = [S.prepare, S.deploy, S.checkStability, S.verify, S.shiftTraffic, S.checkBake, S.checkScaleDown, S.complete];
/** The phase each Task invokes. */
const TASK_PHASES: Record<string, PhaseName> = {
  [S.initialize]: 'initialize',
  [S.validate]: 'validate',
  [S.prepare]: 'prepare',
  [S.deploy]: 'deploy',
  [S.checkStability]: 'checkStability',
  [S.verify]: 'verify',
  [S.shiftTraffic]: 'shiftTraffic',
  [S.checkBake]: 'checkBake',
  [S.checkScaleDown]: 'checkBake',
  [S.complete]: 'complete',
  [S.rollback]: 'rollback',
  [S.recordRejection]: 'recordFailure',
  [S.recordRollbackFailure]: 'recordFailure',
};

/** Every state name a state can move to: Next, Default, the Choices' Next and the Catchers' Next. */
function successors(state: AslState, throughCatch = true): string[] {
  return [
    ...(state.Next ? [state.Next] : []),
    ...(state.Default ? [state.Default] : []),
    ...(state.Choices ?? []).map((choice) => choice.Next),
    ...(throughCatch ? (state.Catch ?? []).map((catcher) => catcher.Next) : []),
  ];
}

/** Every value of a "QueryLanguage" key anywhere in a JSON value. */
function queryLanguages(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(queryLanguages);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === 'QueryLanguage' ? [String(inner)] : queryLanguages(inner)));
}

describe('the Baton stack for the example config', () => {
  let synthesis: Synthesis;
  let definition: AslDefinition;
  let tasks: Array<[string, AslState]>;

  beforeAll(() => {
    ({ synthesis } = synthExample());
    definition = stateMachineDefinition(synthesis.template);
    tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
  });

  function state(name: string): AslState {
    return stateOf(definition, name);
  }

  /** States reachable from `start` (included), optionally not following Catch edges and not going past `stopAt`. */
  function reachable(start: string, options: { throughCatch: boolean; stopAt?: string }): string[] {
    const seen = new Set<string>([start]);
    const queue = [start];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      if (name === options.stopAt) continue;
      for (const next of successors(state(name), options.throughCatch)) {
        if (!seen.has(next) && next !== options.stopAt) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return [...seen];
  }

  describe('state machine', () => {
    it('is exactly one Standard workflow', () => {
      synthesis.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      synthesis.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
    });

    it('logs every event without execution data to a /aws/vendedlogs/states/ log group named after this stack instance', () => {
      const logGroup = logicalIdOf(synthesis.stack, synthesis.stack.pipeline.logGroup);

      // The prefix keeps the account's CloudWatch Logs resource policy small; the UUID of the stack id
      // makes the name new whenever the stack is created again, so a retained group never collides.
      expect(synthesis.template.toJSON().Resources[logGroup].Properties.LogGroupName).toEqual({
        'Fn::Join': [
          '',
          ['/aws/vendedlogs/states/baton-production-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }],
        ],
      });
      synthesis.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroup, 'Arn'] } } }],
        },
      });
    });

    it('has X-Ray tracing enabled', () => {
      synthesis.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
    });

    it('invokes the function of its phase from each pipeline Task', () => {
      // The function's current version: an execution keeps the code it started with across a deploy (safe upgrades).
      const functionArn = (phase: PhaseName) => invokedTarget(synthesis, phase);

      const invoked = Object.fromEntries(tasks.map(([name, task]) => [name, task.Resource]));

      expect(invoked).toMatchObject(Object.fromEntries(Object.entries(TASK_PHASES).map(([name, phase]) => [name, functionArn(phase)])));
    });

    it('gives every Task a TimeoutSeconds', () => {
      expect(tasks.filter(([, task]) => !(typeof task.TimeoutSeconds === 'number' && task.TimeoutSeconds > 0))).toEqual([]);
    });

    it('gives each pipeline Task the TimeoutSeconds of its phase', () => {
      const timeouts = Object.fromEntries(tasks.map(([name, task]) => [name, task.TimeoutSeconds]));

      // The phase's timeout (its function's) plus TASK_TIMEOUT_MARGIN_SECONDS (15).
      expect(timeouts).toMatchObject({
        [S.initialize]: 45,
        [S.validate]: 75,
        [S.prepare]: 75,
        [S.deploy]: 75,
        [S.checkStability]: 75,
        [S.verify]: 135,
        [S.shiftTraffic]: 75,
        [S.checkBake]: 75,
        [S.checkScaleDown]: 75,
        [S.complete]: 135,
        [S.rollback]: 135,
        [S.recordRejection]: 45,
        [S.recordRollbackFailure]: 45,
      });
    });

    it("gives every Lambda Task, in Map iterations too, a TimeoutSeconds at least 15 s over its function's Timeout", () => {
      const functions = synthesis.template.toJSON().Resources as Record<string, { Type: string; Properties: { Timeout?: number } }>;
      const all = tasksOf(definition.States);
      const short = all.flatMap(([name, task]) => {
        const target = String(task.Parameters?.FunctionName ?? task.Resource);
        const id = invokedFunctionId(functions, target);
        const timeout = id ? functions[id]?.Properties.Timeout : undefined;
        if (timeout === undefined) return [`${name}: no function found for ${target}`];
        return (task.TimeoutSeconds ?? 0) >= timeout + TASK_TIMEOUT_MARGIN_SECONDS
          ? []
          : [`${name}: TimeoutSeconds ${task.TimeoutSeconds} for a function Timeout of ${timeout}`];
      });

      expect(TASK_TIMEOUT_MARGIN_SECONDS).toBe(15);
      expect(all).toHaveLength(42);
      expect(short).toEqual([]);
    });

    it('retries every Task on Lambda throttling, transient AWS errors and Lambda service errors', () => {
      for (const [name, task] of tasks) {
        const retried = (task.Retry ?? []).filter((retrier) => (retrier.MaxAttempts ?? 3) > 0).flatMap((retrier) => retrier.ErrorEquals);
        expect(retried, name).toEqual(expect.arrayContaining([...TRANSIENT_ERRORS, ...LAMBDA_SERVICE_ERRORS]));
      }
    });

    it('retries Lambda throttling 6 times on every Task, whatever its phase retries (2 s doubling, at most 60 s, full jitter)', () => {
      for (const [name, task] of tasks) {
        const throttled = (task.Retry ?? []).filter((retrier) => retrier.ErrorEquals.includes('Lambda.TooManyRequestsException'));
        expect(throttled, name).toEqual([
          {
            ErrorEquals: ['Lambda.TooManyRequestsException'],
            IntervalSeconds: 2,
            MaxAttempts: 6,
            BackoffRate: 2,
            MaxDelaySeconds: 60,
            JitterStrategy: 'FULL',
          },
        ]);
      }
    });

    it('keeps States.ALL alone and last in every Retry and Catch list', () => {
      for (const [name, task] of tasks) {
        for (const list of [task.Retry ?? [], task.Catch ?? []]) {
          const position = list.findIndex((entry) => entry.ErrorEquals.includes('States.ALL'));
          if (position === -1) continue;
          expect(position, name).toBe(list.length - 1);
          expect(list[position]?.ErrorEquals, name).toEqual(['States.ALL']);
        }
      }
    });

    it.each(ROLLING_BACK_TASKS)('sends any failure of "%s" through "<state> failed" to the rollback with the error at $.error', (name) => {
      expect(state(name).Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name} failed` }]);
      expect(state(`${name} failed`)).toEqual({ Type: 'Pass', Result: name, ResultPath: '$.failedPhase', Next: S.rollback });
    });

    it.each(REJECTING_TASKS)('records any failure of "%s" as a rejection, noting the phase, with the error at $.error', (name) => {
      expect(state(name).Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name} failed` }]);
      expect(state(`${name} failed`)).toEqual({ Type: 'Pass', Result: name, ResultPath: '$.failedPhase', Next: S.recordRejection });
    });

    it('rolls back from every Task on the path from "Prepare task definition" to the end', () => {
      const onPath = reachable(S.prepare, { throughCatch: false }).filter((name) => state(name).Type === 'Task');

      expect(onPath).toEqual(expect.arrayContaining(ROLLING_BACK_TASKS));
      expect(
        onPath.filter((name) => !state(name).Catch?.some((c) => state(c.Next).Next === S.rollback && c.ErrorEquals.includes('States.ALL'))),
      ).toEqual([]);
    });

    it('records a rejection from every Task before "Prepare task definition"', () => {
      const beforePrepare = reachable(S.initialize, { throughCatch: false, stopAt: S.prepare }).filter(
        (name) => state(name).Type === 'Task',
      );

      expect(beforePrepare.sort()).toEqual([...REJECTING_TASKS].sort());
    });

    it('catches a failing rollback into "Record rollback failure", then retries the rollback after a 300 s Wait', () => {
      expect(state(S.rollback).Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.rollbackError', Next: S.recordRollbackFailure },
      ]);
      expect(state(S.recordRollbackFailure).Next).toBe(S.waitRetryRollback);
      expect(state(S.waitRetryRollback)).toEqual({ Type: 'Wait', Seconds: 300, Next: S.rollback });
    });

    it('does not retry a RollbackFailedError but retries any other rollback failure', () => {
      const retry = state(S.rollback).Retry ?? [];
      const noRetry = retry.findIndex((r) => r.ErrorEquals.includes('RollbackFailedError'));
      const anyError = retry.findIndex((r) => r.ErrorEquals.includes('States.ALL'));

      expect(retry[noRetry]).toEqual({ ErrorEquals: ['RollbackFailedError'], MaxAttempts: 0 });
      expect(noRetry).toBeLessThan(anyError);
      expect(retry[anyError]?.MaxAttempts).toBe(6);
    });

    it('reaches every state from StartAt through Next, Choices, Default and Catch', () => {
      expect(definition.StartAt).toBe(S.receive);
      expect(reachable(definition.StartAt, { throughCatch: true }).sort()).toEqual(Object.keys(definition.States).sort());
    });

    it('only moves to states that exist', () => {
      const targets = Object.values(definition.States).flatMap((s) => successors(s));

      expect(targets.filter((target) => !(target in definition.States))).toEqual([]);
    });

    it('ends every failure in a Fail state that reports the outcome through ErrorPath and CausePath', () => {
      const fails = Object.entries(definition.States).filter(([, s]) => s.Type === 'Fail');

      expect(Object.fromEntries(fails)).toEqual({
        [S.rejected]: { Type: 'Fail', ErrorPath: '$.outcome.error', CausePath: '$.outcome.cause' },
        [S.rolledBack]: { Type: 'Fail', ErrorPath: '$.outcome.error', CausePath: '$.outcome.cause' },
        [R.rejected]: { Type: 'Fail', ErrorPath: '$.outcome.error', CausePath: '$.outcome.cause' },
        [R.rolledBack]: { Type: 'Fail', ErrorPath: '$.outcome.error', CausePath: '$.outcome.cause' },
      });
    });

    it('has Wait states only for the smoke test retry and the rollback: the gate loops wait inside their Tasks', () => {
      const waits = Object.entries(definition.States).filter(([, s]) => s.Type === 'Wait');

      expect(Object.fromEntries(waits.map(([name, wait]) => [name, { ...wait, Next: undefined }]))).toEqual({
        [S.waitSmokeTest]: { Type: 'Wait', SecondsPath: '$.wait.seconds' },
        [S.waitRollback]: { Type: 'Wait', SecondsPath: '$.wait.seconds' },
        [S.waitRetryRollback]: { Type: 'Wait', Seconds: 300 },
      });
    });

    it('loops each watching Task straight back to itself through its Choice', () => {
      expect(definition.States[S.isStable]).toMatchObject({ Default: S.checkStability });
      expect(definition.States[S.isShifted]).toMatchObject({ Default: S.shiftTraffic });
      expect(definition.States[S.isBaked]).toMatchObject({ Default: S.checkBake });
      expect(definition.States[S.isRetireDue]).toMatchObject({ Default: S.checkScaleDown });
      expect(definition.States[R.isShiftedTogether]).toMatchObject({ Default: R.shiftTogether });
    });

    it('uses JSONPath only, never JSONata', () => {
      expect(queryLanguages(definition).filter((language) => language !== 'JSONPath')).toEqual([]);
    });
  });
});
