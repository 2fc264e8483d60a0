/**
 * The CLI tests' mocked Step Functions, DynamoDB, ELB and STS clients, the
 * deployment they read (web, waiting for approval, requested by bob), who
 * runs baton (alice) and runners for the example configs.
 */
import {
  DescribeListenersCommand,
  type DescribeListenersCommandOutput,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, vi } from 'vitest';
import type { LockItem } from '../../cli/deployments.ts';
import type { DeploymentRecord } from '../../lambdas/shared/records/deployment.ts';
import type { ReleaseRecord } from '../../lambdas/shared/records/release.ts';
import { type Run, runCli } from './cli.ts';
import { EXAMPLE_CONFIG_PATH, THREE_SERVICES_CONFIG_PATH } from './config.ts';

export const sfnMock = mockClient(SFNClient);
export const dynamoMock = mockClient(DynamoDBDocumentClient);
export const elbMock = mockClient(ElasticLoadBalancingV2Client);
export const stsMock = mockClient(STSClient);

/** Who runs baton in the CLI tests, as STS answers (an SSO session of the Deployer role) and as messages show it. */
export const OPERATOR_ARN = 'arn:aws:sts::123456789012:assumed-role/Deployer/alice';
export const OPERATOR = 'Deployer/alice';
/** Who requested the waiting deployment: another operator. */
export const REQUESTER_ARN = 'arn:aws:sts::123456789012:assumed-role/Deployer/bob';
export const REQUESTER = 'Deployer/bob';
export const TABLE = 'baton-production-deployments';
export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:baton-production';
/** Where the CLI starts executions: the state machine's live alias (lambdas/shared/names.ts). */
export const ALIAS_ARN = `${STATE_MACHINE_ARN}:live`;
export const DEPLOYMENT_ID = 'web-v1_4_2-20261123T090000Z';
export const EXECUTION_ARN = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${DEPLOYMENT_ID}`;
export const DIGEST = 'sha256:2b41c8a0f2e6d7c95e3a1b4f6d8e0c2a4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f73';
export const LISTENER_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const BLUE_TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09';
export const GREEN_TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/8e4b6b8b3c5d2a10';
export const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
export const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };

export const LOCK: LockItem = {
  deploymentId: DEPLOYMENT_ID,
  executionArn: EXECUTION_ARN,
  imageRef: 'v1.4.2',
  acquiredAt: '2026-11-23T09:00:01.000Z',
};

/** As stored: with the approval task token. */
export const WAITING_RECORD: DeploymentRecord = {
  deploymentId: DEPLOYMENT_ID,
  service: 'web',
  status: 'IN_PROGRESS',
  executionArn: EXECUTION_ARN,
  startedAt: '2026-11-23T09:00:00.000Z',
  trigger: 'cli',
  requestedBy: REQUESTER_ARN,
  imageTag: 'v1.4.2',
  awaitingApproval: true,
  approvalToken: 'AQCEAAAAKgAAAAMAAAAAAAAAAXsample-token',
};

export const RELEASE_ID = 'release-2026-11-22_1-20261123T090000Z';
export const RELEASE_ARN = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${RELEASE_ID}`;

/** A release record of the three services (api, then web and worker), as plan release writes it. */
export const RELEASE_RECORD: ReleaseRecord = {
  releaseId: RELEASE_ID,
  release: '2026-11-22.1',
  status: 'IN_PROGRESS',
  executionArn: RELEASE_ARN,
  startedAt: '2026-11-23T09:00:00.000Z',
  trigger: 'cli',
  requestedBy: 'alice',
  shift: 'each',
  waves: [['api'], ['web', 'worker']],
  services: {
    api: { deploymentId: `${RELEASE_ID}-api`, wave: 1, imageTag: 'v1.1.0' },
    web: { deploymentId: `${RELEASE_ID}-web`, wave: 2, imageTag: 'v1.4.2' },
    worker: { deploymentId: `${RELEASE_ID}-worker`, wave: 2, imageTag: 'v2.4.0' },
  },
};

/** Runs baton with the example config and captured output; sleeping returns at once. */
export function baton(...args: string[]): Promise<Run> {
  return runCli(EXAMPLE_CONFIG_PATH, args);
}

/** `baton release` with the three-service example config; sleeping returns at once. */
export function release(...args: string[]): Promise<Run> {
  return runCli(THREE_SERVICES_CONFIG_PATH, ['release', ...args]);
}

/** The inputs of every StartExecution call, in order. */
export function startInputs() {
  return sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

export function givenLock(lock: LockItem | undefined): void {
  dynamoMock.on(GetCommand, { Key: LOCK_KEY }).resolves(lock ? { Item: { ...LOCK_KEY, ...lock } } : {});
}

export function givenRecord(record: DeploymentRecord | undefined): void {
  dynamoMock.on(GetCommand, { Key: RECORD_KEY }).resolves(record ? { Item: { ...RECORD_KEY, ...record } } : {});
}

/** web's production listener forwards `blue` and `green` (weights as ELB keeps them). */
export function givenWeights(blue: number, green: number): void {
  elbMock.on(DescribeListenersCommand, { ListenerArns: [LISTENER_ARN] }).resolves(listenerForwarding(blue, green));
}

/** What DescribeListeners answers for web's production listener forwarding `blue` and `green`. */
export function listenerForwarding(blue: number, green: number): DescribeListenersCommandOutput {
  return {
    $metadata: {},
    Listeners: [
      {
        ListenerArn: LISTENER_ARN,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: BLUE_TARGET_GROUP, Weight: blue },
                { TargetGroupArn: GREEN_TARGET_GROUP, Weight: green },
              ],
            },
          },
        ],
      },
    ],
  };
}

/** STS answers that `arn` runs baton. */
export function givenCaller(arn: string): void {
  stsMock.on(GetCallerIdentityCommand).resolves({ Arn: arn, Account: arn.split(':')[4], UserId: 'AROAEXAMPLE:session' });
}

/** Each test starts with mocks that answer nothing, but for web's listener (all on blue) and STS (alice runs baton). */
export function resetMocks(): void {
  sfnMock.reset();
  dynamoMock.reset();
  elbMock.reset();
  stsMock.reset();
  givenWeights(100, 0);
  givenCaller(OPERATOR_ARN);
}

/** Fixes the clock (Date only) for each test: execution names carry the UTC time, so the expected names are exact. */
export function fixedDate(iso = '2026-11-23T09:00:00.123Z'): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date(iso), toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
