import { readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/finish-release/index.ts';
import { conditionFailed, rejectByDefault, updatedFields } from '../../support/aws.ts';
import { THREE_SERVICES_CONFIG_PATH } from '../../support/config.ts';
import { ACCOUNT, caughtLambdaError, NOW, REGION } from '../../support/state.ts';
import { captureMetrics, type EmfLine, metricNames } from '../../support/telemetry.ts';

const TABLE = 'baton-test-deployments';
const RAW_CONFIG = readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8');
const BUS = 'baton-production-events';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
const RELEASE_ID = 'release-20250304-093000-7f3a';
const EXECUTION_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:baton-production:${RELEASE_ID}`;
const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`;
const STARTED_AT = '2025-03-04T09:30:00.000Z';
const RELEASE = '2026-11-22.1';
const RELEASE_KEY = { pk: `RELEASE#${RELEASE_ID}`, sk: 'RECORD' };
const IMAGES: Record<string, string> = { api: 'v1.1.0', web: 'v1.4.2', worker: 'v2.4.0' };
const NAMES = ['api', 'web', 'worker'];
const EXPIRES_AT = Math.floor(Date.parse(NOW) / 1000) + 400 * 86_400;

const deploymentIdOf = (name: string) => `${RELEASE_ID}-${name}`;
const recordKeyOf = (name: string) => ({ pk: `DEPLOYMENT#${deploymentIdOf(name)}`, sk: 'RECORD' });

const RELEASE_INPUT = {
  release: RELEASE,
  services: { api: { imageTag: IMAGES.api }, web: { imageTag: IMAGES.web }, worker: { imageTag: IMAGES.worker } },
  trigger: 'cli',
};

/** The release record plan release wrote. */
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
  services: Object.fromEntries(
    NAMES.map((name) => [name, { deploymentId: deploymentIdOf(name), wave: name === 'api' ? 1 : 2, imageTag: IMAGES[name] }]),
  ),
};

const IMAGE_MESSAGE =
  "image tag v1.4.2 not found in ECR repository web (ImageNotFoundException: The image with imageId {imageTag:'v1.4.2'} does not exist)";
/** What record-failure noted when web failed validation. */
const WEB_CAUSE = {
  service: 'web',
  deploymentId: deploymentIdOf('web'),
  failedPhase: 'Validate',
  error: 'ImageNotFoundError',
  message: IMAGE_MESSAGE,
};

const STABILITY_MESSAGE = 'worker-green did not reach a steady state by 2025-03-04T09:59:00.000Z: 1/2 tasks running';
/** What record-failure noted when worker failed in Check stability. */
const WORKER_CAUSE = {
  service: 'worker',
  deploymentId: deploymentIdOf('worker'),
  failedPhase: 'Check stability',
  error: 'StabilityTimeoutError',
  message: STABILITY_MESSAGE,
};

/** The release's payload, as the release branch hands it to a verdict. */
function releaseState(extra: Record<string, unknown> = {}) {
  return {
    releaseId: RELEASE_ID,
    executionArn: EXECUTION_ARN,
    startedAt: STARTED_AT,
    request: RELEASE_INPUT,
    waves: [],
    warnings: [],
    ...extra,
  };
}

describe('finish release', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const eventsMock = mockClient(EventBridgeClient);
  const snsMock = mockClient(SNSClient);
  let metrics: EmfLine[];

  function givenRelease(fields: Record<string, unknown> | undefined) {
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: RELEASE_KEY, ConsistentRead: true })
      .resolves(fields ? { Item: { ...RELEASE_RECORD, ...fields } } : {});
  }

  /** Each service's record with this status; undefined: no record. */
  function givenRecords(statuses: Record<string, string | undefined>) {
    for (const [name, status] of Object.entries(statuses)) {
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: recordKeyOf(name), ConsistentRead: true }).resolves(
        status
          ? {
              Item: {
                ...recordKeyOf(name),
                deploymentId: deploymentIdOf(name),
                service: name,
                status,
                executionArn: EXECUTION_ARN,
                startedAt: STARTED_AT,
                trigger: 'cli',
                imageTag: IMAGES[name],
                release: RELEASE_ID,
              },
            }
          : {},
      );
    }
  }

  function updatesOf(pk: string): UpdateCommandInput[] {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.Key?.pk === pk);
  }

  function releaseUpdate(): UpdateCommandInput {
    const [update, ...more] = updatesOf(RELEASE_KEY.pk);
    if (!update || more.length > 0) throw new Error(`expected one update of the release record, got ${updatesOf(RELEASE_KEY.pk).length}`);
    return update;
  }

  function subjects(): (string | undefined)[] {
    return snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject);
  }

  beforeEach(() => {
    // Arrange (shared): the release record is in progress until the first update ends it; bus and topic configured.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    vi.stubEnv('BATON_CONFIG', RAW_CONFIG);
    vi.stubEnv('BATON_EVENT_BUS_NAME', BUS);
    vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
    vi.stubEnv('BATON_CHAT_WEBHOOK_SECRET_ARN', undefined);
    rejectByDefault(dynamoMock, eventsMock, snsMock);
    givenRelease({});
    dynamoMock
      .on(UpdateCommand, { TableName: TABLE, Key: RELEASE_KEY })
      .callsFakeOnce((input: UpdateCommandInput) => ({ Attributes: { ...RELEASE_KEY, ...updatedFields(input) } }))
      .rejects(conditionFailed());
    for (const name of NAMES) {
      dynamoMock
        .on(UpdateCommand, { TableName: TABLE, Key: recordKeyOf(name) })
        .callsFake((input: UpdateCommandInput) => ({ Attributes: { ...recordKeyOf(name), ...updatedFields(input) } }));
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: { pk: `LOCK#${name}`, sk: 'LOCK' } }).resolves({});
    }
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    snsMock.on(PublishCommand, { TopicArn: TOPIC_ARN }).resolves({ MessageId: 'm-1' });
    metrics = captureMetrics();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  describe('rejected, after web failed validation', () => {
    const REASON = `release ${RELEASE} rejected before any change: web failed in Validate: ImageNotFoundError: ${IMAGE_MESSAGE}`;

    beforeEach(() => {
      givenRelease({ cause: WEB_CAUSE });
      givenRecords({ api: 'IN_PROGRESS', web: 'IN_PROGRESS', worker: 'IN_PROGRESS' });
    });

    function rejected() {
      return { kind: 'rejected' as const, state: releaseState({ error: caughtLambdaError('ImageNotFoundError', IMAGE_MESSAGE) }) };
    }

    it("closes web's record REJECTED with its own error and the state that failed", async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      const [update, ...more] = updatesOf(recordKeyOf('web').pk);
      expect(more).toEqual([]);
      expect(update?.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      );
      expect(updatedFields(update)).toMatchObject({
        status: 'REJECTED',
        failedPhase: 'Validate',
        outcomeReason: `ImageNotFoundError: ${IMAGE_MESSAGE}`,
        endedAt: NOW,
      });
    });

    it('closes the records of the other services REJECTED, naming the service that failed', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      for (const name of ['api', 'worker']) {
        const updates = updatesOf(recordKeyOf(name).pk);
        expect(updates).toHaveLength(1);
        expect(updatedFields(updates[0])).toMatchObject({
          status: 'REJECTED',
          outcomeReason: `ReleaseRejected: release ${RELEASE} was rejected (web failed in Validate: ImageNotFoundError: ${IMAGE_MESSAGE}); nothing was changed`,
        });
        expect(updatedFields(updates[0])).not.toHaveProperty('failedPhase');
      }
    });

    it('frees the lock of every service, only while its own deployment holds it', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      expect(dynamoMock.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual(
        NAMES.map((name) => ({
          TableName: TABLE,
          Key: { pk: `LOCK#${name}`, sk: 'LOCK' },
          ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
          ExpressionAttributeValues: { ':me': deploymentIdOf(name), ':execution': EXECUTION_ARN },
        })),
      );
    });

    it('ends the release record REJECTED with the cause, once', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      const update = releaseUpdate();
      expect(update.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      );
      expect(update.ReturnValues).toBe('ALL_NEW');
      const { pk: _pk, sk: _sk, ...stored } = RELEASE_RECORD;
      expect(updatedFields(update)).toEqual({
        ...stored,
        cause: WEB_CAUSE,
        status: 'REJECTED',
        outcomeReason: REASON,
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
    });

    it('returns REJECTED with the error of the service that failed', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      const result = await handler(rejected());

      // Assert
      expect(result).toEqual({ releaseId: RELEASE_ID, outcome: { status: 'REJECTED', error: 'ImageNotFoundError', cause: REASON } });
    });

    it('announces the release verdict and each service it closed', async () => {
      // Arrange: web failed validation (beforeEach).

      // Act
      await handler(rejected());

      // Assert
      expect(subjects().sort()).toEqual([
        `Baton: api ${IMAGES.api} REJECTED`,
        `Baton: release ${RELEASE} api v1.1.0, web v1.4.2, worker v2.4.0 REJECTED`,
        `Baton: web ${IMAGES.web} REJECTED`,
        `Baton: worker ${IMAGES.worker} REJECTED`,
      ]);
      expect(metricNames(metrics)).toContain('ReleaseRejected');
    });

    it('leaves a service record that already ended as it is, and still frees its lock', async () => {
      // Arrange
      givenRecords({ worker: 'REJECTED' });

      // Act
      await handler(rejected());

      // Assert
      expect(updatesOf(recordKeyOf('worker').pk)).toEqual([]);
      expect(dynamoMock).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: 'LOCK#worker', sk: 'LOCK' } });
    });
  });

  describe('rejected by plan release', () => {
    it('writes a REJECTED release record of its own when plan release failed before the record existed', async () => {
      // Arrange
      const message = 'invalid release input: services.api.imageTag: give imageTag or imageDigest';
      givenRelease(undefined);
      const input = {
        kind: 'rejected' as const,
        state: {
          request: { ...RELEASE_INPUT, services: { api: {} } },
          deploymentId: RELEASE_ID,
          executionArn: EXECUTION_ARN,
          startedAt: STARTED_AT,
          error: caughtLambdaError('InvalidInputError', message),
        },
      };

      // Act
      const result = await handler(input);

      // Assert
      const reason = `release ${RELEASE} rejected before any change: InvalidInputError: ${message}`;
      expect(updatedFields(releaseUpdate())).toEqual({
        gsi1pk: 'RELEASES',
        gsi1sk: `${STARTED_AT}#${RELEASE_ID}`,
        releaseId: RELEASE_ID,
        release: RELEASE,
        status: 'REJECTED',
        executionArn: EXECUTION_ARN,
        startedAt: STARTED_AT,
        trigger: 'cli',
        shift: 'each',
        waves: [],
        services: {},
        cause: { error: 'InvalidInputError', message },
        outcomeReason: reason,
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
      expect(result).toEqual({ releaseId: RELEASE_ID, outcome: { status: 'REJECTED', error: 'InvalidInputError', cause: reason } });
      expect(dynamoMock).not.toHaveReceivedCommand(DeleteCommand);
      expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    });

    it('frees only the locks the release holds when a lock was taken by another deployment', async () => {
      // Arrange: plan release wrote the record, then found web locked; no service record exists.
      const message =
        'web is locked by deployment web-20250304-092000-1c2e; the release takes no lock (released api again) and changes nothing';
      givenRecords({ api: undefined, web: undefined, worker: undefined });
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: { pk: 'LOCK#web', sk: 'LOCK' } }).rejects(conditionFailed());

      // Act
      const result = await handler({
        kind: 'rejected',
        state: releaseState({ error: caughtLambdaError('DeploymentLockedError', message) }),
      });

      // Assert
      expect(result.outcome).toEqual({
        status: 'REJECTED',
        error: 'DeploymentLockedError',
        cause: `release ${RELEASE} rejected before any change: DeploymentLockedError: ${message}`,
      });
      expect(dynamoMock.commandCalls(DeleteCommand).map((call) => call.args[0].input.ExpressionAttributeValues)).toEqual(
        NAMES.map((name) => ({ ':me': deploymentIdOf(name), ':execution': EXECUTION_ARN })),
      );
      expect(NAMES.flatMap((name) => updatesOf(recordKeyOf(name).pk))).toEqual([]);
    });
  });

  describe('rejected, a dry run', () => {
    const DRY_RUN_INPUT = { ...RELEASE_INPUT, shift: 'each', dryRun: true };
    /** What the Validate services Map fails with once record failure named web in the cause (a plain string, not JSON). */
    const WEB_REFUSAL = { Error: 'ImageNotFoundError', Cause: `web failed in Validate (release): ${IMAGE_MESSAGE}` };

    function rejectedDryRun() {
      return {
        kind: 'rejected' as const,
        state: releaseState({ request: DRY_RUN_INPUT, order: [['api'], ['web', 'worker']], error: WEB_REFUSAL }),
      };
    }

    it('returns REJECTED with the error and a cause naming the release, the service and the state that failed', async () => {
      // Arrange: web failed validation in a dry run.

      // Act
      const result = await handler(rejectedDryRun());

      // Assert
      expect(result).toEqual({
        releaseId: RELEASE_ID,
        outcome: {
          status: 'REJECTED',
          error: 'ImageNotFoundError',
          cause: `release ${RELEASE} dry run refused: ImageNotFoundError: web failed in Validate (release): ${IMAGE_MESSAGE}`,
        },
      });
    });

    it('sends no DynamoDB command at all: no read of the release record, no write, no lock freed', async () => {
      // Arrange: web failed validation in a dry run.

      // Act
      await handler(rejectedDryRun());

      // Assert
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });

    it('announces nothing: no notification, no event, no metric', async () => {
      // Arrange: web failed validation in a dry run.

      // Act
      await handler(rejectedDryRun());

      // Assert
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
      expect(eventsMock).not.toHaveReceivedAnyCommand();
      expect(metricNames(metrics)).toEqual([]);
    });

    it('returns REJECTED under the execution name when plan release refused the dry run, and writes nothing', async () => {
      // Arrange: plan release failed on a dry run naming an unknown service; no release id yet.
      const message = 'invalid release input: services: "billing" is not configured (known: api, worker, web)';
      const input = {
        kind: 'rejected' as const,
        state: {
          request: { ...RELEASE_INPUT, services: { billing: { imageTag: 'v1' } }, dryRun: true },
          deploymentId: RELEASE_ID,
          executionArn: EXECUTION_ARN,
          startedAt: STARTED_AT,
          error: caughtLambdaError('UnknownServiceError', message),
        },
      };

      // Act
      const result = await handler(input);

      // Assert
      expect(result).toEqual({
        releaseId: RELEASE_ID,
        outcome: {
          status: 'REJECTED',
          error: 'UnknownServiceError',
          cause: `release ${RELEASE} dry run refused: UnknownServiceError: ${message}`,
        },
      });
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    });
  });

  describe('rolled back, after worker failed in Check stability', () => {
    beforeEach(() => {
      givenRelease({ cause: WORKER_CAUSE, rollingBack: ['worker', 'api'], untouched: ['web'] });
      givenRecords({ api: 'ROLLED_BACK', web: 'REJECTED', worker: 'ROLLED_BACK' });
    });

    function rolledBack() {
      return {
        kind: 'rolled-back' as const,
        state: { releaseId: RELEASE_ID, executionArn: EXECUTION_ARN, rollbacks: [], cause: WORKER_CAUSE, untouched: ['web'] },
      };
    }

    it('ends the release ROLLED_BACK naming the cause, the rolled back order and the untouched services', async () => {
      // Arrange: both rollbacks succeeded (beforeEach).

      // Act
      const result = await handler(rolledBack());

      // Assert
      const reason = `release ${RELEASE} rolled back because worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}; rolled back worker -> api; untouched: web`;
      expect(result).toEqual({ releaseId: RELEASE_ID, outcome: { status: 'ROLLED_BACK', error: 'StabilityTimeoutError', cause: reason } });
      const update = releaseUpdate();
      // ROLLED_BACK may replace ROLLBACK_FAILED: a later attempt got traffic back.
      expect(update.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running OR #f_owner = :owner AND #f_started = :started AND #f_status = :rollbackFailed',
      );
      expect(updatedFields(update)).toMatchObject({
        status: 'ROLLED_BACK',
        outcomeReason: reason,
        cause: WORKER_CAUSE,
        rolledBack: ['worker', 'api'],
        untouched: ['web'],
        endedAt: NOW,
      });
    });

    it('ends the release REJECTED when no service had changed (a release stopped before its first change)', async () => {
      // Arrange
      givenRelease({ cause: WORKER_CAUSE, rollingBack: [], untouched: ['worker', 'web', 'api'] });

      // Act
      const result = await handler(rolledBack());

      // Assert
      const reason = `release ${RELEASE} stopped because worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}; no service had changed; untouched: worker, web, api`;
      expect(result.outcome).toEqual({ status: 'REJECTED', error: 'StabilityTimeoutError', cause: reason });
      expect(updatedFields(releaseUpdate())).toMatchObject({ status: 'REJECTED', outcomeReason: reason, rolledBack: [] });
    });

    it('ends the release ROLLBACK_FAILED naming the service whose record is not ROLLED_BACK', async () => {
      // Arrange
      givenRecords({ api: 'ROLLBACK_FAILED' });

      // Act
      const result = await handler(rolledBack());

      // Assert
      const reason = `release ${RELEASE} rolled back because worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}; rolled back worker -> api; untouched: web; ROLLBACK FAILED for api: check their listener weights`;
      expect(result.outcome).toEqual({ status: 'ROLLBACK_FAILED', error: 'StabilityTimeoutError', cause: reason });
      const update = releaseUpdate();
      expect(update.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      );
      expect(updatedFields(update)).toMatchObject({ status: 'ROLLBACK_FAILED', outcomeReason: reason });
    });

    it('announces the verdict with the cause and the rolled back order as evidence', async () => {
      // Arrange: both rollbacks succeeded (beforeEach).

      // Act
      await handler(rolledBack());

      // Assert
      const detail = JSON.parse(eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}') as Record<
        string,
        unknown
      >;
      expect(detail).toMatchObject({ releaseId: RELEASE_ID, status: 'ROLLED_BACK', cause: WORKER_CAUSE, durationSeconds: 1800 });
      const message = snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
      expect(message.split('\n').filter((line) => line.startsWith('  - '))).toEqual([
        '  - order: api -> web + worker',
        `  - cause: worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}`,
        '  - rolled back: worker -> api',
        '  - untouched: web',
        `  - api: deployment ${deploymentIdOf('api')}`,
        `  - web: deployment ${deploymentIdOf('web')}`,
        `  - worker: deployment ${deploymentIdOf('worker')}`,
      ]);
    });
  });

  describe('succeeded', () => {
    const REASON = `release ${RELEASE} live: api v1.1.0, web v1.4.2, worker v2.4.0`;

    it('ends the release SUCCEEDED naming the services and images in deploy order', async () => {
      // Arrange: the release record is in progress (beforeEach).

      // Act
      const result = await handler({ kind: 'succeeded', state: releaseState() });

      // Assert
      expect(result).toEqual({ releaseId: RELEASE_ID, outcome: { status: 'SUCCEEDED', error: 'None', cause: REASON } });
      expect(updatedFields(releaseUpdate())).toMatchObject({
        status: 'SUCCEEDED',
        outcomeReason: REASON,
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
    });

    it('announces the verdict once: the event, the notification and the metrics', async () => {
      // Arrange: the release record is in progress (beforeEach).

      // Act
      await handler({ kind: 'succeeded', state: releaseState() });

      // Assert
      expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
      const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
      expect({ ...entry, Detail: JSON.parse(entry?.Detail ?? '{}') }).toEqual({
        Source: 'baton',
        DetailType: 'Baton Release Finished',
        EventBusName: BUS,
        Resources: [EXECUTION_ARN],
        Detail: {
          releaseId: RELEASE_ID,
          release: RELEASE,
          executionArn: EXECUTION_ARN,
          status: 'SUCCEEDED',
          services: Object.fromEntries(NAMES.map((name) => [name, deploymentIdOf(name)])),
          startedAt: STARTED_AT,
          endedAt: NOW,
          durationSeconds: 1800,
          reason: REASON,
          consoleUrl: CONSOLE_URL,
        },
      });
      expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
        TopicArn: TOPIC_ARN,
        Subject: `Baton: release ${RELEASE} api v1.1.0, web v1.4.2, worker v2.4.0 SUCCEEDED`,
      });
      expect(metricNames(metrics)).toEqual(['ReleaseSucceeded', 'ReleaseDuration']);
    });
  });

  describe('a second call, once the release record has ended', () => {
    const STORED_REASON = `release ${RELEASE} rolled back because worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}; rolled back worker -> api; untouched: web`;

    beforeEach(() => {
      givenRelease({
        status: 'ROLLED_BACK',
        cause: WORKER_CAUSE,
        rollingBack: ['worker', 'api'],
        rolledBack: ['worker', 'api'],
        untouched: ['web'],
        outcomeReason: STORED_REASON,
        endedAt: '2025-03-04T09:58:00.000Z',
      });
      givenRecords({ api: 'ROLLED_BACK', web: 'REJECTED', worker: 'ROLLED_BACK' });
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RELEASE_KEY }).rejects(conditionFailed());
    });

    it('announces nothing: no event, no notification, no metric', async () => {
      // Arrange: the release already ended ROLLED_BACK (beforeEach).

      // Act
      await handler({ kind: 'rolled-back', state: { releaseId: RELEASE_ID, executionArn: EXECUTION_ARN, rollbacks: [] } });

      // Assert
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
      expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
      expect(metricNames(metrics)).toEqual([]);
    });

    it('returns the verdict the record holds', async () => {
      // Arrange: the release already ended ROLLED_BACK (beforeEach).

      // Act
      const result = await handler({ kind: 'rolled-back', state: { releaseId: RELEASE_ID, executionArn: EXECUTION_ARN, rollbacks: [] } });

      // Assert
      expect(result).toEqual({
        releaseId: RELEASE_ID,
        outcome: { status: 'ROLLED_BACK', error: 'StabilityTimeoutError', cause: STORED_REASON },
      });
      expect(dynamoMock.commandCalls(GetCommand, { Key: RELEASE_KEY })).toHaveLength(2);
    });
  });
});
