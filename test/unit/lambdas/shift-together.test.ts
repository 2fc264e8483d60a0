import { readFileSync } from 'node:fs';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatonConfigSchema, type ServiceConfig } from '../../../lambdas/shared/config-schema.ts';
import { ApprovalRefusedError, GateFailedError, LockLostError } from '../../../lambdas/shared/errors.ts';
import type { ReleaseState } from '../../../lambdas/shared/release.ts';
import { productionListenerOf, targetGroupOf } from '../../../lambdas/shared/service-resources.ts';
import type { DeploymentState } from '../../../lambdas/shared/stages.ts';
import { handler } from '../../../lambdas/shift-together/index.ts';
import {
  alarms,
  allowLeaseRenewals,
  conditionFailed,
  ecsService,
  failure,
  forwardAction,
  isLeaseRenewal,
  isWeightChange,
  listenerWith,
  rejectByDefault,
  targets,
  UNEXPECTED,
} from '../../support/aws.ts';
import { THREE_SERVICES_CONFIG_PATH } from '../../support/config.ts';
import { lockItem } from '../../support/items.ts';
import { lambdaContext } from '../../support/sleep.ts';
import { ACCOUNT, isoAfter, NOW, REGION } from '../../support/state.ts';

vi.mock('../../../lambdas/shared/time.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../lambdas/shared/time.ts')>()),
  sleep: (await import('../../support/sleep.ts')).sleepOnFakeClock,
}));

const RAW_CONFIG = readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8');
const config = BatonConfigSchema.parse(JSON.parse(RAW_CONFIG));
const RELEASE_ID = 'release-20250304-093000-7f3a';
const EXECUTION_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:baton-production:${RELEASE_ID}`;
const STARTED_AT = '2025-03-04T09:30:00.000Z';
const RELEASE = '2026-11-22.1';
const IMAGES: Record<string, string> = { api: 'v1.1.0', web: 'v1.4.2', worker: 'v2.4.0' };
const NAMES = ['api', 'web', 'worker'];
const COUNT = 2;
const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
/** The one plan all services follow: 10 % for 10 minutes, then everything. */
const CANARY = { type: 'canary' as const, percent: 10, bakeSeconds: 600 };

const deploymentIdOf = (name: string) => `${RELEASE_ID}-${name}`;
const REPOSITORY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const taskDefinition = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${name}`;

function configured(name: string): ServiceConfig {
  const found = config.services.find((service) => service.name === name);
  if (!found) throw new Error(`the three-service example has no "${name}"`);
  return found;
}

/** A service of the release with green verified and no production traffic yet, on the release's canary. */
function verifiedState(name: string, traffic: DeploymentState['traffic'] = { nextStep: 0, weight: 0, complete: false }): DeploymentState {
  const service = configured(name);
  return {
    deploymentId: deploymentIdOf(name),
    releaseId: RELEASE_ID,
    executionArn: EXECUTION_ARN,
    startedAt: STARTED_AT,
    request: {
      service: name,
      imageTag: IMAGES[name],
      strategy: CANARY,
      hotfix: false,
      dryRun: false,
      trigger: 'cli',
      reason: `release ${RELEASE}`,
    },
    service,
    strategy: CANARY,
    bakeSeconds: 300,
    live: { colour: 'blue', ...service.blue },
    idle: { colour: 'green', ...service.green },
    approval: { required: false },
    previous: {
      taskDefinitionArn: `${taskDefinition(name)}:1`,
      desiredCount: COUNT,
      image: `${REPOSITORY}/${name}@sha256:${'b2'.repeat(32)}`,
      idleTaskDefinitionArn: `${taskDefinition(name)}:1`,
      idleDesiredCount: 0,
      secrets: [],
    },
    image: {
      repositoryName: name,
      tag: IMAGES[name],
      digest: `sha256:${'a1'.repeat(32)}`,
      uri: `${REPOSITORY}/${name}@sha256:${'a1'.repeat(32)}`,
    },
    release: { taskDefinitionArn: `${taskDefinition(name)}:2`, secrets: [] },
    rollout: { desiredCount: COUNT, deployedAt: '2025-03-04T09:40:00.000Z', deadline: '2025-03-04T09:55:00.000Z', checks: 4, stable: true },
    traffic,
    warnings: [],
  };
}

/** The release as "Gather services" hands it to "Shift together". */
function release(traffic?: DeploymentState['traffic']): ReleaseState & { services: DeploymentState[] } {
  const services = NAMES.map((name) => verifiedState(name, traffic));
  return {
    releaseId: RELEASE_ID,
    executionArn: EXECUTION_ARN,
    startedAt: STARTED_AT,
    request: {
      release: RELEASE,
      services: Object.fromEntries(NAMES.map((name) => [name, { imageTag: IMAGES[name] }])),
      shift: 'together',
      dryRun: false,
      strategy: CANARY,
      trigger: 'cli',
    },
    order: [['api'], ['web', 'worker']],
    waves: [[services[0] as DeploymentState], services.slice(1)],
    services,
    warnings: [],
  };
}

describe('shift together', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const cloudwatchMock = mockClient(CloudWatchClient);
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  /** The lease renewals of the services' locks: [service, seconds from now]. */
  function leases(): [unknown, number][] {
    return dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => isLeaseRenewal(input))
      .map((input) => [input.Key?.pk, Number(input.ExpressionAttributeValues?.[':until']) - nowSeconds]);
  }

  beforeEach(() => {
    // Arrange (shared): every service's gates pass, its lock is held and blue has all its traffic.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(ecsMock, elbMock, cloudwatchMock, dynamoMock);
    allowLeaseRenewals(dynamoMock);
    for (const service of config.services) {
      cloudwatchMock
        .on(DescribeAlarmsCommand, { AlarmNames: service.alarms, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })
        .resolves(alarms(service.alarms));
      elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupOf(service.green) }).resolves(targets(COUNT));
      ecsMock
        .on(DescribeServicesCommand, { cluster: service.cluster, services: [service.green.serviceName] })
        .resolves(ecsService(service.green.serviceName, { desiredCount: COUNT, runningCount: COUNT }));
      elbMock
        .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(service)] })
        .resolves(listenerWith(service, { blue: 100, green: 0 }));
      elbMock.on(ModifyListenerCommand, { ListenerArn: productionListenerOf(service) }).resolves({});
    }
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("refuses a service's approval by its requester before any weight moves", async () => {
    // Arrange: web's approval names the requester of the release.
    const alice = 'arn:aws:sts::123456789012:assumed-role/Deployer/alice';
    const selfApproved = release();
    selfApproved.services = selfApproved.services.map((state) =>
      state.service.name === 'web'
        ? { ...state, request: { ...state.request, requestedBy: alice }, approvalResult: { approvedBy: alice } }
        : state,
    );

    // Act
    const error = await failure(handler(selfApproved));

    // Assert
    expect(error).toBeInstanceOf(ApprovalRefusedError);
    expect(error.message).toContain(`who requested ${deploymentIdOf('web')}: the approver must be someone else`);
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('appends one weight change, step 1 of 2, to the record of every service', async () => {
    // Arrange: the appends to the services' records succeed.
    dynamoMock.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
      if (isLeaseRenewal(input) || isWeightChange(input)) return {};
      throw new Error(UNEXPECTED);
    });

    // Act
    await handler(release());

    // Assert
    expect(
      dynamoMock
        .commandCalls(UpdateCommand)
        .map((call) => call.args[0].input)
        .filter((input) => isWeightChange(input))
        .map((input) => [input.Key?.pk, input.ExpressionAttributeValues?.[':change']]),
    ).toEqual(
      NAMES.map((name) => [
        `DEPLOYMENT#${deploymentIdOf(name)}`,
        [{ at: NOW, blue: 90, green: 10, phase: 'shiftTogether', step: 1, of: 2 }],
      ]),
    );
  });

  it('sends 10 % to green for every service, each with absolute weights', async () => {
    // Arrange: every service at the first step of the canary (beforeEach).

    // Act
    await handler(release());

    // Assert
    expect(elbMock.commandCalls(ModifyListenerCommand).map((call) => call.args[0].input)).toEqual(
      NAMES.map((name) => ({
        ListenerArn: configured(name).productionListenerArn,
        DefaultActions: [forwardAction(configured(name), { blue: 90, green: 10 })],
      })),
    );
  });

  it('advances every service to the same step, holding until the same moment', async () => {
    // Arrange: every service at the first step of the canary (beforeEach).

    const given = release();

    // Act
    const result = await handler(given);

    // Assert
    expect(result).toEqual({
      ...given,
      services: given.services.map((state) => ({
        ...state,
        traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 600), heldSince: NOW },
      })),
      traffic: { complete: false },
    });
  });

  it('checks every lock before it moves anything and renews every lease after the step, nothing to wait beyond it', async () => {
    // Arrange: every service at the first step of the canary (beforeEach).

    // Act
    await handler(release());

    // Assert
    expect(leases()).toEqual([
      ['LOCK#api', 900],
      ['LOCK#web', 900],
      ['LOCK#worker', 900],
      ['LOCK#api', 900],
      ['LOCK#web', 900],
      ['LOCK#worker', 900],
    ]);
  });

  it('completes the plan for every service once the canary has held: all traffic on green, and the bake starts', async () => {
    // Arrange
    const held = release({ nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, -1) });
    for (const service of config.services) {
      elbMock
        .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(service)] })
        .resolves(listenerWith(service, { blue: 90, green: 10 }));
    }

    // Act
    const result = await handler(held);

    // Assert
    expect(elbMock.commandCalls(ModifyListenerCommand).map((call) => call.args[0].input)).toEqual(
      NAMES.map((name) => ({
        ListenerArn: configured(name).productionListenerArn,
        DefaultActions: [forwardAction(configured(name), { blue: 0, green: 100 })],
      })),
    );
    expect(result.services?.map((state) => [state.traffic, state.bake])).toEqual(
      NAMES.map(() => [
        { nextStep: 2, weight: 100, complete: true },
        { until: isoAfter(NOW, 300), complete: false },
      ]),
    );
    expect(result.traffic).toEqual({ complete: true });
    expect('wait' in result).toBe(false);
  });

  it('fails with GateFailedError naming the service, and moves no service, when a gate of web fails', async () => {
    // Arrange
    const web = configured('web');
    cloudwatchMock.on(DescribeAlarmsCommand, { AlarmNames: web.alarms }).resolves(alarms(web.alarms, { 'web-5xx-rate': 'ALARM' }));

    // Act
    const error = await failure(handler(release()));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toBe(
      'web: gate failed before shifting green to 10 % (at 0 %): alarm web-5xx-rate is ALARM (Threshold Crossed: 1 datapoint [12.5] was greater than the threshold (5.0).)',
    );
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('keeps the release unchanged while the step holds, after one check of every service without a Lambda context', async () => {
    // Arrange
    const holding = release({ nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 20) });

    // Act
    const result = await handler(holding);

    // Assert
    expect(result).toEqual(holding);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 3);
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
    expect(elbMock).not.toHaveReceivedCommand(DescribeListenersCommand);
  });

  it("watches every service's gates through the hold in one watch, at the shortest gate interval, then applies the next step", async () => {
    // Arrange: worker checks its gates every 10 s, the others every 30 s; the hold ends at 60 s
    const holding = release({ nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 60) });
    holding.services = holding.services.map((state) =>
      state.service.name === 'worker' ? { ...state, service: { ...state.service, gateIntervalSeconds: 10 } } : state,
    );
    for (const service of config.services) {
      elbMock
        .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(service)] })
        .resolves(listenerWith(service, { blue: 90, green: 10 }));
    }

    // Act
    const result = await handler(holding, lambdaContext(900));

    // Assert: every service checked at 0, 10, ..., 60 s; then 100 % for all, and the bake of 300 s from then
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 7 * 3);
    expect(elbMock).toHaveReceivedCommandTimes(ModifyListenerCommand, 3);
    expect(result.services?.map((state) => [state.service.name, state.traffic, state.bake])).toEqual(
      NAMES.map((name) => [name, { nextStep: 2, weight: 100, complete: true }, { until: isoAfter(NOW, 360), complete: false }]),
    );
    expect(result.traffic).toEqual({ complete: true });
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 60));
  });

  it("returns the release unchanged when the invocation's time runs out before the hold ends", async () => {
    // Arrange: 120 s of invocation, less the 30 s margin: watches until 90 s, checking at 0, 30, 60 and 90 s
    const holding = release({ nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 600) });

    // Act
    const result = await handler(holding, lambdaContext(120));

    // Assert
    expect(result).toEqual(holding);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 4 * 3);
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 90));
  });

  it('still checks the gates of every service while the step holds, naming the service that failed', async () => {
    // Arrange
    const holding = release({ nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 20) });
    const worker = configured('worker');
    elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupOf(worker.green) }).resolves(targets(1));

    // Act
    const error = await failure(handler(holding));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toBe(
      'gate failed while holding the release at 10 %: worker: target group targetgroup/worker-green/f4a624983ded68f9 has 1/2 healthy targets',
    );
  });

  it('fails with LockLostError, checking no gate and moving nothing, when worker no longer holds its lock', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand, { Key: { pk: 'LOCK#worker', sk: 'LOCK' } }).rejects(conditionFailed());
    dynamoMock.on(GetCommand, { Key: { pk: 'LOCK#worker', sk: 'LOCK' }, ConsistentRead: true }).resolves({
      Item: { pk: 'LOCK#worker', sk: 'LOCK', ...lockItem({ service: 'worker', deploymentId: 'worker-20250304-095500-9a1b' }) },
    });

    // Act
    const error = await failure(handler(release()));

    // Assert
    expect(error).toBeInstanceOf(LockLostError);
    expect(error.message).toBe(
      `deployment ${deploymentIdOf('worker')} no longer holds the lock of worker (deployment worker-20250304-095500-9a1b holds it); shiftTogether changes nothing`,
    );
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });
});
