/**
 * Releases: what a deployment registers and records about its image and its
 * app-config secret version, how a rollback redeploys an earlier release as
 * it is, and how the pipeline refuses a release whose secret version cannot
 * back a task. The fixture checks the invariants of docs/architecture.md
 * (I5, no secret value outside the account, among them) after every run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../sim/faults/fault.ts';
import { FAULTS } from '../../sim/faults/index.ts';
import { EARLIER_RELEASE, ROTATED_VERSION_ID } from '../../sim/faults/resources.ts';
import type { SimulationResult } from '../../sim/harness.ts';
import { exampleAccount, REJECTED, ROLLED_BACK, record, run, START, weights } from '../support/simulation.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab';
const NEW_RELIC_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/newrelic-Ab12Cd';
const APP_CONFIG_KEYS = ['DATABASE_URL', 'LOG_LEVEL', 'SESSION_SECRET', 'WORKER_CONCURRENCY'];
const WEB_6 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6';
const WEB_7 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7';
const WEB_8 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8';
const IMAGE_V140 =
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:325ea4ffaff86cd961a90d6ffe248c0d61cb36f2deae56727d16a7a09c5a918f';
const IMAGE_V141 =
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:45d7b5470165427b7d3afdd078d4c512b7175c0bb4e521c54a4f48f9450ccf86';
const IMAGE_V142 =
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:2b41b068de9587d3a582a081cb97a55390787552acae4f690637cd64ff74673f';

/** The exact `secrets` of a release's container: the unmanaged secret as it was, every app-config key at `versionId`. */
function pinnedSecrets(versionId: string): Array<{ name: string; valueFrom: string }> {
  return [
    { name: 'NEW_RELIC_LICENSE', valueFrom: NEW_RELIC_ARN },
    ...APP_CONFIG_KEYS.map((key) => ({ name: key, valueFrom: `${SECRET_ARN}:${key}::${versionId}` })),
  ];
}

/** A release as the record states it: image, task definition, and the secret references grouped by version. */
function release(image: string, taskDefinitionArn: string, versionId: string) {
  return {
    image,
    taskDefinitionArn,
    secrets: [
      { arn: NEW_RELIC_ARN, keys: ['NEW_RELIC_LICENSE'] },
      { arn: SECRET_ARN, versionId, keys: APP_CONFIG_KEYS },
    ],
  };
}

function container(result: SimulationResult, taskDefinitionArn: string) {
  return result.model.taskDefinitions.get(taskDefinitionArn)?.containerDefinitions.find((c) => c.name === 'web');
}

function operations(result: SimulationResult, ...names: string[]): string[] {
  return result.apis.calls.filter((call) => names.includes(call.operation)).map((call) => call.operation);
}

/** Write calls to ECS and ELB: anything that is not a Describe. */
function ecsAndElbWrites(result: SimulationResult): string[] {
  return result.apis.calls
    .filter((call) => (call.service === 'ecs' || call.service === 'elb') && !call.operation.startsWith('Describe'))
    .map((call) => call.operation);
}

function tasksOf(result: SimulationResult, serviceName: string, lastStatus: 'RUNNING' | 'STOPPED') {
  return result.model.tasks.filter((task) => task.serviceName === serviceName && task.lastStatus === lastStatus);
}

const ROLLBACK_INPUT = { service: 'web', rollbackTo: EARLIER_RELEASE, hotfix: true, trigger: 'cli' };
const REJECTED_IN_VALIDATE = [
  'Receive request',
  'Is it a recovery?',
  'Is it a release?',
  'Initialize',
  'Validate',
  'Validate failed',
  ...REJECTED,
];

describe('the task definition a deployment registers', () => {
  it('pins every app-config key to the validated version id, never a stage or a plaintext value', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    expect(result.model.service('prod', 'web-green')?.taskDefinitionArn).toBe(WEB_8);
    const web = container(result, WEB_8);
    expect(web?.image).toBe(IMAGE_V142);
    expect(web?.secrets).toEqual(pinnedSecrets('20261120-0000-4000-8000-000000000001'));
    expect(web?.environment).toEqual([{ name: 'PORT', value: '8080' }]);
    const appConfig = (web?.secrets ?? []).filter((secret) => APP_CONFIG_KEYS.includes(secret.name));
    expect(appConfig.map((secret) => secret.valueFrom.endsWith('::20261120-0000-4000-8000-000000000001'))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect((web?.secrets ?? []).filter((secret) => secret.valueFrom.includes('AWSCURRENT'))).toEqual([]);
  });

  it('drops a plaintext environment entry that shadows an app-config key', async () => {
    // Arrange: the live release (web:7) also sets LOG_LEVEL in plaintext.
    const account = exampleAccount();
    const web7 = account.ecs.taskDefinitions.find((definition) => definition.revision === 7)?.containerDefinitions[0];
    web7?.environment?.push({ name: 'LOG_LEVEL', value: 'debug' });

    // Act
    const result = await run({ account });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(container(result, WEB_8)?.environment).toEqual([{ name: 'PORT', value: '8080' }]);
    expect(container(result, WEB_8)?.secrets).toEqual(pinnedSecrets('20261120-0000-4000-8000-000000000001'));
  });
});

describe('the record of a release', () => {
  it('states the previous and the new release and the key diff between their config versions', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    const deployment = record(result);
    expect(deployment?.status).toBe('SUCCEEDED');
    expect(deployment?.previousRelease).toEqual(release(IMAGE_V141, WEB_7, '20261101-0000-4000-8000-000000000001'));
    expect(deployment?.newRelease).toEqual(release(IMAGE_V142, WEB_8, '20261120-0000-4000-8000-000000000001'));
    expect(deployment?.configDiff).toEqual({
      secretArn: SECRET_ARN,
      fromVersionId: '20261101-0000-4000-8000-000000000001',
      toVersionId: '20261120-0000-4000-8000-000000000001',
      added: [],
      removed: [],
      changed: ['DATABASE_URL', 'SESSION_SECRET', 'WORKER_CONCURRENCY'],
    });
  });

  it('names a key added and a key removed by the new config version, never their values', async () => {
    // Arrange: 20261101-0000-4000-8000-000000000001 (live) has a LEGACY_CACHE_URL that AWSCURRENT dropped; AWSCURRENT adds FEATURE_FLAGS.
    const account = exampleAccount();
    const versions = account.secretsManager.secrets[SECRET_ARN]?.versions ?? [];
    const live = versions.find((version) => version.versionId === '20261101-0000-4000-8000-000000000001');
    const current = versions.find((version) => version.versionId === '20261120-0000-4000-8000-000000000001');
    if (!live || !current)
      throw new Error('example account changed: no 20261101-0000-4000-8000-000000000001 / 20261120-0000-4000-8000-000000000001');
    live.value.LEGACY_CACHE_URL = 'redis://SIMSECRET-legacy-cache-5d3e@cache.internal:6379';
    current.value.FEATURE_FLAGS = 'SIMSECRET-flags-new-checkout-a81f';

    // Act: run() fails if either value appears in events, logs, records or API inputs.
    const result = await run({ account });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(record(result)?.configDiff).toEqual({
      secretArn: SECRET_ARN,
      fromVersionId: '20261101-0000-4000-8000-000000000001',
      toVersionId: '20261120-0000-4000-8000-000000000001',
      added: ['FEATURE_FLAGS'],
      removed: ['LEGACY_CACHE_URL'],
      changed: ['DATABASE_URL', 'SESSION_SECRET', 'WORKER_CONCURRENCY'],
    });
    // Only the keys of the config are pinned: the new key is not injected into the task.
    expect(container(result, WEB_8)?.secrets).toEqual(pinnedSecrets('20261120-0000-4000-8000-000000000001'));
  });
});

describe('an app-config version that fails its rules', () => {
  it.each([
    [
      'secret-malformed',
      `SecretInvalidError: app-config secret ${SECRET_ARN} version 20261120-0000-4000-8000-000000000001: key DATABASE_URL is missing`,
    ],
    [
      'secret-bad-type',
      `SecretInvalidError: app-config secret ${SECRET_ARN} version 20261120-0000-4000-8000-000000000001: key WORKER_CONCURRENCY must be an integer`,
    ],
  ])('%s is rejected before any change, naming the secret, the version and the key', async (fault, reason) => {
    // Arrange / Act
    const result = await run({ faults: [fault] });

    // Assert
    expect(result.main.executionPath).toEqual(REJECTED_IN_VALIDATE);
    expect(result.main.error).toBe('SecretInvalidError');
    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe(reason);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(operations(result, 'RegisterTaskDefinition', 'UpdateService', 'ModifyListener', 'ModifyRule')).toEqual([]);
    expect(result.model.taskDefinitions.has(WEB_8)).toBe(false);
  });

  it('never repeats the value that broke the rule', async () => {
    // Arrange / Act: the fault puts the value in after the account file was read, so run() cannot know it.
    const result = await run({ faults: ['secret-bad-type'] });

    // Assert
    const exposed = JSON.stringify({ events: result.main.events, cause: result.main.cause, logs: result.logLines, record: record(result) });
    expect(exposed.includes('SIMSECRET-eight-workers')).toBe(false);
    expect(exposed.includes('key WORKER_CONCURRENCY must be an integer')).toBe(true);
  });
});

describe('a secret rotated while the deployment runs', () => {
  it('keeps the version validate checked, not the one that became AWSCURRENT afterwards', async () => {
    // Arrange / Act
    const result = await run({ faults: ['secret-rotated-mid-deploy'] });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(result.model.service('prod', 'web-green')?.taskDefinitionArn).toBe(WEB_8);
    expect(container(result, WEB_8)?.secrets).toEqual(pinnedSecrets('20261120-0000-4000-8000-000000000001'));
    expect(record(result)?.secretVersionId).toBe('20261120-0000-4000-8000-000000000001');
    const stages = result.model.secrets[SECRET_ARN]?.versions.map((version) => [version.versionId, version.stages]);
    expect(stages).toEqual([
      ['20261001-0000-4000-8000-000000000001', ['release-2026-10-01']],
      ['20261101-0000-4000-8000-000000000001', []],
      ['20261120-0000-4000-8000-000000000001', ['AWSPREVIOUS']],
      [ROTATED_VERSION_ID, ['AWSCURRENT']],
    ]);
    expect(JSON.stringify({ events: result.main.events, logs: result.logLines, table: [...result.model.table.values()] })).not.toContain(
      'SIMSECRET-session-rotated-77aa',
    );
  });
});

describe('a rollback to an earlier release', () => {
  it('redeploys its task definition as it is, without reading the current secret', async () => {
    // Arrange / Act
    const result = await run({ input: ROLLBACK_INPUT });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(result.model.service('prod', 'web-green')?.taskDefinitionArn).toBe(WEB_6);
    expect(tasksOf(result, 'web-green', 'RUNNING').map((task) => task.taskDefinitionArn)).toEqual([WEB_6, WEB_6, WEB_6]);
    expect(operations(result, 'RegisterTaskDefinition')).toEqual([]);
    // The app-config secret is not read (the only secret read is the chat webhook's, to announce the start and the outcome).
    const secretsRead = result.apis.calls
      .filter((call) => call.operation === 'GetSecretValue')
      .map((call) => (call.input as { SecretId?: string }).SecretId);
    expect(secretsRead).toEqual([
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:baton/chat-webhook-Hk7Qz1',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:baton/chat-webhook-Hk7Qz1',
    ]);
    expect(result.model.taskDefinitions.has(WEB_8)).toBe(false);
    const deployment = record(result);
    expect(deployment?.status).toBe('SUCCEEDED');
    expect(deployment?.restores).toBe(EARLIER_RELEASE);
    expect(deployment?.newTaskDefinitionArn).toBe(WEB_6);
    expect(deployment?.previousRelease).toEqual(release(IMAGE_V141, WEB_7, '20261101-0000-4000-8000-000000000001'));
    expect(deployment?.newRelease).toEqual(release(IMAGE_V140, WEB_6, '20261001-0000-4000-8000-000000000001'));
  });

  it('is refused before any change when the version the release pinned was deleted', async () => {
    // Arrange
    const fault = FAULTS['secret-version-deleted'];

    // Act
    const result = await run({ faults: ['secret-version-deleted'], input: fault?.input });

    // Assert
    expect(fault?.input).toEqual(ROLLBACK_INPUT);
    expect(result.main.executionPath).toEqual(REJECTED_IN_VALIDATE);
    expect(result.main.error).toBe('SecretVersionGoneError');
    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe(
      `SecretVersionGoneError: release ${EARLIER_RELEASE} pinned app-config secret ${SECRET_ARN} version 20261001-0000-4000-8000-000000000001 (deleted); it can no longer be redeployed exactly. Nothing was changed`,
    );
    expect(ecsAndElbWrites(result)).toEqual([]);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(result.model.service('prod', 'web-green')?.taskDefinitionArn).toBe(WEB_6);
  });

  it('is refused the same way when that version lost its last staging label', async () => {
    // Arrange
    const account = exampleAccount();
    const pinned = account.secretsManager.secrets[SECRET_ARN]?.versions.find(
      (version) => version.versionId === '20261001-0000-4000-8000-000000000001',
    );
    if (!pinned) throw new Error('example account changed: no 20261001-0000-4000-8000-000000000001');
    pinned.stages = [];

    // Act
    const result = await run({ account, input: ROLLBACK_INPUT });

    // Assert
    expect(result.main.executionPath).toEqual(REJECTED_IN_VALIDATE);
    expect(result.main.error).toBe('SecretVersionGoneError');
    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe(
      `SecretVersionGoneError: release ${EARLIER_RELEASE} pinned app-config secret ${SECRET_ARN} version 20261001-0000-4000-8000-000000000001 (no staging label left); it can no longer be redeployed exactly. Nothing was changed`,
    );
    expect(ecsAndElbWrites(result)).toEqual([]);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});

describe('a deployment that rolls back', () => {
  it.each(['alarm-during-bake', 'green-unhealthy'])('%s leaves blue on web:7 and puts green back on web:6 at 0 tasks', async (fault) => {
    // Arrange / Act
    const result = await run({ faults: [fault] });

    // Assert
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    const blue = result.model.service('prod', 'web-blue');
    const green = result.model.service('prod', 'web-green');
    expect([blue?.taskDefinitionArn, blue?.desiredCount]).toEqual([WEB_7, 3]);
    expect(tasksOf(result, 'web-blue', 'RUNNING').map((task) => task.taskDefinitionArn)).toEqual([WEB_7, WEB_7, WEB_7]);
    expect([green?.taskDefinitionArn, green?.desiredCount]).toEqual([WEB_6, 0]);
    expect(green?.deployments.find((deployment) => deployment.status === 'PRIMARY')?.taskDefinitionArn).toBe(WEB_6);
    // The run ends in the second of the rollback's UpdateService; ECS stops the web:8 tasks on its next pass.
    result.model.advanceTo(result.model.now + 1000);
    expect(tasksOf(result, 'web-green', 'RUNNING')).toEqual([]);
    expect(tasksOf(result, 'web-blue', 'RUNNING').map((task) => task.taskDefinitionArn)).toEqual([WEB_7, WEB_7, WEB_7]);
    expect(
      result.apis.calls.filter((call) => call.operation === 'UpdateService' && call.state === 'Roll back').map((c) => c.input),
    ).toEqual([{ cluster: 'prod', service: 'web-green', taskDefinition: WEB_6, desiredCount: 0 }]);
  });
});

describe('the simulated ECS agent', () => {
  /** A fault for this file only: the pinned version is deleted as the new colour is deployed. */
  const DELETE_PINNED: Fault = {
    description: '20261120-0000-4000-8000-000000000001 is deleted as the new colour is deployed, after web:8 pinned it.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      ctx.onStateEntered.push((state) => {
        const secret = ctx.model.secrets[SECRET_ARN];
        if (state === 'Deploy new colour' && secret)
          secret.versions = secret.versions.filter((v) => v.versionId !== '20261120-0000-4000-8000-000000000001');
      });
    },
  };

  afterEach(() => {
    delete FAULTS['test-pinned-version-deleted'];
  });

  it('refuses to start a task whose pinned secret version no longer exists, and the deployment rolls back', async () => {
    // Arrange
    FAULTS['test-pinned-version-deleted'] = DELETE_PINNED;

    // Act
    const result = await run({ faults: ['test-pinned-version-deleted'] });

    // Assert
    const unpullable =
      "ResourceInitializationError: unable to pull secrets or registry auth: retrieve secret from asm: ResourceNotFoundException: Secrets Manager can't find the specified secret value for VersionId: 20261120-0000-4000-8000-000000000001";
    expect(result.main.executionPath).toEqual([
      ...START,
      'Check new colour stability',
      'Check new colour stability failed',
      ...ROLLED_BACK,
    ]);
    expect(result.main.error).toBe('DeploymentFailedError');
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(
      String(record(result)?.outcomeReason).startsWith(
        `DeploymentFailedError: ECS deployment circuit breaker fired for web-green: ECS deployment circuit breaker: tasks failed to start.; task a1b2c3d400000007 stopped (TaskFailedToStart: ${unpullable})`,
      ),
    ).toBe(true);
    const started = result.model.tasks.filter((task) => task.taskDefinitionArn === WEB_8);
    expect(started.map((task) => [task.id, task.lastStatus, task.stopCode, task.stoppedReason])).toEqual([
      ['a1b2c3d400000007', 'STOPPED', 'TaskFailedToStart', unpullable],
      ['a1b2c3d400000008', 'STOPPED', 'TaskFailedToStart', unpullable],
      ['a1b2c3d400000009', 'STOPPED', 'TaskFailedToStart', unpullable],
    ]);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(result.model.service('prod', 'web-green')?.taskDefinitionArn).toBe(WEB_6);
  });
});
