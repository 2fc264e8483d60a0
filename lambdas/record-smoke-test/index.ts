/**
 * record smoke test: what the smoke-test function cannot do from inside a
 * VPC without a route to AWS. Runs after each attempt of the smoke test, only
 * while the deployment holds its lock, and records the attempt under the
 * smoke test's name (phases.smokeTest in the record, its "Baton Phase
 * Changed" event and PhaseDuration metric). A passed attempt ends the smoke
 * test; a failed one with attempts left waits SMOKE_RETRY_SECONDS for the
 * next; the last failed one fails the deployment with SmokeTestFailedError,
 * naming every failing check.
 */
import * as z from 'zod';
import { SmokeTestFailedError } from '../shared/errors.ts';
import { definePhase } from '../shared/phase.ts';
import { needing, type VerifiedState, VerifiedStateSchema } from '../shared/stages.ts';

/** Seconds between two attempts of the smoke test. */
export const SMOKE_RETRY_SECONDS = 10;

export const RecordSmokeTestInputSchema = z.object({
  state: needing(VerifiedStateSchema, 'smoke', () => 'recordSmokeTest received a state without the smoke test result ($.smoke)'),
  /** pipeline.smokeTestAttempts, written into the state machine. */
  attempts: z.number().int().min(1),
});
export type RecordSmokeTestInput = z.infer<typeof RecordSmokeTestInputSchema>;

export const handler = definePhase(
  'recordSmokeTest',
  RecordSmokeTestInputSchema,
  async ({ state, attempts }): Promise<VerifiedState> => {
    const run = state.smoke;
    if (run.passed) return state;
    if (run.attempt < attempts) return { ...state, wait: { seconds: SMOKE_RETRY_SECONDS } };
    const failed = run.checks.filter((check) => !check.ok);
    throw new SmokeTestFailedError(
      `smoke test of ${state.idle.colour} through the test listener failed: ${failed.map((check) => check.summary).join('; ')}`,
    );
  },
  {
    tracksAs: 'smokeTest',
    // Each attempt is one invocation of the smoke test: it started when the smoke-test function did.
    startedAt: ({ state }) => state.smoke.startedAt,
    done: (state) => state.smoke?.passed === true,
  },
);
