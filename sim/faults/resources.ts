/** Faults in what validate checks before any change: the image, the app-config secret, the cache. */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import type { SimulationContext } from '../context.ts';
import type { Fault } from './fault.ts';

/** The earlier revision of the example account that `rollback --to` faults redeploy (web:6, app config 20261001-0000-4000-8000-000000000001). */
export const EARLIER_RELEASE = 'web-v1_4_0-20261001T090000Z';

/** The app-config version the secret-rotated-mid-deploy fault creates (a UUID, as Secrets Manager's version ids are). */
export const ROTATED_VERSION_ID = '20261123-0000-4000-8000-0000000000f1';

function currentAppConfig(ctx: SimulationContext) {
  const appConfig = ctx.service.appConfig;
  const secret = appConfig ? ctx.model.secrets[appConfig.secretArn] : undefined;
  return { appConfig, secret, current: secret?.versions.find((v) => v.stages.includes('AWSCURRENT')) };
}

function setCacheStatus(ctx: SimulationContext, status: string): void {
  const id = ctx.service.cache?.replicationGroupId;
  const group = id ? ctx.model.replicationGroups[id] : undefined;
  if (group) group.status = status;
}

export const RESOURCE_FAULTS: Record<string, Fault> = {
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
  'cache-unavailable': {
    description: 'The ElastiCache replication group is "create-failed": validate rejects the deployment.',
    expected: 'REJECTED',
    apply(ctx) {
      setCacheStatus(ctx, 'create-failed');
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
};
