/** Faults in the deployment table: the lock, the records, a second trigger. */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import { accessDenied, type Fault } from './fault.ts';

export const RECORD_FAULTS: Record<string, Fault> = {
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
  'duplicate-trigger': {
    description: 'The same image is triggered twice while the first deployment runs: the second ends DUPLICATE, the first succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      ctx.triggers.push({ afterState: S.initialize, suffix: 'duplicate' });
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
};
