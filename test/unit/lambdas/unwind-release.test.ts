import { readFileSync } from 'node:fs';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatonConfigSchema, type ServiceConfig } from '../../../lambdas/shared/config-schema.ts';
import { resumePoint } from '../../../lambdas/shared/outcome.ts';
import type { DeploymentState } from '../../../lambdas/shared/stages.ts';
import { handler } from '../../../lambdas/unwind-release/index.ts';
import { failure, rejectByDefault, updatedFields } from '../../support/aws.ts';
import { THREE_SERVICES_CONFIG_PATH } from '../../support/config.ts';
import { ACCOUNT, caughtLambdaError, NOW, REGION } from '../../support/state.ts';
import { captureMetrics } from '../../support/telemetry.ts';

const TABLE = 'baton-test-deployments';
const RAW_CONFIG = readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8');
const config = BatonConfigSchema.parse(JSON.parse(RAW_CONFIG));
const RELEASE_ID = 'release-20250304-093000-7f3a';
const EXECUTION_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:baton-production:${RELEASE_ID}`;
const STARTED_AT = '2025-03-04T09:30:00.000Z';
const RELEASE = '2026-11-22.1';
const RELEASE_KEY = { pk: `RELEASE#${RELEASE_ID}`, sk: 'RECORD' };
const IMAGES: Record<string, string> = { api: 'v1.1.0', web: 'v1.4.2', worker: 'v2.4.0' };
const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
/** The release recovery execution the backstop started for RELEASE_ID. */
const RECOVERY_ID = 'release-recover-20250304-100000-2d4f';
const RECOVERY_ARN = EXECUTION_ARN.replace(RELEASE_ID, RECOVERY_ID);

const STABILITY_MESSAGE = 'worker-green did not reach a steady state by 2025-03-04T09:59:00.000Z: 1/2 tasks running';
/** What worker's failed iteration reports, and the Map's Catch puts in $.error. */
const WORKER_ERROR = caughtLambdaError('StabilityTimeoutError', STABILITY_MESSAGE);

const deploymentIdOf = (name: string) => `${RELEASE_ID}-${name}`;

function configured(name: string): ServiceConfig {
  const found = config.services.find((service) => service.name === name);
  if (!found) throw new Error(`the three-service example has no "${name}"`);
  return found;
}

/** A service of the release as plan release, validate and prepare left it: what its record's resume point holds. */
function preparedState(name: string): DeploymentState {
  const service = configured(name);
  const repository = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`;
  const digest = `sha256:${'c3'.repeat(32)}`;
  const family = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${name}`;
  return {
    deploymentId: deploymentIdOf(name),
    releaseId: RELEASE_ID,
    executionArn: EXECUTION_ARN,
    startedAt: STARTED_AT,
    request: { service: name, imageTag: IMAGES[name], hotfix: false, dryRun: false, trigger: 'cli', reason: `release ${RELEASE}` },
    service,
    strategy: { type: 'all-at-once' },
    bakeSeconds: 300,
    live: { colour: 'blue', ...service.blue },
    idle: { colour: 'green', ...service.green },
    approval: { required: false },
    previous: {
      taskDefinitionArn: `${family}:7`,
      desiredCount: 2,
      image: `${repository}@sha256:${'b2'.repeat(32)}`,
      idleTaskDefinitionArn: `${family}:6`,
      idleDesiredCount: 0,
      secrets: [],
    },
    image: { repositoryName: name, tag: IMAGES[name], digest, uri: `${repository}@${digest}` },
    release: { taskDefinitionArn: `${family}:8`, secrets: [] },
    warnings: [],
  };
}

const PHASE_RUN = { startedAt: '2025-03-04T09:31:00.000Z', endedAt: '2025-03-04T09:31:05.000Z', invocations: 1, result: 'succeeded' };

/** The phases a service's record lists. */
const VALIDATED = { validate: PHASE_RUN };
const VERIFIED = { validate: PHASE_RUN, prepare: PHASE_RUN, deploy: PHASE_RUN, checkStability: PHASE_RUN, verify: PHASE_RUN };
const STABILITY_FAILED = {
  validate: PHASE_RUN,
  prepare: PHASE_RUN,
  deploy: PHASE_RUN,
  checkStability: { ...PHASE_RUN, invocations: 40, result: 'failed', error: `StabilityTimeoutError: ${STABILITY_MESSAGE}` },
};
const DEPLOYING = { validate: PHASE_RUN, prepare: PHASE_RUN, deploy: PHASE_RUN };

function deploymentRecord(name: string, fields: Record<string, unknown>) {
  return {
    pk: `DEPLOYMENT#${deploymentIdOf(name)}`,
    sk: 'RECORD',
    gsi1pk: `SERVICE#${name}`,
    gsi1sk: `${STARTED_AT}#${deploymentIdOf(name)}`,
    deploymentId: deploymentIdOf(name),
    service: name,
    status: 'IN_PROGRESS',
    executionArn: EXECUTION_ARN,
    startedAt: STARTED_AT,
    trigger: 'cli',
    reason: `release ${RELEASE}`,
    imageTag: IMAGES[name],
    strategy: 'all-at-once',
    liveColour: 'blue',
    targetColour: 'green',
    release: RELEASE_ID,
    resume: resumePoint(preparedState(name)),
    ...fields,
  };
}

const RELEASE_RECORD = {
  ...RELEASE_KEY,
  gsi1pk: 'RELEASES',
  gsi1sk: `${STARTED_AT}#${RELEASE_ID}`,
  releaseId: RELEASE_ID,
  release: RELEASE,
  status: 'IN_PROGRESS',
  executionArn: EXECUTION_ARN,
  startedAt: STARTED_AT,
  trigger: 'cli',
  shift: 'each',
  waves: [['api'], ['web', 'worker']],
  services: {
    api: { deploymentId: deploymentIdOf('api'), wave: 1, imageTag: IMAGES.api },
    web: { deploymentId: deploymentIdOf('web'), wave: 2, imageTag: IMAGES.web },
    worker: { deploymentId: deploymentIdOf('worker'), wave: 2, imageTag: IMAGES.worker },
  },
};

/**
 * The release state the Catch of "Deploy waves" hands over when worker failed
 * in Check stability: its iteration fails with the service's own error.
 */
function caughtRelease(error = WORKER_ERROR) {
  return {
    releaseId: RELEASE_ID,
    executionArn: EXECUTION_ARN,
    startedAt: STARTED_AT,
    request: {
      release: RELEASE,
      services: { api: { imageTag: IMAGES.api }, web: { imageTag: IMAGES.web }, worker: { imageTag: IMAGES.worker } },
      shift: 'each',
      trigger: 'cli',
    },
    waves: [[preparedState('api')], [preparedState('web'), preparedState('worker')]],
    warnings: [],
    error,
  };
}

function recoveryEnvelope() {
  return { request: { recoverRelease: RELEASE_ID }, deploymentId: RECOVERY_ID, executionArn: RECOVERY_ARN, startedAt: NOW };
}

/** What record-failure noted in the release record when worker's iteration failed. */
const WORKER_CAUSE = {
  service: 'worker',
  deploymentId: deploymentIdOf('worker'),
  failedPhase: 'Check stability',
  error: 'StabilityTimeoutError',
  message: STABILITY_MESSAGE,
};

/** What the others' rollback states carry: they roll back because of another service. */
const JOINT_ERROR = {
  Error: 'ReleaseRolledBack',
  Cause: `release ${RELEASE} rolled back together: worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}`,
};

describe('unwind release', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const sfnMock = mockClient(SFNClient);

  function givenRelease(fields: Record<string, unknown>) {
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true })
      .resolves({ Item: { ...RELEASE_RECORD, ...fields } });
  }

  function givenRecords(records: Record<string, Record<string, unknown> | undefined>) {
    for (const [name, fields] of Object.entries(records)) {
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: { pk: `DEPLOYMENT#${deploymentIdOf(name)}`, sk: 'RECORD' }, ConsistentRead: true })
        .resolves(fields ? { Item: deploymentRecord(name, fields) } : {});
    }
  }

  function updatesOf(pk: string): UpdateCommandInput[] {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.Key?.pk === pk);
  }

  function deletedLocks(): unknown[] {
    return dynamoMock.commandCalls(DeleteCommand).map((call) => call.args[0].input);
  }

  beforeEach(() => {
    // Arrange (shared): api verified, worker failed in Check stability (its cause noted), web never got past validate.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    vi.stubEnv('BATON_CONFIG', RAW_CONFIG);
    captureMetrics();
    rejectByDefault(dynamoMock, sfnMock);
    // The release execution a recovery works for has ended.
    sfnMock.on(DescribeExecutionCommand, { executionArn: EXECUTION_ARN }).resolves({ status: 'ABORTED' });
    givenRelease({ cause: WORKER_CAUSE });
    givenRecords({ api: { phases: VERIFIED }, web: { phases: VALIDATED }, worker: { phases: STABILITY_FAILED } });
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RELEASE_KEY }).resolves({});
    for (const name of ['api', 'web', 'worker']) {
      const key = { pk: `DEPLOYMENT#${deploymentIdOf(name)}`, sk: 'RECORD' };
      dynamoMock
        .on(UpdateCommand, { TableName: TABLE, Key: key })
        .callsFake((input: UpdateCommandInput) => ({ Attributes: { ...key, ...updatedFields(input) } }));
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: { pk: `LOCK#${name}`, sk: 'LOCK' } }).resolves({});
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: { pk: `LOCK#${name}`, sk: 'LOCK' } }).resolves({});
    }
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('refuses with ContractViolationError, naming the release, when it has no record, and writes nothing', async () => {
    // Arrange
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true }).resolves({});

    // Act
    const error = await handler(caughtRelease()).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );

    // Assert
    expect(error?.name).toBe('ContractViolationError');
    expect(error?.message).toBe(`release ${RELEASE_ID} has no record; nothing it changed can be found`);
    expect(dynamoMock.commandCalls(UpdateCommand)).toEqual([]);
    expect(deletedLocks()).toEqual([]);
  });

  describe('after a service failed in the waves', () => {
    it('rolls back the services that changed, last wave first: worker, then api', async () => {
      // Arrange: web never got past validate (beforeEach).

      // Act
      const output = await handler(caughtRelease());

      // Assert
      expect(output.rollbacks.map((state) => state.service.name)).toEqual(['worker', 'api']);
      expect(output.untouched).toEqual(['web']);
    });

    it("gives the failing service's rollback its own error and the state that failed", async () => {
      // Arrange: worker failed in Check stability (beforeEach).

      // Act
      const output = await handler(caughtRelease());

      // Assert
      expect(output.rollbacks[0]).toEqual({
        ...preparedState('worker'),
        error: { Error: 'StabilityTimeoutError', Cause: STABILITY_MESSAGE },
        failedPhase: 'Check stability',
        warnings: [],
      });
    });

    it('gives the other services a ReleaseRolledBack error naming the service, the state and the error that caused it', async () => {
      // Arrange: worker failed in Check stability (beforeEach).

      // Act
      const output = await handler(caughtRelease());

      // Assert
      expect(output.rollbacks[1]).toEqual({ ...preparedState('api'), error: JOINT_ERROR, warnings: [] });
    });

    it('orders a wave in reverse name order: worker, web, then api when every service changed', async () => {
      // Arrange
      givenRecords({ web: { phases: DEPLOYING } });

      // Act
      const output = await handler(caughtRelease());

      // Assert
      expect(output.rollbacks.map((state) => [state.service.name, state.error?.Error])).toEqual([
        ['worker', 'StabilityTimeoutError'],
        ['web', 'ReleaseRolledBack'],
        ['api', 'ReleaseRolledBack'],
      ]);
      expect(output.untouched).toEqual([]);
      expect(updatesOf(`DEPLOYMENT#${deploymentIdOf('web')}`)).toEqual([]);
      expect(deletedLocks()).toEqual([]);
    });

    it('closes the record of the service that never started REJECTED, naming the failed service', async () => {
      // Arrange: web never got past validate (beforeEach).

      // Act
      await handler(caughtRelease());

      // Assert
      const updates = updatesOf(`DEPLOYMENT#${deploymentIdOf('web')}`);
      expect(updates).toHaveLength(1);
      expect(updates[0]?.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      );
      expect(updatedFields(updates[0])).toMatchObject({
        status: 'REJECTED',
        outcomeReason: `NotStarted: release ${RELEASE} stopped before this service started (worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}); nothing was changed`,
        endedAt: NOW,
      });
    });

    it('frees the lock of the service that never started, only while its deployment holds it', async () => {
      // Arrange: web never got past validate (beforeEach).

      // Act
      await handler(caughtRelease());

      // Assert
      expect(deletedLocks()).toEqual([
        {
          TableName: TABLE,
          Key: { pk: 'LOCK#web', sk: 'LOCK' },
          ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
          ExpressionAttributeValues: { ':me': deploymentIdOf('web'), ':execution': EXECUTION_ARN },
        },
      ]);
    });

    it('leaves the records and locks of the services it rolls back to the rollback', async () => {
      // Arrange: api and worker changed (beforeEach).

      // Act
      await handler(caughtRelease());

      // Assert
      expect(updatesOf(`DEPLOYMENT#${deploymentIdOf('api')}`)).toEqual([]);
      expect(updatesOf(`DEPLOYMENT#${deploymentIdOf('worker')}`)).toEqual([]);
      expect(updatesOf('LOCK#api')).toEqual([]);
      expect(updatesOf('LOCK#worker')).toEqual([]);
    });

    it('notes the cause in the release record unless one is there, with the services it rolls back and leaves untouched', async () => {
      // Arrange: worker failed in Check stability (beforeEach).

      // Act
      const output = await handler(caughtRelease());

      // Assert
      expect(updatesOf(RELEASE_KEY.pk)).toEqual([
        {
          TableName: TABLE,
          Key: RELEASE_KEY,
          UpdateExpression: 'SET #cause = if_not_exists(#cause, :cause), rollingBack = :rollingBack, untouched = :untouched',
          ConditionExpression: '#owner = :owner AND #started = :started',
          ExpressionAttributeNames: { '#cause': 'cause', '#owner': 'executionArn', '#started': 'startedAt' },
          ExpressionAttributeValues: {
            ':owner': EXECUTION_ARN,
            ':started': STARTED_AT,
            ':cause': WORKER_CAUSE,
            ':rollingBack': ['worker', 'api'],
            ':untouched': ['web'],
          },
        },
      ]);
      expect({ releaseId: output.releaseId, executionArn: output.executionArn, cause: output.cause }).toEqual({
        releaseId: RELEASE_ID,
        executionArn: EXECUTION_ARN,
        cause: WORKER_CAUSE,
      });
    });

    it('counts a service without a record as untouched and frees its lock', async () => {
      // Arrange
      givenRecords({ web: undefined });

      // Act
      const output = await handler(caughtRelease());

      // Assert
      expect(output.untouched).toEqual(['web']);
      expect(updatesOf(`DEPLOYMENT#${deploymentIdOf('web')}`)).toEqual([]);
      expect(deletedLocks()).toEqual([expect.objectContaining({ Key: { pk: 'LOCK#web', sk: 'LOCK' } })]);
    });
  });

  describe('after a release-level state failed, with no service cause noted', () => {
    const GATE_MESSAGE = 'web: gate failed before shifting green to 100 % (at 0 %): alarm web-5xx-rate is ALARM (Threshold Crossed)';

    beforeEach(() => {
      givenRelease({ shift: 'together' });
      givenRecords({ web: { phases: VERIFIED }, worker: { phases: VERIFIED } });
    });

    it('rolls every service back with a ReleaseRolledBack error naming the error of the Catch', async () => {
      // Arrange: every service verified; "Shift together" failed (beforeEach).

      // Act
      const output = await handler(caughtRelease(caughtLambdaError('GateFailedError', GATE_MESSAGE)));

      // Assert
      const error = {
        Error: 'ReleaseRolledBack',
        Cause: `release ${RELEASE} rolled back together: the release failed: GateFailedError: ${GATE_MESSAGE}`,
      };
      expect(output.rollbacks).toEqual([
        { ...preparedState('worker'), error, warnings: [] },
        { ...preparedState('web'), error, warnings: [] },
        { ...preparedState('api'), error, warnings: [] },
      ]);
    });

    it('notes the error of the Catch as the cause', async () => {
      // Arrange: "Shift together" failed (beforeEach).

      // Act
      await handler(caughtRelease(caughtLambdaError('GateFailedError', GATE_MESSAGE)));

      // Assert
      expect(updatesOf(RELEASE_KEY.pk)[0]?.ExpressionAttributeValues).toEqual({
        ':owner': EXECUTION_ARN,
        ':started': STARTED_AT,
        ':cause': { error: 'GateFailedError', message: GATE_MESSAGE },
        ':rollingBack': ['worker', 'web', 'api'],
        ':untouched': [],
      });
    });
  });

  describe('in a release recovery execution', () => {
    beforeEach(() => {
      // The execution stopped without a service failing: no cause noted.
      givenRelease({});
    });

    it('rolls back the services that changed with the error the recovery names', async () => {
      // Arrange: api and worker changed (beforeEach).

      // Act
      const output = await handler(recoveryEnvelope());

      // Assert
      const error = {
        Error: 'ReleaseRolledBack',
        Cause: `release ${RELEASE} rolled back together: the release failed: ExecutionStopped: the release execution ended without a verdict`,
      };
      expect(output).toEqual({
        releaseId: RELEASE_ID,
        executionArn: RECOVERY_ARN,
        rollbacks: [
          // The recovery holds their locks now (transferred): its execution renews and releases them.
          { ...preparedState('worker'), error, warnings: [`recovered by ${RECOVERY_ID}`], heldBy: RECOVERY_ARN },
          { ...preparedState('api'), error, warnings: [`recovered by ${RECOVERY_ID}`], heldBy: RECOVERY_ARN },
        ],
        cause: { error: 'ExecutionStopped', message: 'the release execution ended without a verdict' },
        untouched: ['web'],
      });
    });

    it('points the locks of the services it rolls back at the recovery execution, only while their deployments hold them', async () => {
      // Arrange: api and worker changed (beforeEach).

      // Act
      await handler(recoveryEnvelope());

      // Assert
      expect(['worker', 'api'].flatMap((name) => updatesOf(`LOCK#${name}`))).toEqual(
        ['worker', 'api'].map((name) => ({
          TableName: TABLE,
          Key: { pk: `LOCK#${name}`, sk: 'LOCK' },
          UpdateExpression: 'SET executionArn = :arn, leaseExpiresAt = :until',
          ConditionExpression: 'deploymentId = :me',
          ExpressionAttributeValues: { ':arn': RECOVERY_ARN, ':until': nowSeconds + 900, ':me': deploymentIdOf(name) },
        })),
      );
      expect(updatesOf('LOCK#web')).toEqual([]);
    });

    it('notes the error and cause the backstop gave', async () => {
      // Arrange
      const envelope = {
        ...recoveryEnvelope(),
        request: { recoverRelease: RELEASE_ID, error: 'ExecutionTimedOut', cause: 'the execution timed out in Deploy waves' },
      };

      // Act
      await handler(envelope);

      // Assert
      // The recovery writes as the release it recovers: the record's own execution and start.
      expect(updatesOf(RELEASE_KEY.pk)[0]?.ExpressionAttributeValues).toEqual({
        ':owner': EXECUTION_ARN,
        ':started': STARTED_AT,
        ':cause': { error: 'ExecutionTimedOut', message: 'the execution timed out in Deploy waves' },
        ':rollingBack': ['worker', 'api'],
        ':untouched': ['web'],
      });
    });

    it('keeps the cause a failed service noted over the error the recovery names', async () => {
      // Arrange
      givenRelease({ cause: WORKER_CAUSE });

      // Act
      const output = await handler(recoveryEnvelope());

      // Assert
      expect(output.rollbacks.map((state) => [state.service.name, state.error, state.failedPhase])).toEqual([
        ['worker', { Error: 'StabilityTimeoutError', Cause: STABILITY_MESSAGE }, 'Check stability'],
        ['api', JOINT_ERROR, undefined],
      ]);
    });

    it('tries a service whose rollback failed again, and leaves one that is rolled back as recorded', async () => {
      // Arrange
      givenRecords({ worker: { phases: STABILITY_FAILED, status: 'ROLLED_BACK' }, api: { phases: VERIFIED, status: 'ROLLBACK_FAILED' } });

      // Act
      const output = await handler(recoveryEnvelope());

      // Assert
      expect(output.rollbacks.map((state) => state.service.name)).toEqual(['api']);
      expect(updatesOf('LOCK#worker')).toEqual([]);
      expect(updatesOf(`DEPLOYMENT#${deploymentIdOf('worker')}`)).toEqual([]);
    });
  });

  describe('refusing a release recovery input started by hand (issue 14, item 5)', () => {
    it('refuses a release whose execution still runs: its own REJECTED record, no lock or record of the release touched', async () => {
      // Arrange
      sfnMock.on(DescribeExecutionCommand, { executionArn: EXECUTION_ARN }).resolves({ status: 'RUNNING' });
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: { pk: `DEPLOYMENT#${RECOVERY_ID}`, sk: 'RECORD' } }).resolves({});

      // Act
      const error = await failure(handler(recoveryEnvelope()));

      // Assert
      const message = `invalid release recovery input: recoverRelease: release ${RELEASE_ID} is still running (its execution is RUNNING); only a release whose execution ended is recovered, and nothing changed`;
      expect([error.name, error.message]).toEqual(['RecoveryRefusedError', message]);
      const [own] = updatesOf(`DEPLOYMENT#${RECOVERY_ID}`);
      expect(updatedFields(own as UpdateCommandInput)).toMatchObject({
        deploymentId: RECOVERY_ID,
        status: 'REJECTED',
        outcomeReason: `RecoveryRefusedError: ${message}`,
        evidence: ['failed in: Plan joint rollback', `signal: RecoveryRefusedError: ${message}`],
      });
      for (const name of ['api', 'web', 'worker']) {
        expect(updatesOf(`LOCK#${name}`)).toEqual([]);
        expect(updatesOf(`DEPLOYMENT#${deploymentIdOf(name)}`)).toEqual([]);
      }
      expect(dynamoMock.commandCalls(DeleteCommand)).toEqual([]);
    });

    it('refuses {"recoverRelease": ""} naming the field', async () => {
      // Arrange
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: { pk: `DEPLOYMENT#${RECOVERY_ID}`, sk: 'RECORD' } }).resolves({});

      // Act
      const error = await failure(handler({ ...recoveryEnvelope(), request: { recoverRelease: '' } }));

      // Assert
      expect(error.name).toBe('RecoveryRefusedError');
      expect(error.message).toBe('invalid release recovery input: recoverRelease: Too small: expected string to have >=1 characters');
    });
  });
});
