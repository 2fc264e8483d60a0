/**
 * Named faults. Each bends the simulated account (its starting state, an API
 * call, or the moment a state is entered) the way the real world would.
 */
import { ECSServiceException } from '@aws-sdk/client-ecs';
import { STATE_NAMES as S } from '../lib/constructs/state-names.ts';
import { internalError, throttlingError } from './account/services/common.ts';
import type { SimulationContext } from './context.ts';

export interface Fault {
  readonly description: string;
  /** What the pipeline should end with when this fault is the only one. */
  readonly expected: 'SUCCEEDED' | 'REJECTED' | 'DUPLICATE' | 'SUPERSEDED' | 'QUEUED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED';
  /** The execution input the fault is meant for, when not the default deployment (e.g. a rollback). */
  readonly input?: Readonly<Record<string, unknown>>;
  apply(ctx: SimulationContext): void;
  /** What the operator does to remove the cause (for --redrive-after-fix); faults without it cannot be fixed. */
  fix?(ctx: SimulationContext): void;
}

/** The earlier release of the example account that `rollback --to` faults redeploy (web:6, app config 20261001-0000-4000-8000-000000000001). */
export const EARLIER_RELEASE = 'web-v1_4_0-20261001T090000Z';

/** The app-config version the secret-rotated-mid-deploy fault creates (a UUID, as Secrets Manager's version ids are). */
export const ROTATED_VERSION_ID = '20261123-0000-4000-8000-0000000000f1';

function currentAppConfig(ctx: SimulationContext) {
  const appConfig = ctx.service.appConfig;
  const secret = appConfig ? ctx.model.secrets[appConfig.secretArn] : undefined;
  return { appConfig, secret, current: secret?.versions.find((v) => v.stages.includes('AWSCURRENT')) };
}

function accessDenied(operation: string): Error {
  return new ECSServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    message: `User is not authorized to perform: ${operation}`,
    $metadata: { httpStatusCode: 400 },
  });
}

/** The colour that is idle (not live) at the start, from the listener weights of the service's production listener. */
function idleColour(ctx: SimulationContext): 'blue' | 'green' {
  const service = ctx.service;
  const forward = ctx.model.listeners[service.productionListenerArn]?.forward ?? {};
  return (forward[service.blue.targetGroupArn] ?? 0) > 0 ? 'green' : 'blue';
}

/**
 * The new image fails its health checks from now on: the targets registered in
 * `targetGroupArn` turn unhealthy, and so do the tasks that replace them.
 */
export function newColourFails(ctx: SimulationContext, targetGroupArn: string): void {
  ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'unhealthy' : behaviour);
  for (const target of ctx.model.targets.get(targetGroupArn) ?? []) {
    Object.assign(target, { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out', since: ctx.model.now });
  }
}

export const FAULTS: Record<string, Fault> = {
  'image-missing': {
    description: 'The requested image tag or digest is not in the ECR repository: validate rejects the deployment.',
    expected: 'REJECTED',
    apply(ctx) {
      const repository = ctx.model.repositories[ctx.service.ecr.repositoryName];
      if (repository) repository.images = repository.images.filter((image) => !ctx.isRequestedImage(image));
    },
  },
  'secret-missing': {
    description: 'The app-config secret does not exist: validate rejects the deployment.',
    expected: 'REJECTED',
    apply(ctx) {
      if (ctx.service.appConfig) delete ctx.model.secrets[ctx.service.appConfig.secretArn];
    },
  },
  'secret-key-unconfigured': {
    description:
      'The app-config secret is encrypted with a customer managed KMS key that appConfig.kmsKeyArn does not name: validate rejects the deployment before reading the secret, naming the field.',
    expected: 'REJECTED',
    apply(ctx) {
      const secret = ctx.service.appConfig ? ctx.model.secrets[ctx.service.appConfig.secretArn] : undefined;
      if (secret) secret.kmsKeyId = `arn:aws:kms:${ctx.model.region}:${ctx.model.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    },
  },
  'secret-malformed': {
    description: 'The current version of the app-config secret lacks a required key: validate rejects the deployment naming the key.',
    expected: 'REJECTED',
    apply(ctx) {
      const { appConfig, current } = currentAppConfig(ctx);
      const key = appConfig ? Object.keys(appConfig.keys)[0] : undefined;
      if (current && key) delete current.value[key];
    },
  },
  'secret-bad-type': {
    description:
      'A key of the current app-config version fails its rule (WORKER_CONCURRENCY is not an integer): validate rejects the deployment naming the key, never the value.',
    expected: 'REJECTED',
    apply(ctx) {
      const { appConfig, current } = currentAppConfig(ctx);
      const key = Object.entries(appConfig?.keys ?? {}).find(([, rule]) => rule === 'integer')?.[0];
      if (current && key) current.value[key] = 'SIMSECRET-eight-workers';
    },
  },
  'secret-rotated-mid-deploy': {
    description:
      'A new version of the app-config secret becomes AWSCURRENT right after validate: the release keeps the validated version it pinned and succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      ctx.onStateEntered.push((state) => {
        if (state !== S.prepare) return;
        const { secret, current } = currentAppConfig(ctx);
        if (!secret || !current || secret.versions.some((v) => v.versionId === ROTATED_VERSION_ID)) return;
        // What rotation does: the new version takes AWSCURRENT, the old one AWSPREVIOUS, and the one before loses its label.
        for (const version of secret.versions) version.stages = version.stages.filter((stage) => stage !== 'AWSPREVIOUS');
        current.stages = [...current.stages.filter((stage) => stage !== 'AWSCURRENT'), 'AWSPREVIOUS'];
        secret.versions.push({
          versionId: ROTATED_VERSION_ID,
          stages: ['AWSCURRENT'],
          value: { ...current.value, SESSION_SECRET: 'SIMSECRET-session-rotated-77aa' },
        });
      });
    },
  },
  'secret-version-deleted': {
    description: `For "baton rollback --to ${EARLIER_RELEASE}": the app-config version that release pinned (20261001-0000-4000-8000-000000000001) was deleted; validate stops before any change, naming the version.`,
    expected: 'REJECTED',
    input: { service: 'web', rollbackTo: EARLIER_RELEASE, hotfix: true, trigger: 'cli' },
    apply(ctx) {
      const { secret } = currentAppConfig(ctx);
      if (secret) secret.versions = secret.versions.filter((v) => v.versionId !== '20261001-0000-4000-8000-000000000001');
    },
  },
  'cache-unavailable': {
    description: 'The ElastiCache replication group is "create-failed": validate rejects the deployment.',
    expected: 'REJECTED',
    apply(ctx) {
      setCacheStatus(ctx, 'create-failed');
    },
  },
  'listener-split': {
    description: 'The production listener is at 80/20 when the deployment starts: initialize rejects it.',
    expected: 'REJECTED',
    apply(ctx) {
      const listener = ctx.model.listeners[ctx.service.productionListenerArn];
      if (listener) listener.forward = { [ctx.service.blue.targetGroupArn]: 80, [ctx.service.green.targetGroupArn]: 20 };
    },
  },
  'lock-held': {
    description:
      'While this deployment holds the lock (it is deploying), a newer image v1.4.3 is pushed and triggered: that second execution queues it and ends QUEUED naming the holder; this one succeeds, then the backstop starts the queued image, which succeeds too.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      const repository = ctx.model.repositories[ctx.service.ecr.repositoryName];
      repository?.images.push({
        digest: 'sha256:9c2d4f1e0b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d',
        tags: ['v1.4.3'],
        pushedAt: new Date(ctx.model.now).toISOString(),
        behaviour: 'healthy',
      });
      ctx.triggers.push({
        afterState: S.deploy,
        suffix: 'concurrent',
        input: { service: ctx.service.name, imageTag: 'v1.4.3', trigger: 'ecr' },
      });
    },
  },
  'lock-lost': {
    description:
      'As the new colour is checked for stability, an operator force-takes the lock for another deployment (baton unlock, then a new start): this deployment finds its lease gone and stops with LockLostError naming the holder; it touches neither traffic nor the lock of the other deployment, and records ROLLBACK_FAILED for an operator to check.',
    expected: 'ROLLBACK_FAILED',
    apply(ctx) {
      ctx.onStateEntered.push((state) => {
        if (state !== S.checkStability) return;
        const { model, service } = ctx;
        const lock = model.table.get(`LOCK#${service.name}|LOCK`);
        if (!lock || lock.deploymentId === 'web-v1_4_3-intruder') return;
        model.table.set(`LOCK#${service.name}|LOCK`, {
          ...lock,
          deploymentId: 'web-v1_4_3-intruder',
          executionArn: `arn:aws:states:${model.region}:${model.account}:execution:baton-production:web-v1_4_3-intruder`,
          acquiredAt: new Date(model.now).toISOString(),
        });
      });
    },
  },
  'stale-lock': {
    description:
      'The lock is held by a deployment whose execution is gone and whose record is closed (it ended without releasing the lock): the lock is taken over, with a warning naming it, and the deployment succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      const { model, service } = ctx;
      const deploymentId = 'web-v1_4_1-stale';
      model.table.set(`LOCK#${service.name}|LOCK`, {
        pk: `LOCK#${service.name}`,
        sk: 'LOCK',
        service: service.name,
        deploymentId,
        // No such execution exists any more (Step Functions keeps ended executions for 90 days).
        executionArn: `arn:aws:states:${model.region}:${model.account}:execution:baton-production:${deploymentId}`,
        imageRef: 'tag:v1.4.1',
        acquiredAt: new Date(model.now - 86_400_000).toISOString(),
        leaseExpiresAt: Math.floor(model.now / 1000) + 3600,
      });
      model.table.set(`DEPLOYMENT#${deploymentId}|RECORD`, {
        pk: `DEPLOYMENT#${deploymentId}`,
        sk: 'RECORD',
        gsi1pk: `SERVICE#${service.name}`,
        gsi1sk: `${new Date(model.now - 86_400_000).toISOString()}#${deploymentId}`,
        deploymentId,
        service: service.name,
        status: 'ROLLED_BACK',
        executionArn: `arn:aws:states:${model.region}:${model.account}:execution:baton-production:${deploymentId}`,
        startedAt: new Date(model.now - 86_400_000).toISOString(),
        endedAt: new Date(model.now - 86_000_000).toISOString(),
        trigger: 'ecr',
        outcomeReason: 'GateFailedError: alarm web-5xx is ALARM',
      });
    },
  },
  'older-image': {
    description:
      'The requested image was pushed before the one live (v1.4.1): the trigger ends SUPERSEDED without changing anything ("baton rollback" is the deliberate way back).',
    expected: 'SUPERSEDED',
    apply(ctx) {
      const repository = ctx.model.repositories[ctx.service.ecr.repositoryName];
      const requested = repository?.images.find((image) => ctx.isRequestedImage(image));
      if (requested) requested.pushedAt = '2026-09-15T08:00:00Z';
    },
  },
  'duplicate-trigger': {
    description: 'The same image is triggered twice while the first deployment runs: the second ends DUPLICATE, the first succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      ctx.triggers.push({ afterState: S.initialize, suffix: 'duplicate' });
    },
  },
  'register-fails': {
    description: 'RegisterTaskDefinition is denied: prepare fails and the deployment rolls back (nothing was live yet).',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.interceptors.push((_service, operation) => {
        if (operation === 'RegisterTaskDefinition') throw accessDenied('ecs:RegisterTaskDefinition');
      });
    },
  },
  'update-service-fails': {
    description: 'UpdateService of the new colour is denied: deploy fails and the deployment rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.interceptors.push((_service, operation, input) => {
        if (operation === 'UpdateService' && ctx.currentState === S.deploy && hasTaskDefinition(input)) {
          throw accessDenied('ecs:UpdateService');
        }
      });
    },
  },
  'green-tasks-crash': {
    description: 'Tasks of the new image exit right after starting: the ECS circuit breaker fires and the deployment rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'crash' : behaviour);
    },
  },
  'green-never-stable': {
    description: 'Tasks of the new image never reach RUNNING: the stability deadline passes and the deployment rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'never-starts' : behaviour);
    },
  },
  'green-unhealthy': {
    description: 'Targets of the new image fail their health checks: ECS replaces them until its circuit breaker fires; rolled back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? 'unhealthy' : behaviour);
    },
  },
  'alarm-at-verify': {
    description: 'A service alarm goes to ALARM once the new colour is stable: verify fails before any traffic moves; rolled back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.onStateEntered.push((state) => {
        if (state === S.verify) ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).');
      });
    },
  },
  'listener-update-fails': {
    description: 'ModifyListener is denied when traffic first moves: shift traffic fails and the deployment rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.interceptors.push((_service, operation) => {
        if ((operation === 'ModifyListener' || operation === 'ModifyRule') && ctx.currentState === S.shiftTraffic) {
          throw accessDenied('elasticloadbalancing:ModifyListener');
        }
      });
    },
  },
  'alarm-during-bake': {
    description: 'A service alarm goes to ALARM during the bake at 100 %: the deployment rolls back to the old colour.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.onStateEntered.push((state) => {
        if (state === S.checkBake) ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: 3 datapoints were greater than the threshold (5.0).');
      });
    },
  },
  'complete-fails': {
    description:
      'Writing the SUCCEEDED record is denied: complete fails after retries and the deployment rolls back (loudly, with the cause).',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.interceptors.push((_service, operation, input) => {
        if (operation === 'UpdateItem' && ctx.currentState === S.complete && JSON.stringify(input).includes('SUCCEEDED')) {
          throw accessDenied('dynamodb:UpdateItem');
        }
      });
    },
  },
  'alarm-during-shift': {
    description:
      'A service alarm fires 45 s after traffic first moves (use a canary or linear strategy to be holding at a step): the next gate check rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      afterFirstShift(ctx, 45_000, () =>
        ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: 2 datapoints [9.1, 11.4] were greater than the threshold (5.0).', ctx.model.now),
      );
    },
  },
  'target-unhealthy-during-shift': {
    description: "45 s after traffic first moves, the new colour's targets start failing health checks: the next gate check rolls back.",
    expected: 'ROLLED_BACK',
    apply(ctx) {
      const idle = idleColour(ctx);
      const targetGroupArn = ctx.service[idle].targetGroupArn;
      afterFirstShift(ctx, 45_000, () => {
        ctx.signalAt ??= ctx.model.now;
        newColourFails(ctx, targetGroupArn);
      });
    },
  },
  'alarm-insufficient-data': {
    description:
      'A service alarm goes to INSUFFICIENT_DATA when the new colour is verified: with the default insufficientDataPolicy "pass" the deployment succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      ctx.onStateEntered.push((state) => {
        if (state === S.verify) ctx.setAlarm(0, 'INSUFFICIENT_DATA', 'Insufficient Data: 1 datapoint was unknown.');
      });
    },
  },
  'cache-modifying': {
    description:
      'The replication group stays "modifying": validate retries every 30 s for cacheWaitSeconds (300 s), then rejects before any change.',
    expected: 'REJECTED',
    apply(ctx) {
      setCacheStatus(ctx, 'modifying');
    },
  },
  'cache-snapshotting': {
    description: 'The replication group is "snapshotting" (a backup runs; it still serves): the deployment succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      setCacheStatus(ctx, 'snapshotting');
    },
  },
  'smoke-fails': {
    description:
      'The new colour answers the smoke test through the test listener with HTTP 500: after 3 attempts it rolls back before any production traffic.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.smoke.fails = true;
    },
  },
  'smoke-slow': {
    description:
      'The new colour answers the smoke test 150 ms over its latency budget: after 3 attempts it rolls back before any production traffic.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.smoke.delayMs = (ctx.service.smokeTest?.maxLatencyMs ?? 0) + 150;
    },
  },
  throttling: {
    description: 'The first 3 ECS and ELB calls are throttled: the state machine retries them and the deployment still succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      let remaining = 3;
      ctx.interceptors.push((service) => {
        if ((service === 'ecs' || service === 'elb') && remaining > 0) {
          remaining -= 1;
          throw throttlingError(service);
        }
      });
    },
  },
  'rollback-listener-fails-once': {
    description: 'With alarm-during-bake: the first listener update of the rollback fails (HTTP 500); the retry moves traffic back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      FAULTS['alarm-during-bake']?.apply(ctx);
      let failed = false;
      ctx.interceptors.push((_service, operation) => {
        if ((operation === 'ModifyListener' || operation === 'ModifyRule') && ctx.currentState === S.rollback && !failed) {
          failed = true;
          throw internalError();
        }
      });
    },
  },
  'rollback-denied': {
    description:
      'With alarm-during-bake: the rollback may not modify the listener (a permission was removed). ROLLBACK_FAILED is recorded and the lock kept; the execution retries every 5 minutes until it times out. Fixable: with --redrive-after-fix the permission comes back and the redriven execution rolls back.',
    expected: 'ROLLBACK_FAILED',
    apply(ctx) {
      FAULTS['alarm-during-bake']?.apply(ctx);
      ctx.interceptors.push((_service, operation) => {
        if ((operation === 'ModifyListener' || operation === 'ModifyRule') && ctx.currentState === S.rollback && !ctx.fixed) {
          throw accessDenied('elasticloadbalancing:ModifyListener');
        }
      });
    },
    fix(ctx) {
      ctx.fixed = true;
    },
  },
  'old-colour-scaled-down': {
    description:
      'With alarm-during-bake: the old colour has 0 tasks when the rollback starts; it is scaled up and healthy before traffic returns.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      FAULTS['alarm-during-bake']?.apply(ctx);
      const live = idleColour(ctx) === 'green' ? ctx.service.blue : ctx.service.green;
      let done = false;
      ctx.onStateEntered.push((state) => {
        if (state !== S.rollback || done) return;
        done = true;
        const service = ctx.model.service(ctx.service.cluster, live.serviceName);
        if (service) ctx.model.updateService(service, { desiredCount: 0 });
        ctx.model.advanceTo(ctx.model.now + 1000);
      });
    },
  },
  'target-unhealthy-before-retire': {
    description:
      '45 s into "Wait before retiring old colour" (all traffic on the new colour, the bake over), the new colour\'s targets start failing health checks: the next gate check rolls back to the old colour, which was never scaled to 0.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      const targetGroupArn = ctx.service[idleColour(ctx)].targetGroupArn;
      beforeRetire(ctx, 45_000, () => {
        ctx.signalAt ??= ctx.model.now;
        newColourFails(ctx, targetGroupArn);
      });
    },
  },
  'alarm-before-retire': {
    description:
      'A service alarm fires 45 s into "Wait before retiring old colour": the next gate check rolls back to the old colour, which was never scaled to 0.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      beforeRetire(ctx, 45_000, () =>
        ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: 2 datapoints [9.1, 11.4] were greater than the threshold (5.0).', ctx.model.now),
      );
    },
  },
  'complete-timeout-after-record': {
    description:
      'Complete stops responding right after it writes the SUCCEEDED record: Lambda ends it at its 120 s timeout (Lambda.Unknown) before it announces or releases the lock; Roll back finds the record SUCCEEDED, moves nothing, announces it and releases the lock. Record and traffic agree: SUCCEEDED, 100 % on the new colour.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      let hung = false;
      ctx.interceptors.push((_service, operation, input) => {
        if (hung || operation !== 'UpdateItem' || ctx.currentState !== S.complete) return;
        if (!JSON.stringify(input).includes('"SUCCEEDED"')) return;
        hung = true;
        ctx.hangInvocation();
      });
    },
  },
  'shift-timeout-after-listener': {
    description:
      'Shift traffic stops responding right after it moves the listener to the new colour: Lambda ends it at its 60 s timeout (Lambda.Unknown), 15 s before the Task would give up, so nothing of it runs on while Roll back moves traffic back: ROLLED_BACK, 100 % on the old colour.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      let hung = false;
      ctx.interceptors.push((_service, operation) => {
        if (hung || ctx.currentState !== S.shiftTraffic || (operation !== 'ModifyListener' && operation !== 'ModifyRule')) return;
        hung = true;
        ctx.hangInvocation();
      });
    },
  },
  'status-event-lost': {
    description:
      "The operator stops the deployment as it enters Check bake (all traffic on the new colour) and Step Functions' status-change event of that end is never delivered (best effort): no event reaches the backstop; its sweep finds the lock held by the ended execution with the record IN_PROGRESS and starts the recovery, which rolls back: ROLLED_BACK, 100 % on the old colour.",
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.stopAt(S.checkBake);
      ctx.loseMainStatusEvent();
    },
  },
  'lambda-throttling-burst': {
    description:
      "Lambda rejects the first 5 invocations (the account's concurrency is used up) with Lambda.TooManyRequestsException: the Task's throttling retrier (6 attempts, 2 s doubling) waits 62 s and the deployment succeeds.",
    expected: 'SUCCEEDED',
    apply(ctx) {
      let remaining = 5;
      ctx.beforeInvoke.push(() => {
        if (remaining <= 0) return;
        remaining -= 1;
        const error = new Error('Rate Exceeded. (Service: Lambda, Status Code: 429, Reason: ConcurrentInvocationLimitExceeded)');
        error.name = 'Lambda.TooManyRequestsException';
        throw error;
      });
    },
  },
};

/** Runs `action` `delayMs` after the deployment first enters "Wait before retiring old colour". */
function beforeRetire(ctx: SimulationContext, delayMs: number, action: () => void): void {
  let scheduled = false;
  ctx.onStateEntered.push((state) => {
    if (scheduled || state !== S.waitScaleDown) return;
    scheduled = true;
    ctx.model.schedule(ctx.model.now + delayMs, action);
  });
}

function setCacheStatus(ctx: SimulationContext, status: string): void {
  const id = ctx.service.cache?.replicationGroupId;
  const group = id ? ctx.model.replicationGroups[id] : undefined;
  if (group) group.status = status;
}

/** Runs `action` `delayMs` after the first production listener update of Shift traffic. */
function afterFirstShift(ctx: SimulationContext, delayMs: number, action: () => void): void {
  afterShift(ctx, 1, delayMs, action);
}

/** Runs `action` `delayMs` after the `shift`-th listener update of Shift traffic (1 = the first step). */
export function afterShift(ctx: SimulationContext, shift: number, delayMs: number, action: () => void): void {
  let seen = 0;
  ctx.interceptors.push((_service, operation) => {
    if (ctx.currentState !== S.shiftTraffic || (operation !== 'ModifyListener' && operation !== 'ModifyRule')) return;
    seen += 1;
    if (seen === shift) ctx.model.schedule(ctx.model.now + delayMs, action);
  });
}

function hasTaskDefinition(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'taskDefinition' in input;
}

export function faultNames(): string[] {
  return Object.keys(FAULTS);
}
