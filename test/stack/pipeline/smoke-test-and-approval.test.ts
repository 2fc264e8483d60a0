/**
 * The states between verify and the traffic shift: the smoke test, retried
 * up to pipeline.smokeTestAttempts, and the manual approval that waits for a
 * task token for the approval window. One synthesis (without bundling) for
 * the example config, one with another approval window.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../../../lib/constructs/state-names.ts';
import { choicesOf, stateOf } from '../../support/definition.ts';
import { exampleWithPipeline, synthExample } from '../../support/example.ts';
import { type AslDefinition, type AslState, stateMachineDefinition, synth } from '../../support/synth.ts';

const S = STATE_NAMES;

describe('triggers of the Baton stack for the example config', () => {
  let definition: AslDefinition;

  beforeAll(() => {
    definition = stateMachineDefinition(synthExample().synthesis.template);
  });

  describe('manual approval', () => {
    it('waits for a task token for the approval window, then rolls back', () => {
      // Act
      const wait = stateOf(definition, S.waitForApproval) as AslState & {
        HeartbeatSeconds?: number;
        ResultPath?: string;
        Parameters?: { Payload?: Record<string, string> };
      };

      // Assert
      expect(wait.Type).toBe('Task');
      expect(wait.Resource?.endsWith('lambda:invoke.waitForTaskToken')).toBe(true);
      expect(wait.HeartbeatSeconds).toBe(3600);
      expect(wait.TimeoutSeconds).toBe(3900);
      expect(wait.Parameters?.Payload).toEqual({ 'taskToken.$': '$$.Task.Token', 'state.$': '$' });
      expect(wait.ResultPath).toBe('$.approvalResult');
      expect(wait.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Wait for approval failed' }]);
      expect(wait.Next).toBe(S.shiftTraffic);
    });

    it('is asked for after the smoke test passed when $.approval.required is true, else traffic shifts', () => {
      // Act
      const passed = stateOf(definition, S.isSmokeTestPassed);
      const isRequired = stateOf(definition, S.isApprovalRequired);

      // Assert
      expect(choicesOf(passed)).toEqual([{ Variable: '$.smoke.passed', BooleanEquals: true, Next: S.isApprovalRequired }]);
      expect(isRequired.Type).toBe('Choice');
      expect(choicesOf(isRequired)).toEqual([{ Variable: '$.approval.required', BooleanEquals: true, Next: S.waitForApproval }]);
      expect(isRequired.Default).toBe(S.shiftTraffic);
    });
  });

  describe('smoke test', () => {
    it('runs the HTTP checks after verify, their result at $.smoke, and records them next', () => {
      // Act
      const verify = stateOf(definition, S.verify);
      const smoke = stateOf(definition, S.smokeTest) as AslState & { ResultPath?: string };

      // Assert
      expect(verify.Next).toBe(S.smokeTest);
      expect(smoke.ResultPath).toBe('$.smoke');
      expect(smoke.Next).toBe(S.recordSmokeTest);
      // Retried on transient errors only: a failed check is an attempt, which record-smoke-test counts.
      expect((smoke.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals)).not.toContain('SmokeTestFailedError');
    });

    it('records each attempt with pipeline.smokeTestAttempts, then goes on when it passed, else waits and tries again', () => {
      // Act
      const record = stateOf(definition, S.recordSmokeTest);
      const passed = stateOf(definition, S.isSmokeTestPassed);
      const wait = stateOf(definition, S.waitSmokeTest);

      // Assert
      expect(record.Parameters).toEqual({ 'state.$': '$', attempts: 3 });
      expect(record.Next).toBe(S.isSmokeTestPassed);
      expect(passed.Type).toBe('Choice');
      expect(passed.Default).toBe(S.waitSmokeTest);
      expect(wait).toEqual({ Type: 'Wait', SecondsPath: '$.wait.seconds', Next: S.smokeTest });
    });

    it('reports a failure of either function as a failure of the smoke test, on the way to the rollback', () => {
      // Act
      const catches = [S.smokeTest, S.recordSmokeTest].map((name) => stateOf(definition, name).Catch);

      // Assert
      expect(catches).toEqual([
        [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${S.smokeTest} failed` }],
        [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${S.smokeTest} failed` }],
      ]);
      expect(stateOf(definition, `${S.smokeTest} failed`)).toEqual({
        Type: 'Pass',
        Result: S.smokeTest,
        ResultPath: '$.failedPhase',
        Next: S.rollback,
      });
    });
  });
});

describe('the approval window of a config with pipeline.approvalTimeoutSeconds 600', () => {
  let definition: AslDefinition;

  beforeAll(() => {
    definition = stateMachineDefinition(synth(exampleWithPipeline({ approvalTimeoutSeconds: 600 })).template);
  });

  it('is the heartbeat of "Wait for approval", with 300 s more as its timeout', () => {
    // Act
    const wait = stateOf(definition, S.waitForApproval) as AslState & { HeartbeatSeconds?: number };

    // Assert
    expect(wait.HeartbeatSeconds).toBe(600);
    expect(wait.TimeoutSeconds).toBe(900);
  });
});
