/** The state machine's state names and the timing constants its tests and the simulation share. */
import { TransientAwsError } from '../../lambdas/shared/errors.ts';
/** Seconds between rollback attempts once a rollback has failed (ROLLBACK_FAILED is recorded). */
export const ROLLBACK_RETRY_SECONDS = 300;

/**
 * Seconds a Lambda Task waits beyond its function's Timeout. Lambda ends an
 * invocation at the function's Timeout; a Task that gave up first (States.Timeout)
 * would start Roll back while the invocation still runs and may still change the
 * listener. The margin covers what happens outside the function's Timeout: a cold
 * start's Init phase (limited to 10 s; https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html)
 * and the invoke's own overhead (5 s).
 */
export const TASK_TIMEOUT_MARGIN_SECONDS = 15;

/** Error names a retry can fix (see lambdas/shared/errors.ts and phase.ts). */
export const TRANSIENT_ERRORS = ['Lambda.TooManyRequestsException', TransientAwsError.name];

/**
 * Lambda throttling ("When Lambda hits the maximum number of invocations, the error
 * is Lambda.TooManyRequestsException"; https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html)
 * has a retrier of its own on every Task, whatever the phase's `retries`: a
 * throttled invocation never ran, so trying again is safe even for a phase that
 * is not retried otherwise. Concurrency runs out for as long as other functions of
 * the account hold it, often longer than a phase's 3 to 5 retries cover (2 + 4 + 8
 * = 14 s for 3); 6 attempts at 2 s doubling, capped at 60 s, wait up to 122 s
 * (full jitter: about half that on average), the attempts AWS's own example gives
 * Lambda service errors.
 */
export const LAMBDA_THROTTLE_RETRIES = 6;

/** Interval of the retries that wait for a modifying or creating ElastiCache replication group. */
export const CACHE_RETRY_SECONDS = 30;

/** Readable state names; tests and the simulation refer to them through this table. */
export const STATE_NAMES = {
  receive: 'Receive request',
  initialize: 'Initialize',
  validate: 'Validate',
  isDryRun: 'Is it a dry run?',
  dryRunPassed: 'Dry run passed',
  prepare: 'Prepare task definition',
  deploy: 'Deploy new colour',
  checkStability: 'Check new colour stability',
  isStable: 'Is new colour stable?',
  verify: 'Verify new colour',
  shiftTraffic: 'Shift traffic',
  isShifted: 'Is traffic fully shifted?',
  checkBake: 'Check bake',
  isBaked: 'Is bake over?',
  checkScaleDown: 'Check before retiring old colour',
  isRetireDue: 'Is it time to retire old colour?',
  complete: 'Complete deployment',
  succeeded: 'Deployment succeeded',
  rollback: 'Roll back',
  isRolledBack: 'Is rollback done?',
  waitRollback: 'Wait for old colour',
  rolledBack: 'Deployment rolled back',
  recordRejection: 'Record rejection',
  isDuplicate: 'Is the trigger redundant?',
  duplicate: 'Duplicate trigger ignored',
  superseded: 'Older image superseded',
  queued: 'Newer image queued',
  rejected: 'Deployment rejected',
  recordRollbackFailure: 'Record rollback failure',
  waitRetryRollback: 'Wait before retrying rollback',
  isRecovery: 'Is it a recovery?',
  recover: 'Load deployment for recovery',
  anythingToRecover: 'Anything to roll back?',
  nothingToRecover: 'Nothing to recover',
  smokeTest: 'Smoke test new colour',
  recordSmokeTest: 'Record smoke test',
  isSmokeTestPassed: 'Did the smoke test pass?',
  waitSmokeTest: 'Wait before retrying smoke test',
  isApprovalRequired: 'Is approval required?',
  waitForApproval: 'Wait for approval',
  isRelease: 'Is it a release?',
} as const;
export type StateKey = keyof typeof STATE_NAMES;

/**
 * The release branch's own states. The per-service states inside its Map
 * iterations reuse the names above with RELEASE_SUFFIX, so an operator reads
 * the same phase names in both graphs.
 */
export const RELEASE_STATE_NAMES = {
  planRelease: 'Plan release',
  validateServices: 'Validate services',
  validateWave: 'Validate wave',
  isDryRun: 'Is it a release dry run?',
  describePlan: 'Describe release plan',
  dryRunPassed: 'Release dry run passed',
  deployWaves: 'Deploy waves',
  deployWave: 'Deploy wave',
  verified: 'Service verified',
  gatherServices: 'Gather services',
  isTogether: 'Shift together?',
  shiftEach: 'Shift traffic of each service',
  shifted: 'Service traffic shifted',
  shiftTogether: 'Shift traffic together',
  isShiftedTogether: 'Is release traffic fully shifted?',
  bakeServices: 'Bake services',
  baked: 'Service baked',
  retireOldColours: 'Retire old colours',
  recordSuccess: 'Record release success',
  succeeded: 'Release succeeded',
  recordRejection: 'Record release rejection',
  rejected: 'Release rejected',
  unwind: 'Plan joint rollback',
  rollBackServices: 'Roll back services',
  serviceRolledBack: 'Service rolled back',
  recordRollback: 'Record release rollback',
  rolledBack: 'Release rolled back',
} as const;

/** Appended to the phase states inside the release's Map iterations (state names are unique in the whole machine). */
export const RELEASE_SUFFIX = ' (release)';
