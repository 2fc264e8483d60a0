/**
 * Each phase function's traits, as data: where its handler lives, the AWS
 * access it needs, what it reads (the config, the topic, extra environment),
 * its Task's timeout and retry defaults, whether it runs in the configured VPC,
 * keeps a dead-letter queue or holds the lock, and its memory. The stack
 * builder (phase-functions.ts) reads only this table: it has no branch on a
 * phase's name. test/stack/phase-table.test.ts walks the table against the
 * synthesized template.
 *
 * Pure data, no aws-cdk-lib: the config schema (pipeline.phases overrides)
 * and the handlers import it.
 */

/** An AWS access a phase needs; phase-permissions.ts turns each into IAM statements. */
export type PermissionNeed =
  | 'readProduction'
  | 'writeProduction'
  | 'readServices'
  | 'updateServices'
  | 'readTasks'
  | 'readTaskDefinitions'
  | 'registerTaskDefinition'
  | 'readTargetHealth'
  | 'readImages'
  | 'readSecret'
  | 'readCache'
  | 'readAlarms'
  | 'readMetrics'
  | 'readScaling'
  | 'writeScaling'
  | 'takeLock'
  | 'transferLock'
  | 'releaseLock'
  | 'readLock'
  | 'readRecord'
  | 'createRecord'
  | 'updateRecord'
  | 'inspectLockHolder'
  | 'readExecution'
  | 'supersede'
  | 'queueImage'
  | 'startQueued'
  | 'trackPhase'
  | 'publishEvents'
  | 'notify'
  | 'signalDeployment';

/** Environment a phase reads beyond what every phase gets (ENVIRONMENT in phase-functions.ts). */
export type EnvironmentNeed = 'approvalTimeout';

export interface PhaseTraits {
  /** The handler: lambdas/<dir>/index.ts. */
  readonly dir: string;
  readonly description: string;
  /** The AWS access the handler needs (see phase-permissions.ts). 'notify' also gives it the topic's ARN. */
  readonly needs: readonly PermissionNeed[];
  /**
   * The handler reads the pipeline config (pipelineConfig() in lambdas/shared/runtime-config.ts): the
   * validated config is compiled into its bundle. test/stack/phase-bundles.test.ts checks this against
   * each handler's import graph.
   */
  readonly readsConfig?: true;
  readonly environment?: readonly EnvironmentNeed[];
  /** Runs in pipeline.network's subnets and security groups when the config has one. */
  readonly network?: 'pipeline';
  /** Invoked asynchronously (by EventBridge): Lambda keeps the events it failed on in a dead-letter queue. */
  readonly deadLetterQueue?: true;
  /**
   * Changes the service (or waits on it) and so runs only while its deployment holds the lock: an execution
   * redriven after the backstop closed its deployment, or one whose lock was taken over, stops with
   * LockLostError and changes nothing (lambdas/shared/phase.ts). Roll back checks for itself: it must end quietly.
   */
  readonly holdsLock?: true;
  /**
   * Waits inside its invocation (lambdas/shared/watch.ts: the stability checks, a hold, the bake) until its
   * function's time is nearly up, and the state machine calls it again: its timeout is the longest a Task
   * lasts, so it defaults to Lambda's 900 s, and pipeline.phases may not set it under MIN_WATCH_TIMEOUT_SECONDS.
   */
  readonly watches?: true;
  /** Function timeout (its Task waits a margin longer) and retries on transient errors; pipeline.phases overrides them. */
  readonly defaults: { readonly timeoutSeconds: number; readonly retries: number };
  readonly memoryMiB: number;
}

/**
 * A phase wrapped by definePhase (lambdas/shared/phase.ts) tracks its runs in the
 * record and renews the lock's lease ('trackPhase') and publishes its events
 * ('publishEvents'); the backstop handles EventBridge events, not a
 * deployment's state, and tracks nothing. The phases that hold the lock read
 * the lock when its lease cannot be renewed ('readLock').
 */
const TABLE = {
  initialize: {
    dir: 'initialize',
    needs: [
      'readProduction',
      'takeLock',
      'createRecord',
      'readImages',
      'readRecord',
      'inspectLockHolder',
      'queueImage',
      'supersede',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Validates the request, takes the lock, resolves the live colour',
    readsConfig: true,
    defaults: { timeoutSeconds: 30, retries: 3 },
    memoryMiB: 256,
  },
  validate: {
    dir: 'validate',
    needs: [
      'readServices',
      'readTaskDefinitions',
      'readTargetHealth',
      'readProduction',
      'readImages',
      'readSecret',
      'readCache',
      'readAlarms',
      'readScaling',
      'readRecord',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Checks services, listener, image, secret, cache, alarms and scaling before any change',
    defaults: { timeoutSeconds: 60, retries: 3 },
    memoryMiB: 256,
  },
  prepare: {
    dir: 'prepare',
    needs: ['readTaskDefinitions', 'registerTaskDefinition', 'updateRecord', 'notify', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Announces the start, registers the release task definition',
    defaults: { timeoutSeconds: 60, retries: 3 },
    memoryMiB: 256,
    holdsLock: true,
  },
  deploy: {
    dir: 'deploy',
    // readScaling, writeScaling: the colours' scaling held for the deployment (services[].autoscaling); readServices:
    // Application Auto Scaling checks that its caller may describe and update the ECS service it scales.
    needs: [
      'updateServices',
      'readServices',
      'readProduction',
      'writeProduction',
      'readScaling',
      'writeScaling',
      'readLock',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Updates the idle colour to the release',
    defaults: { timeoutSeconds: 60, retries: 3 },
    memoryMiB: 256,
    holdsLock: true,
  },
  checkStability: {
    dir: 'check-stability',
    needs: ['readServices', 'readTasks', 'readTargetHealth', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Checks whether the new colour reached a steady state',
    watches: true,
    defaults: { timeoutSeconds: 900, retries: 5 },
    memoryMiB: 256,
    holdsLock: true,
  },
  verify: {
    dir: 'verify',
    needs: ['readServices', 'readTargetHealth', 'readAlarms', 'readCache', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Verifies the new colour before traffic moves',
    defaults: { timeoutSeconds: 120, retries: 3 },
    memoryMiB: 256,
    holdsLock: true,
  },
  shiftTraffic: {
    dir: 'shift-traffic',
    // notify: a step that waits for `baton promote` says so once (lambdas/shared/promotion.ts); readMetrics: the analysis.
    needs: [
      'readServices',
      'readTargetHealth',
      'readAlarms',
      'readMetrics',
      'readProduction',
      'writeProduction',
      'readLock',
      'trackPhase',
      'notify',
      'publishEvents',
    ],
    description: 'Moves production weight step by step',
    watches: true,
    defaults: { timeoutSeconds: 900, retries: 5 },
    memoryMiB: 256,
    holdsLock: true,
  },
  checkBake: {
    dir: 'check-bake',
    needs: ['readServices', 'readTargetHealth', 'readAlarms', 'readLock', 'trackPhase', 'publishEvents'],
    description: 'Watches alarms and health during the bake and until the old colour is retired',
    watches: true,
    defaults: { timeoutSeconds: 900, retries: 5 },
    memoryMiB: 256,
    holdsLock: true,
  },
  complete: {
    dir: 'complete',
    needs: [
      'readProduction',
      'readServices',
      'readTargetHealth',
      'readAlarms',
      'updateServices',
      'readScaling',
      'writeScaling',
      'releaseLock',
      'updateRecord',
      'notify',
      'readLock',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Checks the gates once more, retires the old colour, records success, releases the lock',
    defaults: { timeoutSeconds: 120, retries: 5 },
    memoryMiB: 256,
    holdsLock: true,
  },
  rollback: {
    dir: 'rollback',
    needs: [
      'readProduction',
      'writeProduction',
      'readServices',
      'readTargetHealth',
      'updateServices',
      'readScaling',
      'writeScaling',
      'readLock',
      'readRecord',
      'releaseLock',
      'updateRecord',
      'notify',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Moves traffic back to the healthy old colour and retires the new one',
    defaults: { timeoutSeconds: 120, retries: 6 },
    memoryMiB: 256,
  },
  recordFailure: {
    dir: 'record-failure',
    needs: ['releaseLock', 'updateRecord', 'notify', 'trackPhase', 'publishEvents'],
    description: 'Writes the terminal record of a rejected or failed execution',
    defaults: { timeoutSeconds: 30, retries: 5 },
    memoryMiB: 256,
  },
  requestApproval: {
    dir: 'request-approval',
    needs: ['updateRecord', 'readLock', 'notify', 'trackPhase', 'publishEvents'],
    description: 'Stores the approval task token in the deployment record',
    defaults: { timeoutSeconds: 30, retries: 3 },
    memoryMiB: 256,
    holdsLock: true,
    environment: ['approvalTimeout'],
  },
  recover: {
    dir: 'recover',
    needs: ['readRecord', 'updateRecord', 'transferLock', 'releaseLock', 'readExecution', 'notify', 'trackPhase', 'publishEvents'],
    description: 'Rebuilds the state of a deployment left without a terminal record',
    readsConfig: true,
    defaults: { timeoutSeconds: 30, retries: 3 },
    memoryMiB: 256,
  },
  smokeTest: {
    dir: 'smoke-test',
    // Nothing but HTTP to the test listener: with pipeline.network it runs in a VPC that may have no route to AWS.
    needs: [],
    description: 'HTTP checks of the new colour through the test listener',
    defaults: { timeoutSeconds: 60, retries: 2 },
    memoryMiB: 256,
    network: 'pipeline',
  },
  recordSmokeTest: {
    dir: 'record-smoke-test',
    needs: ['readLock', 'trackPhase', 'publishEvents'],
    description: 'Records each smoke test attempt; fails the deployment after the last failed one',
    defaults: { timeoutSeconds: 30, retries: 3 },
    memoryMiB: 256,
    holdsLock: true,
  },
  planRelease: {
    dir: 'plan-release',
    // track: false (lambdas/plan-release/index.ts): no phase runs, so no trackPhase.
    needs: ['readProduction', 'takeLock', 'releaseLock', 'createRecord', 'readRecord', 'inspectLockHolder', 'publishEvents'],
    description: 'Orders the services of a release in waves and takes all their locks, or none',
    readsConfig: true,
    defaults: { timeoutSeconds: 60, retries: 3 },
    memoryMiB: 256,
  },
  shiftTogether: {
    dir: 'shift-together',
    needs: [
      'readServices',
      'readTargetHealth',
      'readAlarms',
      'readMetrics',
      'readProduction',
      'writeProduction',
      'readLock',
      'trackPhase',
      'publishEvents',
    ],
    description: 'Moves the production weight of every service of a release at the same steps',
    watches: true,
    defaults: { timeoutSeconds: 900, retries: 5 },
    memoryMiB: 256,
  },
  unwindRelease: {
    dir: 'unwind-release',
    needs: ['readRecord', 'updateRecord', 'releaseLock', 'transferLock', 'readExecution', 'notify', 'trackPhase', 'publishEvents'],
    description: 'Lists the services of a failed release to roll back, in reverse order; closes the untouched ones',
    readsConfig: true,
    defaults: { timeoutSeconds: 60, retries: 5 },
    memoryMiB: 256,
  },
  finishRelease: {
    dir: 'finish-release',
    needs: ['readRecord', 'updateRecord', 'releaseLock', 'notify', 'trackPhase', 'publishEvents'],
    description: 'Writes the verdict of a release and announces it',
    defaults: { timeoutSeconds: 60, retries: 5 },
    memoryMiB: 256,
  },
  signal: {
    dir: 'signal',
    // Writes the signal on the lock item of the service an event concerns (lambdas/shared/signals.ts): nothing more.
    needs: ['signalDeployment'],
    description: 'Records an alarm entering ALARM or a task stopping as a signal the deployment reads within a second',
    readsConfig: true,
    defaults: { timeoutSeconds: 30, retries: 2 },
    memoryMiB: 256,
    deadLetterQueue: true,
  },
  backstop: {
    dir: 'backstop',
    // readImages and startQueued: a queued image older than the one that just went live does not start (lambdas/shared/queue.ts).
    // The sweep (lambdas/backstop/sweep.ts) reads each configured service's lock (readRecord's GetItem) and its
    // holder's execution (readExecution): nothing more.
    needs: ['readRecord', 'updateRecord', 'readExecution', 'readImages', 'startQueued', 'notify', 'publishEvents'],
    description: 'Starts a recovery when an execution ends without a terminal record, then the queued image; sweeps periodically',
    readsConfig: true,
    defaults: { timeoutSeconds: 60, retries: 2 },
    memoryMiB: 256,
    deadLetterQueue: true,
  },
} as const satisfies Record<string, PhaseTraits>;

/**
 * The shortest timeout a watching phase may have: its watch keeps 30 s for
 * itself (WATCH_MARGIN_SECONDS, lambdas/shared/watch.ts) and must have time
 * left to wait, or the state machine would call it back to back.
 */
export const MIN_WATCH_TIMEOUT_SECONDS = 60;

export type PhaseName = keyof typeof TABLE;
export const PHASES: Readonly<Record<PhaseName, PhaseTraits>> = TABLE;
export const PHASE_NAMES = Object.keys(PHASES) as PhaseName[];
