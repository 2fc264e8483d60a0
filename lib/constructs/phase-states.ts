/**
 * The phase states and loops a single deployment and each service of a
 * release share: the same Lambda Tasks, retries and Choice loops, built under
 * different names (a release's per-service states carry a suffix) and with
 * different failure handling (a single deployment rolls back; a release's
 * iteration reports its failure to the release).
 */
import { Duration } from 'aws-cdk-lib';
import type { IVersion } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  Fail,
  type IChainable,
  IntegrationPattern,
  JitterType,
  JsonPath,
  Pass,
  Result,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { type BatonConfig, phaseSettings } from '../../lambdas/shared/config-schema.ts';
import { PAYLOAD_PATHS } from '../../lambdas/shared/contract.ts';
import { CacheNotReadyError, RollbackFailedError } from '../../lambdas/shared/errors.ts';
import type { PhaseName } from './phases.ts';
import {
  CACHE_RETRY_SECONDS,
  LAMBDA_THROTTLE_RETRIES,
  ROLLBACK_RETRY_SECONDS,
  STATE_NAMES,
  type StateKey,
  TASK_TIMEOUT_MARGIN_SECONDS,
  TRANSIENT_ERRORS,
} from './state-names.ts';

const THROTTLED = 'Lambda.TooManyRequestsException';

/** Lambda throttling's own retrier, first on every Lambda Task (see LAMBDA_THROTTLE_RETRIES). */
function retryThrottling(invoke: LambdaInvoke): void {
  invoke.addRetry({
    errors: [THROTTLED],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: LAMBDA_THROTTLE_RETRIES,
    maxDelay: Duration.seconds(60),
    jitterStrategy: JitterType.FULL,
  });
}

/** The name a state gets in one flow: the plain name, or the release's suffixed one. */
export type Names = (key: StateKey) => string;
export const plainNames: Names = (key) => STATE_NAMES[key];

/**
 * What a flow does with a phase that failed for good: wires the phase's Catch
 * and returns the phase. `failsAs` names the state the failure is reported as,
 * when the phase is part of another's step (record-smoke-test of the smoke test).
 */
export type OnFailure = (state: LambdaInvoke, failsAs?: LambdaInvoke) => LambdaInvoke;

export class PhaseStates {
  /** The "<state> failed" Pass of each state name, shared by the phases that fail as that state. */
  private readonly failedPasses = new Map<string, Pass>();
  /** The function versions the Tasks invoke (a phase no Task runs, e.g. the backstop, publishes none). */
  readonly invoked = new Map<PhaseName, IVersion>();

  private readonly scope: Construct;
  private readonly config: BatonConfig;
  /** The version a Task of the phase invokes: the function's currentVersion (pipeline-state-machine.ts). */
  private readonly versionOf: (phase: PhaseName) => IVersion;

  constructor(scope: Construct, config: BatonConfig, versionOf: (phase: PhaseName) => IVersion) {
    this.scope = scope;
    this.config = config;
    this.versionOf = versionOf;
  }

  /** A phase's Lambda Task with its timeout and retries on transient errors. */
  private version(phase: PhaseName): IVersion {
    const version = this.invoked.get(phase) ?? this.versionOf(phase);
    this.invoked.set(phase, version);
    return version;
  }

  task(name: string, phase: PhaseName, payload?: TaskInput, resultPath?: string): LambdaInvoke {
    const settings = phaseSettings(this.config.pipeline, phase);
    const invoke = new LambdaInvoke(this.scope, name, {
      lambdaFunction: this.version(phase),
      payloadResponseOnly: true,
      ...(payload ? { payload } : {}),
      ...(resultPath ? { resultPath } : {}),
      // Longer than the function's Timeout (phase-functions.ts): Lambda stops the invocation before the Task gives up on it.
      taskTimeout: Timeout.duration(Duration.seconds(settings.timeoutSeconds + TASK_TIMEOUT_MARGIN_SECONDS)),
      // Keeps the default retry on Lambda service errors (ServiceException, AWSLambdaException, SdkClientException).
      retryOnServiceExceptions: true,
    });
    retryThrottling(invoke);
    if (settings.retries > 0) {
      invoke.addRetry({
        errors: TRANSIENT_ERRORS.filter((error) => error !== THROTTLED),
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: settings.retries,
        maxDelay: Duration.seconds(60),
        jitterStrategy: JitterType.FULL,
      });
    }
    return invoke;
  }

  waitFor(name: string, secondsPath: string = PAYLOAD_PATHS.waitSeconds): Wait {
    return new Wait(this.scope, name, { time: WaitTime.secondsPath(secondsPath) });
  }

  failWithOutcome(name: string): Fail {
    return new Fail(this.scope, name, { errorPath: PAYLOAD_PATHS.outcomeError, causePath: PAYLOAD_PATHS.outcomeCause });
  }

  /**
   * Each Catch passes through a "<state> failed" Pass state that notes which
   * phase failed: the console graph shows it, and the record and the cause name it.
   */
  catchTo(next: IChainable): OnFailure {
    return (state, failsAs = state) => {
      let failed = this.failedPasses.get(failsAs.id);
      if (!failed) {
        failed = new Pass(this.scope, `${failsAs.id} failed`, {
          result: Result.fromString(failsAs.id),
          resultPath: PAYLOAD_PATHS.failedPhase,
        });
        failed.next(next);
        this.failedPasses.set(failsAs.id, failed);
      }
      state.addCatch(failed, { resultPath: PAYLOAD_PATHS.error });
      return state;
    };
  }

  /** A modifying or creating cache may become available: look again every 30 s, within a bound. */
  waitForCache(state: LambdaInvoke): LambdaInvoke {
    const attempts = Math.floor(this.config.pipeline.cacheWaitSeconds / CACHE_RETRY_SECONDS);
    if (attempts > 0)
      state.addRetry({
        errors: [CacheNotReadyError.name],
        interval: Duration.seconds(CACHE_RETRY_SECONDS),
        backoffRate: 1,
        maxAttempts: attempts,
      });
    return state;
  }

  validate(n: Names, onFailure: OnFailure): LambdaInvoke {
    return onFailure(this.waitForCache(this.task(n('validate'), 'validate')));
  }

  /**
   * From a validated state to a verified new colour: prepare, deploy, the
   * stability loop, verify, the smoke test and (when asked) the approval;
   * then `next`. Returns the first state.
   */
  deployAndVerify(n: Names, onFailure: OnFailure, next: IChainable): LambdaInvoke {
    const prepare = onFailure(this.task(n('prepare'), 'prepare'));
    const deploy = onFailure(this.task(n('deploy'), 'deploy'));
    // Check stability waits inside its invocation (lambdas/check-stability): no Wait state, one Task per 14 minutes at most.
    const checkStability = onFailure(this.task(n('checkStability'), 'checkStability'));
    const verify = onFailure(this.waitForCache(this.task(n('verify'), 'verify')));
    const waitForApproval = onFailure(this.approval(n('waitForApproval')));
    prepare.next(deploy).next(checkStability);
    checkStability.next(
      new Choice(this.scope, n('isStable'))
        .when(Condition.booleanEquals(PAYLOAD_PATHS.rolloutStable, true), verify)
        .otherwise(checkStability),
    );
    verify.next(
      this.smokeTestLoop(
        n,
        onFailure,
        new Choice(this.scope, n('isApprovalRequired'))
          .when(Condition.booleanEquals(PAYLOAD_PATHS.approvalRequired, true), waitForApproval)
          .otherwise(next),
      ),
    );
    waitForApproval.next(next);
    return prepare;
  }

  /**
   * The smoke test: one attempt of HTTP checks (the smoke-test function, which
   * calls no AWS API), then record-smoke-test records it; a failed attempt is
   * tried again after a Wait, smokeTestAttempts in all, and the last one fails
   * the deployment. A failure of either function is reported as the smoke
   * test's. Returns the first state.
   */
  private smokeTestLoop(n: Names, onFailure: OnFailure, next: IChainable): LambdaInvoke {
    const smokeTest = onFailure(this.task(n('smokeTest'), 'smokeTest', undefined, PAYLOAD_PATHS.smoke));
    const record = onFailure(
      this.task(
        n('recordSmokeTest'),
        'recordSmokeTest',
        TaskInput.fromObject({ 'state.$': '$', attempts: this.config.pipeline.smokeTestAttempts }),
      ),
      smokeTest,
    );
    smokeTest.next(record);
    record.next(
      new Choice(this.scope, n('isSmokeTestPassed'))
        .when(Condition.booleanEquals(PAYLOAD_PATHS.smokePassed, true), next)
        .otherwise(this.waitFor(n('waitSmokeTest')).next(smokeTest)),
    );
    return smokeTest;
  }

  /**
   * Manual approval: the execution waits on a task token stored in the record by
   * request-approval; `baton approve` sends it back. Nothing sends heartbeats, so
   * HeartbeatSeconds is the approval window: when it closes, the Catch takes over.
   */
  private approval(name: string): LambdaInvoke {
    const approvalSeconds = this.config.pipeline.approvalTimeoutSeconds;
    const waitForApproval = new LambdaInvoke(this.scope, name, {
      lambdaFunction: this.version('requestApproval'),
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ taskToken: JsonPath.taskToken, 'state.$': '$' }),
      heartbeatTimeout: Timeout.duration(Duration.seconds(approvalSeconds)),
      taskTimeout: Timeout.duration(Duration.seconds(approvalSeconds + 300)),
      resultPath: PAYLOAD_PATHS.approvalResult,
      retryOnServiceExceptions: true,
    });
    retryThrottling(waitForApproval);
    waitForApproval.addRetry({
      errors: TRANSIENT_ERRORS.filter((error) => error !== THROTTLED),
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: phaseSettings(this.config.pipeline, 'requestApproval').retries,
      jitterStrategy: JitterType.FULL,
    });
    return waitForApproval;
  }

  /**
   * The traffic loop of one service's own strategy; `next` once the plan is done. Shift traffic watches each
   * step's hold inside its invocation (lambdas/shared/watch.ts), so the Choice calls it again at once. Returns the first state.
   */
  shiftLoop(n: Names, onFailure: OnFailure, next: IChainable): LambdaInvoke {
    const shiftTraffic = onFailure(this.task(n('shiftTraffic'), 'shiftTraffic'));
    shiftTraffic.next(
      new Choice(this.scope, n('isShifted'))
        .when(Condition.booleanEquals(PAYLOAD_PATHS.trafficComplete, true), next)
        .otherwise(shiftTraffic),
    );
    return shiftTraffic;
  }

  /**
   * The bake, then the scale-down delay: alarms and health watched every gate
   * interval, and the events every second, inside each invocation of Check
   * bake (lambdas/shared/watch.ts), until the old colour may be retired; then
   * `next` (Complete). A Choice calls the Task again while the watch goes on:
   * the history grows by 7 events per invocation (up to 14 minutes), not per
   * gate interval. The delay is a watch of its own rather than a plain Wait:
   * the old colour is the way back only while it runs, so a new colour that
   * turns bad before it is retired must roll back, not be left alone on 0
   * healthy targets. It is a second Task rather than a longer bake so the
   * console shows which wait a deployment is in, and it sits inside the bake
   * (not in retire) so a release watches every service until none is retired
   * yet (Bake services), and only then retires them all. Returns the first state.
   */
  bakeLoop(n: Names, onFailure: OnFailure, next: IChainable): LambdaInvoke {
    const checkBake = onFailure(this.task(n('checkBake'), 'checkBake'));
    const checkScaleDown = onFailure(this.task(n('checkScaleDown'), 'checkBake'));
    checkBake.next(
      new Choice(this.scope, n('isBaked'))
        .when(Condition.booleanEquals(PAYLOAD_PATHS.bakeComplete, true), checkScaleDown)
        .otherwise(checkBake),
    );
    checkScaleDown.next(
      new Choice(this.scope, n('isRetireDue')).when(Condition.booleanEquals(PAYLOAD_PATHS.retireDue, true), next).otherwise(checkScaleDown),
    );
    return checkBake;
  }

  /** Complete: the gates once more, the old colour to 0, the record, the lock. */
  retire(n: Names, onFailure: OnFailure): LambdaInvoke {
    return onFailure(this.task(n('complete'), 'complete'));
  }

  /**
   * The rollback loop: waits for the old colour when it has to be scaled up
   * first, then `done`. A failed rollback records ROLLBACK_FAILED once (the
   * alarm and the notification go out) and tries again every few minutes, so
   * a fixed cause (a permission restored, capacity back) heals by itself; at
   * the execution timeout it ends TIMED_OUT, still holding the lock, and a
   * redrive after the fix resumes here. Returns the first state.
   */
  rollbackLoop(n: Names, done: IChainable): LambdaInvoke {
    const rollback = this.task(n('rollback'), 'rollback');
    // A rollback that cannot make progress is not retried; any other failure is.
    rollback.addRetry({ errors: [RollbackFailedError.name], maxAttempts: 0 });
    rollback.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: phaseSettings(this.config.pipeline, 'rollback').retries,
      maxDelay: Duration.seconds(60),
      jitterStrategy: JitterType.FULL,
    });
    const recordRollbackFailure = this.task(
      n('recordRollbackFailure'),
      'recordFailure',
      TaskInput.fromObject({ kind: 'rollback-failed', 'state.$': '$' }),
    );
    recordRollbackFailure.next(
      new Wait(this.scope, n('waitRetryRollback'), { time: WaitTime.duration(Duration.seconds(ROLLBACK_RETRY_SECONDS)) }).next(rollback),
    );
    rollback.addCatch(recordRollbackFailure, { resultPath: PAYLOAD_PATHS.rollbackError });
    const waitRollback = this.waitFor(n('waitRollback'));
    rollback.next(
      new Choice(this.scope, n('isRolledBack'))
        .when(Condition.stringEquals(PAYLOAD_PATHS.rollbackStage, 'done'), done)
        .otherwise(waitRollback),
    );
    waitRollback.next(rollback);
    return rollback;
  }
}
