/**
 * The blue/green state machine. Every phase is a Lambda Task with a timeout
 * and retries on transient errors; from prepare onward every Task is caught
 * and sent to the rollback loop; initialize and validate failures (nothing
 * changed yet) go to a terminal REJECTED record instead.
 *
 * State names are what an operator reads in the console graph.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { type BatonConfig, type PhaseName, phaseSettings } from '../../lambdas/shared/config-schema.ts';
import { PAYLOAD_PATHS } from '../../lambdas/shared/contract.ts';
import { stateMachineName } from '../../lambdas/shared/names.ts';

/** Error names a retry can fix (see lambdas/shared/errors.ts and phase.ts). */
/** Seconds between rollback attempts once a rollback has failed (ROLLBACK_FAILED is recorded). */
export const ROLLBACK_RETRY_SECONDS = 300;

export const TRANSIENT_ERRORS = ['Lambda.TooManyRequestsException', 'TransientAwsError'] as const;

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
  waitStable: 'Wait for new colour to stabilize',
  checkStability: 'Check new colour stability',
  isStable: 'Is new colour stable?',
  verify: 'Verify new colour',
  shiftTraffic: 'Shift traffic',
  isShifted: 'Is traffic fully shifted?',
  waitStep: 'Wait between traffic steps',
  waitBake: 'Wait during bake',
  checkBake: 'Check bake',
  isBaked: 'Is bake over?',
  waitScaleDown: 'Wait before retiring old colour',
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
  rejected: 'Deployment rejected',
  recordRollbackFailure: 'Record rollback failure',
  waitRetryRollback: 'Wait before retrying rollback',
  isRecovery: 'Is it a recovery?',
  recover: 'Load deployment for recovery',
  anythingToRecover: 'Anything to roll back?',
  nothingToRecover: 'Nothing to recover',
  smokeTest: 'Smoke test new colour',
  isApprovalRequired: 'Is approval required?',
  waitForApproval: 'Wait for approval',
} as const;

export interface PipelineStateMachineProps {
  readonly config: BatonConfig;
  readonly functions: Record<PhaseName, IFunction>;
  /**
   * Retention of the execution log group.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
}

export class PipelineStateMachine extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const { config, functions } = props;
    const S = STATE_NAMES;

    const task = (name: string, phase: PhaseName, payload?: TaskInput): LambdaInvoke => {
      const settings = phaseSettings(config.pipeline, phase);
      const invoke = new LambdaInvoke(this, name, {
        lambdaFunction: functions[phase],
        payloadResponseOnly: true,
        ...(payload ? { payload } : {}),
        taskTimeout: Timeout.duration(Duration.seconds(settings.timeoutSeconds)),
        // Keeps the default retry on Lambda service errors (ServiceException, AWSLambdaException, SdkClientException).
        retryOnServiceExceptions: true,
      });
      if (settings.retries > 0) {
        invoke.addRetry({
          errors: [...TRANSIENT_ERRORS],
          interval: Duration.seconds(2),
          backoffRate: 2,
          maxAttempts: settings.retries,
          maxDelay: Duration.seconds(60),
          jitterStrategy: JitterType.FULL,
        });
      }
      return invoke;
    };
    const waitFor = (name: string) => new Wait(this, name, { time: WaitTime.secondsPath(PAYLOAD_PATHS.waitSeconds) });
    const failWithOutcome = (name: string) =>
      new Fail(this, name, { errorPath: PAYLOAD_PATHS.outcomeError, causePath: PAYLOAD_PATHS.outcomeCause });

    // Failures before any change: a terminal record, no rollback. A redundant trigger (a duplicate, or an
    // image older than the one live or deploying) is not a failure: the execution succeeds.
    const recordRejection = task(S.recordRejection, 'recordFailure', TaskInput.fromObject({ kind: 'rejected', 'state.$': '$' }));
    recordRejection.next(
      new Choice(this, S.isDuplicate)
        .when(Condition.stringEquals(PAYLOAD_PATHS.outcomeStatus, 'DUPLICATE'), new Succeed(this, S.duplicate))
        .when(Condition.stringEquals(PAYLOAD_PATHS.outcomeStatus, 'SUPERSEDED'), new Succeed(this, S.superseded))
        .otherwise(failWithOutcome(S.rejected)),
    );

    // Rollback loop: waits for the old colour when it has to be scaled up first.
    const rollback = task(S.rollback, 'rollback');
    // A rollback that cannot make progress is not retried; any other failure is.
    rollback.addRetry({ errors: ['RollbackFailedError'], maxAttempts: 0 });
    rollback.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: phaseSettings(config.pipeline, 'rollback').retries,
      maxDelay: Duration.seconds(60),
      jitterStrategy: JitterType.FULL,
    });
    const recordRollbackFailure = task(
      S.recordRollbackFailure,
      'recordFailure',
      TaskInput.fromObject({ kind: 'rollback-failed', 'state.$': '$' }),
    );
    // Production is not where it should be: the execution never gives up on it. It records ROLLBACK_FAILED once
    // (the alarm and the notification go out), then tries again every few minutes, so a fixed cause (a permission
    // restored, capacity back) heals by itself. At the execution timeout it ends TIMED_OUT, still holding the lock;
    // redriving it after the fix resumes here.
    recordRollbackFailure.next(
      new Wait(this, S.waitRetryRollback, { time: WaitTime.duration(Duration.seconds(ROLLBACK_RETRY_SECONDS)) }).next(rollback),
    );
    rollback.addCatch(recordRollbackFailure, { resultPath: '$.rollbackError' });
    const waitRollback = waitFor(S.waitRollback);
    rollback.next(
      new Choice(this, S.isRolledBack)
        .when(Condition.stringEquals(PAYLOAD_PATHS.rollbackStage, 'done'), failWithOutcome(S.rolledBack))
        .otherwise(waitRollback),
    );
    waitRollback.next(rollback);

    // Each Catch passes through a "<state> failed" Pass state that notes which phase failed:
    // the console graph shows it, and the record and the cause name it.
    const onFailure = (state: LambdaInvoke, next: LambdaInvoke) => {
      const failed = new Pass(this, `${state.id} failed`, { result: Result.fromString(state.id), resultPath: PAYLOAD_PATHS.failedPhase });
      failed.next(next);
      return state.addCatch(failed, { resultPath: PAYLOAD_PATHS.error });
    };
    const rejectOnFailure = (state: LambdaInvoke) => onFailure(state, recordRejection);
    const rollBackOnFailure = (state: LambdaInvoke) => onFailure(state, rollback);

    const receive = new Pass(this, S.receive, {
      comment: 'Wraps any console, CLI or EventBridge input with the execution identity',
      parameters: {
        'request.$': '$',
        'deploymentId.$': '$$.Execution.Name',
        'executionArn.$': '$$.Execution.Id',
        'startedAt.$': '$$.Execution.StartTime',
      },
    });
    // A modifying or creating cache may become available: look again every 30 s, within a bound.
    const waitForCache = (state: LambdaInvoke) => {
      const attempts = Math.floor(config.pipeline.cacheWaitSeconds / CACHE_RETRY_SECONDS);
      if (attempts > 0)
        state.addRetry({
          errors: ['CacheNotReadyError'],
          interval: Duration.seconds(CACHE_RETRY_SECONDS),
          backoffRate: 1,
          maxAttempts: attempts,
        });
      return state;
    };
    const initialize = rejectOnFailure(task(S.initialize, 'initialize'));
    const validate = rejectOnFailure(waitForCache(task(S.validate, 'validate')));
    const prepare = rollBackOnFailure(task(S.prepare, 'prepare'));
    const deploy = rollBackOnFailure(task(S.deploy, 'deploy'));
    const waitStable = waitFor(S.waitStable);
    const checkStability = rollBackOnFailure(task(S.checkStability, 'checkStability'));
    const verify = rollBackOnFailure(waitForCache(task(S.verify, 'verify')));
    // One HTTP attempt per invocation; a failure is tried again every 10 s, smokeTestAttempts in all.
    const smokeTest = task(S.smokeTest, 'smokeTest');
    if (config.pipeline.smokeTestAttempts > 1) {
      smokeTest.addRetry({
        errors: ['SmokeTestFailedError'],
        interval: Duration.seconds(10),
        backoffRate: 1,
        maxAttempts: config.pipeline.smokeTestAttempts - 1,
      });
    }
    rollBackOnFailure(smokeTest);
    // Manual approval: the execution waits on a task token stored in the record by
    // request-approval; `baton approve` sends it back. Nothing sends heartbeats, so
    // HeartbeatSeconds is the approval window: when it closes, the Catch rolls back.
    const approvalSeconds = config.pipeline.approvalTimeoutSeconds;
    const waitForApproval = new LambdaInvoke(this, S.waitForApproval, {
      lambdaFunction: functions.requestApproval,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ taskToken: JsonPath.taskToken, 'state.$': '$' }),
      heartbeatTimeout: Timeout.duration(Duration.seconds(approvalSeconds)),
      taskTimeout: Timeout.duration(Duration.seconds(approvalSeconds + 300)),
      resultPath: PAYLOAD_PATHS.approvalResult,
      retryOnServiceExceptions: true,
    });
    waitForApproval.addRetry({
      errors: [...TRANSIENT_ERRORS],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: JitterType.FULL,
    });
    rollBackOnFailure(waitForApproval);
    const shiftTraffic = rollBackOnFailure(task(S.shiftTraffic, 'shiftTraffic'));
    const waitStep = waitFor(S.waitStep);
    const waitBake = waitFor(S.waitBake);
    const checkBake = rollBackOnFailure(task(S.checkBake, 'checkBake'));
    const waitScaleDown = waitFor(S.waitScaleDown);
    const complete = rollBackOnFailure(task(S.complete, 'complete'));

    waitStep.next(shiftTraffic);
    waitBake.next(checkBake);
    // The main path, wired state by state so each loop is easy to follow.
    prepare.next(deploy).next(waitStable).next(checkStability);
    checkStability.next(
      new Choice(this, S.isStable).when(Condition.booleanEquals(PAYLOAD_PATHS.rolloutStable, true), verify).otherwise(waitStable),
    );
    verify.next(smokeTest);
    smokeTest.next(
      new Choice(this, S.isApprovalRequired)
        .when(Condition.booleanEquals(PAYLOAD_PATHS.approvalRequired, true), waitForApproval)
        .otherwise(shiftTraffic),
    );
    waitForApproval.next(shiftTraffic);
    shiftTraffic.next(
      new Choice(this, S.isShifted).when(Condition.booleanEquals(PAYLOAD_PATHS.trafficComplete, true), waitBake).otherwise(waitStep),
    );
    checkBake.next(
      new Choice(this, S.isBaked)
        .when(Condition.booleanEquals(PAYLOAD_PATHS.bakeComplete, true), waitScaleDown.next(complete).next(new Succeed(this, S.succeeded)))
        .otherwise(waitBake),
    );
    initialize
      .next(validate)
      .next(
        new Choice(this, S.isDryRun)
          .when(Condition.booleanEquals(PAYLOAD_PATHS.dryRun, true), new Succeed(this, S.dryRunPassed, { outputPath: '$.plan' }))
          .otherwise(prepare),
      );

    // Recovery: started by the backstop for an execution that ended without a terminal record.
    const recover = task(S.recover, 'recover');
    recover.next(
      new Choice(this, S.anythingToRecover)
        .when(Condition.booleanEquals('$.nothingToRecover', true), new Succeed(this, S.nothingToRecover))
        .otherwise(rollback),
    );
    const definition = receive.next(
      new Choice(this, S.isRecovery).when(Condition.isPresent(PAYLOAD_PATHS.recover), recover).otherwise(initialize),
    );

    const stack = Stack.of(this);
    this.logGroup = new LogGroup(this, 'ExecutionLogs', {
      // The /aws/vendedlogs/ prefix keeps the CloudWatch Logs resource policy small.
      logGroupName: `/aws/vendedlogs/states/${config.pipeline.name}-${config.pipeline.environment}-${stack.stackName}`,
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: stateMachineName(config.pipeline),
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      comment: 'Baton blue/green deployment of an ECS service behind an ALB',
      timeout: Duration.seconds(config.pipeline.executionTimeoutSeconds),
      tracingEnabled: true,
      // Execution data (inputs and outputs) stays out of the logs: they are in the history already.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
  }
}
