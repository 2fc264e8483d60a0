/**
 * The release branch of the state machine: several services deployed as one
 * unit. Plan release orders them in waves and takes every lock; all services
 * are validated before anything changes (a dry run ends there, with the
 * order and each service's plan as its output); the waves deploy one after the
 * other (a Map with MaxConcurrency 1), the services of a wave in parallel
 * (an inner Map), each up to a verified new colour. Only then does
 * production traffic move: each service by its own strategy, or all at the
 * same steps (shift "together"). Bake and retirement follow for all. Any
 * failure after validation goes to the joint rollback, which rolls back
 * every service that changed, last wave first, with the single-service
 * rollback loop.
 */
import {
  Choice,
  Condition,
  Fail,
  type IChainable,
  JsonPath,
  Map as MapState,
  Pass,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { PAYLOAD_PATHS } from '../../lambdas/shared/contract.ts';
import { RELEASE_PATHS, type ReleaseState } from '../../lambdas/shared/release.ts';
import type { Names, OnFailure, PhaseStates } from './phase-states.ts';
import { RELEASE_STATE_NAMES as R, RELEASE_SUFFIX, STATE_NAMES } from './state-names.ts';

/** The release's fields Gather services carries over as they are (the waves become `services`). */
const GATHER_KEEPS = ['releaseId', 'executionArn', 'startedAt', 'request', 'warnings'] as const satisfies ReadonlyArray<keyof ReleaseState>;

const releaseNames: Names = (key) => `${STATE_NAMES[key]}${RELEASE_SUFFIX}`;

/** Builds the branch; returns its first state (Plan release) and the joint rollback's (for release recovery executions). */
export function releaseBranch(scope: Construct, states: PhaseStates): { plan: LambdaInvoke; unwind: LambdaInvoke } {
  const n = releaseNames;
  const catchRelease = (state: { addCatch(handler: IChainable, props: { resultPath: string }): unknown }, handler: IChainable) =>
    state.addCatch(handler, { resultPath: PAYLOAD_PATHS.error });

  // Verdicts.
  const recordRejection = states.task(R.recordRejection, 'finishRelease', TaskInput.fromObject({ kind: 'rejected', 'state.$': '$' }));
  recordRejection.next(states.failWithOutcome(R.rejected));
  const recordSuccess = states.task(R.recordSuccess, 'finishRelease', TaskInput.fromObject({ kind: 'succeeded', 'state.$': '$' }));
  recordSuccess.next(new Succeed(scope, R.succeeded, { outputPath: PAYLOAD_PATHS.outcome }));

  // The joint rollback: one service after the other, last wave first, each with the single-service rollback loop.
  const unwind = states.task(R.unwind, 'unwindRelease');
  const rollBackServices = new MapState(scope, R.rollBackServices, {
    comment: 'Rolls back the services that changed, one at a time, in reverse deploy order',
    itemsPath: RELEASE_PATHS.rollbacks,
    maxConcurrency: 1,
    resultPath: JsonPath.DISCARD,
  }).itemProcessor(states.rollbackLoop(n, new Succeed(scope, R.serviceRolledBack)));
  const recordRollback = states.task(R.recordRollback, 'finishRelease', TaskInput.fromObject({ kind: 'rolled-back', 'state.$': '$' }));
  unwind.next(rollBackServices).next(recordRollback).next(states.failWithOutcome(R.rolledBack));

  // Plan, then validate every service before anything changes.
  const plan = states.task(R.planRelease, 'planRelease');
  catchRelease(plan, recordRejection);
  const validateServices = new MapState(scope, R.validateServices, {
    comment: 'Validates every service of the release, in parallel, before any change',
    itemsPath: RELEASE_PATHS.waves,
    resultPath: RELEASE_PATHS.waves,
  }).itemProcessor(new MapState(scope, R.validateWave).itemProcessor(states.validate(n, reportFailure(scope, states, 'validation'))));
  catchRelease(validateServices, recordRejection);

  // Waves in order; the services of a wave in parallel, each to a verified new colour.
  const deployWaves = new MapState(scope, R.deployWaves, {
    comment: 'One wave after the other (dependencies first); each waits for the previous one to pass verify',
    itemsPath: RELEASE_PATHS.waves,
    maxConcurrency: 1,
    resultPath: RELEASE_PATHS.waves,
  }).itemProcessor(
    new MapState(scope, R.deployWave, { comment: 'The services of one wave, in parallel' }).itemProcessor(
      states.deployAndVerify(n, reportFailure(scope, states, 'deployment'), new Succeed(scope, R.verified)),
    ),
  );
  catchRelease(deployWaves, unwind);
  // The waves' states become one list (and the waves are dropped: the payload stays well inside 256 KB).
  const gather = new Pass(scope, R.gatherServices, {
    comment: 'Every service state of every wave, as one list',
    parameters: {
      ...Object.fromEntries(GATHER_KEEPS.map((field) => [`${field}.$`, `$.${field}`])),
      'order.$': RELEASE_PATHS.order,
      'services.$': RELEASE_PATHS.allServices,
    },
  });

  // Traffic, once every service is verified.
  const shiftEach = new MapState(scope, R.shiftEach, {
    comment: 'Every service moves its production weight by its own strategy, in parallel',
    itemsPath: RELEASE_PATHS.services,
    resultPath: RELEASE_PATHS.services,
  }).itemProcessor(states.shiftLoop(n, reportFailure(scope, states, 'traffic'), new Succeed(scope, R.shifted)));
  catchRelease(shiftEach, unwind);
  const shiftTogether = states.task(R.shiftTogether, 'shiftTogether');
  catchRelease(shiftTogether, unwind);

  const bakeServices = new MapState(scope, R.bakeServices, {
    comment: 'Every service bakes: alarms and health watched for its bake time, then until its old colour may be retired',
    itemsPath: RELEASE_PATHS.services,
    resultPath: RELEASE_PATHS.services,
  }).itemProcessor(states.bakeLoop(n, reportFailure(scope, states, 'bake'), new Succeed(scope, R.baked)));
  catchRelease(bakeServices, unwind);
  const retire = states.retire(n, reportFailure(scope, states, 'completion'));
  const retireOldColours = new MapState(scope, R.retireOldColours, {
    comment: 'Every service retires its old colour and records success',
    itemsPath: RELEASE_PATHS.services,
    resultPath: JsonPath.DISCARD,
  }).itemProcessor(retire);
  catchRelease(retireOldColours, unwind);

  shiftTogether.next(
    new Choice(scope, R.isShiftedTogether)
      .when(Condition.booleanEquals(RELEASE_PATHS.trafficComplete, true), bakeServices)
      .otherwise(shiftTogether),
  );
  shiftEach.next(bakeServices);
  bakeServices.next(retireOldColours).next(recordSuccess);
  // A dry run ends once every service is validated: the output is the order and each service's plan.
  const dryRun = new Choice(scope, R.isDryRun)
    .when(
      Condition.booleanEquals(RELEASE_PATHS.dryRun, true),
      new Pass(scope, R.describePlan, {
        parameters: { 'release.$': '$.request.release', 'waves.$': RELEASE_PATHS.order, 'plans.$': RELEASE_PATHS.plans },
      }).next(new Succeed(scope, R.dryRunPassed)),
    )
    .otherwise(deployWaves);
  plan.next(validateServices).next(dryRun);
  deployWaves
    .next(gather)
    .next(
      new Choice(scope, R.isTogether).when(Condition.stringEquals(RELEASE_PATHS.shift, 'together'), shiftTogether).otherwise(shiftEach),
    );
  return { plan, unwind };
}

/**
 * Inside a release's Map iteration a failed phase does not roll back on its
 * own: the release record notes the service, the state and the error (the
 * first failure wins), the iteration fails with the service's error, and the
 * Map's Catch starts the joint rollback (or, for validation, the rejection)
 * of the whole release.
 */
function reportFailure(scope: Construct, states: PhaseStates, what: string): OnFailure {
  const record = states.task(
    `Record ${what} failure`,
    'recordFailure',
    TaskInput.fromObject({ kind: 'release-service-failed', 'state.$': '$' }),
  );
  record.next(new Fail(scope, `Service ${what} failed`, { errorPath: PAYLOAD_PATHS.errorName, causePath: PAYLOAD_PATHS.errorCause }));
  return states.catchTo(record);
}
