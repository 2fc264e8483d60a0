/**
 * The phases a deployment records: every phase with its first start, last
 * end and invocations, and for every fault a terminal record naming the failed phase.
 * run() and runWith() check the invariants of docs/architecture.md after every run.
 */
import { describe, expect, it } from 'vitest';
import { TerminalStatusSchema } from '../../../lambdas/shared/contract.ts';
import type { PhaseRun } from '../../../lambdas/shared/telemetry/phase-runs.ts';
import { FAULTS } from '../../../sim/faults/index.ts';
import { at, eventSummary, PHASES, phasesOf } from '../../support/records.ts';
import { record, run, SMOKE_TEST } from '../../support/simulation.ts';

/** The phase a state's handler records itself under (record.failedPhase names the state). */
const PHASE_OF_STATE: Record<string, string> = {
  Initialize: 'initialize',
  Validate: 'validate',
  'Prepare task definition': 'prepare',
  'Deploy new colour': 'deploy',
  'Check new colour stability': 'checkStability',
  'Verify new colour': 'verify',
  'Smoke test new colour': 'smokeTest',
  'Shift traffic': 'shiftTraffic',
  'Check bake': 'checkBake',
  'Check before retiring old colour': 'checkBake',
  'Complete deployment': 'complete',
};

/** A phase that ran once and succeeded at `time`. */
function once(time: string): PhaseRun {
  return { startedAt: at(time), endedAt: at(time), invocations: 1, result: 'succeeded' };
}

describe('the phases in the record', () => {
  it('records every phase of a successful deployment with its first start, last end and invocations', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    const deployment = record(result);
    expect(deployment?.status).toBe('SUCCEEDED');
    expect(Object.keys(phasesOf(result))).toEqual(PHASES);
    expect(deployment?.phases).toEqual({
      // Each Task state entered takes 5 ms and each invoke 20 ms (sim/stepfunctions/latency.ts).
      initialize: once('09:00:00.025'),
      validate: once('09:00:00.050'),
      prepare: once('09:00:00.075'),
      deploy: once('09:00:00.100'),
      // One invocation that looks at the rollout every 15 s inside (lambdas/shared/watch.ts); its look 45 s in finds
      // the colour stable (its tasks started in 20 s, its new targets healthy after one 10 s health check).
      checkStability: { startedAt: at('09:00:00.125'), endedAt: at('09:00:45.125'), invocations: 1, result: 'succeeded' },
      verify: once('09:00:45.150'),
      // The smoke test's requests take their simulated time.
      smokeTest: { startedAt: at('09:00:45.175'), endedAt: at('09:00:45.200'), invocations: 1, result: 'succeeded' },
      shiftTraffic: once('09:00:45.225'),
      // Two invocations that watch inside: Check bake over the 300 s bake, Check before retiring old colour over the
      // 300 s scale-down delay, each until 300 s after the previous phase's end.
      checkBake: { startedAt: at('09:00:45.250'), endedAt: at('09:10:45.225'), invocations: 2, result: 'succeeded' },
      // After the 300 s scale-down delay.
      complete: once('09:10:45.250'),
    });
  });

  it('records every attempt of a failing smoke test under smokeTest and announces only the last, FAILED', async () => {
    // Arrange / Act: the new colour answers the smoke test with HTTP 500, three attempts 10 s apart.
    const result = await run({ faults: ['smoke-fails'] });

    // Assert
    const deployment = record(result);
    const path = result.main.executionPath;
    expect(path.slice(path.indexOf('Verify new colour') + 1, path.indexOf('Roll back'))).toEqual([
      ...SMOKE_TEST,
      'Wait before retrying smoke test',
      ...SMOKE_TEST,
      'Wait before retrying smoke test',
      'Smoke test new colour',
      'Record smoke test',
      'Smoke test new colour failed',
    ]);
    expect(deployment).toMatchObject({ status: 'ROLLED_BACK', failedPhase: 'Smoke test new colour' });
    expect(String(deployment?.outcomeReason)).toMatch(
      /^SmokeTestFailedError: smoke test of green through the test listener failed: GET http:\/\/internal-prod-alb-1234567890\.eu-west-1\.elb\.amazonaws\.com:8080\/healthz -> 500 in \d+ ms /,
    );
    expect(phasesOf(result).smokeTest).toEqual({
      startedAt: at('09:00:45.175'),
      endedAt: at('09:01:05.310'),
      invocations: 3,
      result: 'failed',
      error: deployment?.outcomeReason,
    });
    expect(eventSummary(result).filter(([, phase]) => phase === 'smokeTest')).toEqual([['Baton Phase Changed', 'smokeTest', 'FAILED']]);
  });

  it.each(Object.keys(FAULTS))('%s: a terminal record whose phase entries add up, the failed phase named', async (name) => {
    // Arrange
    const fault = FAULTS[name];
    if (!fault) throw new Error(`no fault ${name}`);

    // Act
    const result = await run({ faults: [name], ...(fault.input ? { input: fault.input } : {}) });

    // Assert: every execution's record, duplicates and concurrent triggers included.
    const deployment = record(result);
    expect(TerminalStatusSchema.options).toContain(deployment?.status);
    expect(deployment?.status).toBe(fault.expected);
    // A recovery execution writes into the record of the deployment it recovers, not one of its own.
    for (const execution of [result.main, ...result.others].filter(({ name }) => !/-recovery-\d+$/.test(name))) {
      const entries = Object.entries(phasesOf(result, execution.name));
      expect(entries.length, execution.name).toBeGreaterThan(0);
      for (const [phase, entry] of entries) {
        expect(entry.startedAt <= entry.endedAt, `${execution.name} ${phase}: ${entry.startedAt} <= ${entry.endedAt}`).toBe(true);
        expect(entry.invocations, `${execution.name} ${phase}`).toBeGreaterThanOrEqual(1);
        expect(['succeeded', 'failed'], `${execution.name} ${phase}`).toContain(entry.result);
      }
    }
    const phases = phasesOf(result);
    const failed = Object.entries(phases).filter(([, entry]) => entry.result === 'failed');
    const failedPhase = deployment?.failedPhase as string | undefined;
    if (deployment?.status === 'ROLLED_BACK') expect(failedPhase).toBeDefined();
    if (failedPhase === undefined) {
      expect(failed).toEqual([]);
    } else if (failedPhase === 'Initialize') {
      // Initialize fails before the record exists: recordFailure writes the record and initialize's failed run into it.
      expect(Object.keys(phases).sort()).toEqual(['initialize', 'recordFailure']);
      expect(phases.initialize).toMatchObject({ result: 'failed', error: deployment?.outcomeReason, invocations: 1 });
    } else if (String(deployment?.outcomeReason).startsWith('LockLostError')) {
      // The lock went to another deployment: the rollback touches nothing and runs no tracked phase of its own.
      expect(failed.map(([phase]) => phase)).toEqual([PHASE_OF_STATE[failedPhase]]);
    } else if (String(deployment?.outcomeReason).startsWith('ExecutionAborted')) {
      // Stopped as it entered the state: no phase failed; the backstop's recovery closed the record.
      expect(failed).toEqual([]);
      expect(phases.rollback?.result).toBe('succeeded');
    } else if (String(deployment?.outcomeReason).startsWith('Lambda.Unknown: Task timed out')) {
      // Lambda ended the phase's invocation at its timeout: the phase never recorded its failure; the rollback closed the record.
      expect(failed).toEqual([]);
      expect(phases.rollback?.result).toBe('succeeded');
    } else if (deployment?.status === 'ROLLBACK_FAILED') {
      // The phase that failed, then the rollback, whose error the reason states.
      expect(failed.map(([phase]) => phase)).toEqual([PHASE_OF_STATE[failedPhase], 'rollback']);
      expect(deployment.outcomeReason).toContain(phases.rollback?.error);
    } else {
      expect(failed.map(([phase]) => phase)).toEqual([PHASE_OF_STATE[failedPhase]]);
      const error = failed[0]?.[1].error ?? '';
      expect(error).toBe(deployment?.outcomeReason);
      if (result.main.status === 'FAILED') expect(error.startsWith(`${result.main.error}: `)).toBe(true);
      const closing = deployment?.status === 'ROLLED_BACK' ? 'rollback' : 'recordFailure';
      expect(phases[closing]?.result).toBe('succeeded');
    }
  });
});
