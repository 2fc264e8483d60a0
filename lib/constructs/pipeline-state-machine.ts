/**
 * The blue/green state machine. Every phase is a Lambda Task with a timeout
 * and retries on transient errors; from prepare onward every Task is caught
 * and sent to the rollback loop; initialize and validate failures (nothing
 * changed yet) go to a terminal REJECTED record instead. A release input
 * (several services) takes the release branch (release-branch.ts), which
 * runs the same phases per service.
 *
 * State names are what an operator reads in the console graph.
 *
 * Safe upgrades: every Task invokes a Lambda version (the function's
 * currentVersion, a new one whenever its code or configuration changes), each
 * definition is published as a state machine version, and the triggers and
 * the CLI start executions on the `live` alias of the newest version. A
 * running execution keeps the version it started on, and that version keeps
 * invoking the function versions it was built with: a `cdk deploy` of a new
 * Baton changes nothing under a deployment in flight.
 */
import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IVersion } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  CfnStateMachineAlias,
  CfnStateMachineVersion,
  Choice,
  Condition,
  DefinitionBody,
  type IStateMachine,
  LogLevel,
  Pass,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { PAYLOAD_PATHS } from '../../lambdas/shared/contract.ts';
import { LIVE_ALIAS, stateMachineName } from '../../lambdas/shared/names.ts';
import { RELEASE_PATHS } from '../../lambdas/shared/release.ts';
import { PhaseStates, plainNames } from './phase-states.ts';
import type { PhaseName } from './phases.ts';
import { releaseBranch } from './release-branch.ts';
import { STATE_NAMES } from './state-names.ts';

export interface PipelineStateMachineProps {
  readonly config: BatonConfig;
  /** The version of a phase function its Tasks invoke (the function's currentVersion). */
  readonly versionOf: (phase: PhaseName) => IVersion;
  /**
   * Retention of the execution log group.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
}

export class PipelineStateMachine extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly logGroup: LogGroup;
  /** The `live` alias (names.ts LIVE_ALIAS), as a state machine the triggers start. */
  public readonly alias: IStateMachine;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const { config } = props;
    const S = STATE_NAMES;
    const n = plainNames;
    const states = new PhaseStates(this, config, props.versionOf);

    // Failures before any change: a terminal record, no rollback. A redundant trigger (a duplicate, or an
    // image older than the one live or deploying) is not a failure: the execution succeeds.
    const recordRejection = states.task(S.recordRejection, 'recordFailure', TaskInput.fromObject({ kind: 'rejected', 'state.$': '$' }));
    recordRejection.next(
      new Choice(this, S.isDuplicate)
        .when(Condition.stringEquals(PAYLOAD_PATHS.outcomeStatus, 'DUPLICATE'), new Succeed(this, S.duplicate))
        .when(Condition.stringEquals(PAYLOAD_PATHS.outcomeStatus, 'SUPERSEDED'), new Succeed(this, S.superseded))
        .when(Condition.stringEquals(PAYLOAD_PATHS.outcomeStatus, 'QUEUED'), new Succeed(this, S.queued))
        .otherwise(states.failWithOutcome(S.rejected)),
    );
    const rollback = states.rollbackLoop(n, states.failWithOutcome(S.rolledBack));
    const rejectOnFailure = states.catchTo(recordRejection);
    const rollBackOnFailure = states.catchTo(rollback);

    const receive = new Pass(this, S.receive, {
      comment: 'Wraps any console, CLI or EventBridge input with the execution identity',
      parameters: {
        'request.$': '$',
        'deploymentId.$': '$$.Execution.Name',
        'executionArn.$': '$$.Execution.Id',
        'startedAt.$': '$$.Execution.StartTime',
      },
    });
    const initialize = rejectOnFailure(states.task(S.initialize, 'initialize'));
    const validate = states.validate(n, rejectOnFailure);

    // The main path: verify the new colour, shift traffic, bake, retire the old colour.
    const retire = states.retire(n, rollBackOnFailure);
    retire.next(new Succeed(this, S.succeeded));
    const bake = states.bakeLoop(n, rollBackOnFailure, retire);
    const shift = states.shiftLoop(n, rollBackOnFailure, bake);
    const prepare = states.deployAndVerify(n, rollBackOnFailure, shift);
    initialize
      .next(validate)
      .next(
        new Choice(this, S.isDryRun)
          .when(Condition.booleanEquals(PAYLOAD_PATHS.dryRun, true), new Succeed(this, S.dryRunPassed, { outputPath: '$.plan' }))
          .otherwise(prepare),
      );

    // Recovery: started by the backstop for an execution that ended without a terminal record.
    // A refused recovery input (unknown deployment, or one still running) ends with its own REJECTED record.
    const recover = rejectOnFailure(states.task(S.recover, 'recover'));
    recover.next(
      new Choice(this, S.anythingToRecover)
        .when(Condition.booleanEquals(PAYLOAD_PATHS.nothingToRecover, true), new Succeed(this, S.nothingToRecover))
        .otherwise(rollback),
    );
    const release = releaseBranch(this, states);
    const definition = receive.next(
      new Choice(this, S.isRecovery)
        .when(Condition.isPresent(PAYLOAD_PATHS.recover), recover)
        .when(Condition.isPresent(RELEASE_PATHS.recoverRelease), release.unwind)
        .otherwise(new Choice(this, S.isRelease).when(Condition.isPresent(RELEASE_PATHS.releaseInput), release.plan).otherwise(initialize)),
    );

    // The UUID at the end of the stack id: new each time the stack is created.
    const stackInstance = Fn.select(2, Fn.split('/', Stack.of(this).stackId));
    this.logGroup = new LogGroup(this, 'ExecutionLogs', {
      // The /aws/vendedlogs/ prefix keeps the account's CloudWatch Logs resource policy small (Step Functions
      // log delivery). Nothing reads the name; the stack's UUID makes it unique, so the group a deleted stack
      // left behind never collides with the one of the stack installed again.
      logGroupName: `/aws/vendedlogs/states/${config.pipeline.name}-${config.pipeline.environment}-${stackInstance}`,
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: stateMachineName(config.pipeline),
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      comment: 'Baton blue/green deployment of an ECS service, or a release of several, behind an ALB',
      timeout: Duration.seconds(config.pipeline.executionTimeoutSeconds),
      tracingEnabled: true,
      // Execution data (inputs and outputs) stays out of the logs: they are in the history already.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    this.alias = this.publish([...states.invoked.values()]);
  }

  /**
   * A version of the current definition, and the alias on it. The version's StateMachineRevisionId is the state
   * machine's: it changes with every change of the definition, and a change of it replaces the version ("Update
   * requires: Replacement"), so CloudFormation publishes a new version on every update that changes the definition
   * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachineversion.html).
   * The replaced versions are retained, never deleted: executions in flight run them ("Before you delete a version,
   * make sure that version's ARN isn't being referenced in any long-running workflows", same page), and pointing
   * the alias back at one rolls Baton back. Up to 1000 versions per state machine (same page): an old one is
   * deleted by hand (aws stepfunctions delete-state-machine-version) once no execution runs it.
   */
  private publish(invoked: IVersion[]): IStateMachine {
    const version = new CfnStateMachineVersion(this, 'Version', {
      stateMachineArn: this.stateMachine.stateMachineArn,
      stateMachineRevisionId: this.stateMachine.stateMachineRevisionId,
      description: 'Baton: published by cdk deploy',
    });
    version.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const alias = new CfnStateMachineAlias(this, 'LiveAlias', {
      name: LIVE_ALIAS,
      description: 'Baton: the version deployments start on (triggers and CLI)',
      routingConfiguration: [{ stateMachineVersionArn: version.attrArn, weight: 100 }],
    });
    // An older version of the definition invokes older function versions, with the role the state machine has now:
    // the role allows every version of each phase function, not only the current one.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: invoked.map((fn) => `${fn.lambda.functionArn}:*`),
      }),
    );
    return StateMachine.fromStateMachineArn(this, 'Live', alias.attrArn);
  }
}
