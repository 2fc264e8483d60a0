/**
 * Named errors. Lambda reports `error.name` as the error type, and that name is
 * what the state machine's Retry and Catch match on, so these names are part
 * of the contract with lib/constructs/pipeline-state-machine.ts.
 */

/**
 * Error names an outcome carries that no thrown error has: the `error` of an
 * execution's outcome (and its Fail state) and the prefix of a record's reason.
 */
export const OUTCOME_ERRORS = {
  /** The rollback found the deployment already ended (a retry, a redrive, Complete failing after SUCCEEDED). */
  alreadyEnded: 'DeploymentAlreadyEnded',
  /** The rollback found the lock held by another execution of the same deployment (its recovery). */
  lockTransferred: 'LockTransferred',
  /** The rollback itself failed: ROLLBACK_FAILED. */
  rollbackFailed: 'RollbackFailed',
  /** A service of a release that stopped before the service started. */
  notStarted: 'NotStarted',
  /** The `error` of a successful outcome (its Succeed state reports one all the same). */
  none: 'None',
  /** A release that failed without a cause of its own recorded. */
  releaseFailed: 'ReleaseFailed',
  /** The backstop rolled the deployment back for a newer image (onNewerImage "supersede"). */
  superseded: 'Superseded',
  /** `baton abort`: the operator stopped the execution (StopExecution's error). */
  abortedByOperator: 'AbortedByOperator',
  /** `baton reject`: the operator refused the approval (SendTaskFailure's error). */
  approvalRejected: 'ApprovalRejected',
} as const;

export abstract class BatonError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Throttling, AWS 5xx or a network fault: the state machine retries the phase. */
export class TransientAwsError extends BatonError {}

/** The execution input is not a valid deployment request. */
export class InvalidInputError extends BatonError {}

/** A recovery input names a deployment that is not recoverable: unknown, or its execution still running. */
export class RecoveryRefusedError extends BatonError {}

/** The requested service is not in the pipeline config. */
export class UnknownServiceError extends BatonError {}

/** Another deployment holds the service's lock. */
export class DeploymentLockedError extends BatonError {}

/** The same image is already deploying or live: nothing to do. */
export class DuplicateTriggerError extends BatonError {}

/** The listener does not send 100 % of traffic to one colour. */
export class ListenerSplitError extends BatonError {}

/** A cluster, service, target group or listener named in the config does not exist. */
export class ResourceMissingError extends BatonError {}

/** A service's deployments belong to CodeDeploy or an external controller, not to ECS (deployment-controller.ts). */
export class DeploymentControllerError extends BatonError {}

/** The colours' Application Auto Scaling setup is one Baton cannot move with them (lambdas/shared/scaling/reconcile.ts). */
export class ScalingConfigError extends BatonError {}

/** The requested image tag or digest is not in the ECR repository. */
export class ImageNotFoundError extends BatonError {}

/** The app-config secret is missing, does not satisfy its key rules, or is encrypted with a key the config does not name. */
export class SecretInvalidError extends BatonError {}

/** A secret version a revision pinned no longer exists (deleted, or no staging label left). */
export class SecretVersionGoneError extends BatonError {}

/**
 * The execution's name is the id of a deployment (or release) record another
 * execution wrote: Step Functions frees a name 90 days after its execution
 * closed, records live RECORD_RETENTION_DAYS. The start is refused; the
 * record and the service are left as they are.
 */
export class ExecutionNameReusedError extends BatonError {}

/** The deployment no longer holds its service lock (its record was closed, or the lock was taken over): it must change nothing. */
export class LockLostError extends BatonError {}

/** A newer image of the service is already live or deploying: this older one would move the service backwards. */
export class SupersededError extends BatonError {}

/** A newer image found the lock held: it waits in the service's queue (lambdas/shared/queue.ts) and starts when the holder ends. */
export class QueuedError extends BatonError {}

/** The revision a rollback asks for cannot be redeployed (unknown, another service, or did not succeed). */
export class RollbackTargetError extends BatonError {}

/** The ElastiCache replication group is not serving. */
export class CacheNotServingError extends BatonError {}

/**
 * The replication group is modifying or creating: it may serve soon. The state
 * machine retries the phase every 30 s for pipeline.cacheWaitSeconds, then fails it.
 */
export class CacheNotReadyError extends BatonError {}

/** A gating CloudWatch alarm is in ALARM. */
export class AlarmFiringError extends BatonError {}

/** RegisterTaskDefinition failed for a reason a retry will not fix. */
export class TaskDefinitionRegistrationError extends BatonError {}

/** UpdateService failed for a reason a retry will not fix. */
export class ServiceUpdateError extends BatonError {}

/** The ECS deployment circuit breaker rolled the new deployment back, or its tasks keep stopping. */
export class DeploymentFailedError extends BatonError {}

/** The new colour did not reach a steady state before its deadline. */
export class StabilityTimeoutError extends BatonError {}

/** Target health, running count or a check of verify failed. */
export class VerificationFailedError extends BatonError {}

/** An HTTP check through the test listener failed (status, latency or body) on the last attempt of the smoke test. */
export class SmokeTestFailedError extends BatonError {}

/**
 * The answer to an approval cannot let traffic move: it names no approver, or
 * the approver is who requested the deployment (and the service does not
 * allow self-approval). The deployment rolls back, as after `baton reject`.
 */
export class ApprovalRefusedError extends BatonError {}

/** A gate between traffic steps or during the bake failed. */
export class GateFailedError extends BatonError {}

/** A traffic step that waits for `baton promote` was not promoted in time, and its strategy says to roll back then. */
export class PromotionTimeoutError extends BatonError {}

/** The rollback cannot safely move traffic back (old colour never became healthy). */
export class RollbackFailedError extends BatonError {}

/** Anything the pipeline considers a bug in its own state (payload out of contract). */
export class ContractViolationError extends BatonError {}
