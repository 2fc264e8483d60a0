/**
 * What the tests of lambdas/initialize/index.ts share: the table keys and
 * conditions initialize writes with, the execution envelope of a request,
 * and the mocked AWS clients with the answers of a free lock while blue
 * carries all traffic.
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, type ExecutionStatus, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, vi } from 'vitest';
import { productionListenerOf } from '../../lambdas/shared/service-resources.ts';
import { conditionFailed, listenerWith, rejectByDefault } from './aws.ts';
import { rawExampleConfig } from './config.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, NEW_DIGEST, NEW_TAG, NOW, STARTED_AT, service } from './state.ts';

export const TABLE = 'baton-test-deployments';
export const web = service();
export const nowSeconds = Math.floor(Date.parse(NOW) / 1000);
/** A lock lasts 15 minutes unless a phase renews it. */
export const LEASE_SECONDS = 900;
export const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
export const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
export const ACQUIRE = 'attribute_not_exists(pk) OR deploymentId = :me AND executionArn = :execution';
export const RECLAIM = 'deploymentId = :holder AND executionArn = :holderExecution AND leaseExpiresAt = :holderLease';
/** The lock initialize puts for `request`. */
export const OWN_LOCK = {
  service: 'web',
  deploymentId: DEPLOYMENT_ID,
  executionArn: EXECUTION_ARN,
  imageRef: `tag:${NEW_TAG}`,
  acquiredAt: STARTED_AT,
  leaseExpiresAt: nowSeconds + LEASE_SECONDS,
};

export function envelope(request: unknown, deploymentId = DEPLOYMENT_ID) {
  return { request, deploymentId, executionArn: EXECUTION_ARN, startedAt: STARTED_AT };
}

export const request = { service: 'web', imageTag: NEW_TAG, trigger: 'cli' };
/** An earlier successful deployment a rollback redeploys. */
export const ROLLBACK_ID = 'web-v1_4_1-20250301T080000Z';

/**
 * Mocks the clients initialize calls for the tests of the calling describe
 * (or file): blue carries all traffic, the lock is free, and no record has
 * this execution's name yet; every other command rejects. The clock stands at NOW.
 */
export function initializeMocks() {
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const sfnMock = mockClient(SFNClient);
  const ecrMock = mockClient(ECRClient);

  /** The lock is held (the conditional put fails) and reads back as this holder. */
  function givenHolder(holder: Record<string, unknown>) {
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: LOCK_KEY, ConditionExpression: ACQUIRE }).rejects(conditionFailed());
    dynamoMock
      .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
      .resolves({ Item: { ...LOCK_KEY, service: 'web', ...holder } });
  }

  /** What DescribeExecution says about an execution. */
  function givenExecution(executionArn: string, status: ExecutionStatus) {
    sfnMock.on(DescribeExecutionCommand, { executionArn }).resolves({
      executionArn,
      stateMachineArn: executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
      status,
      startDate: new Date('2025-03-04T09:30:00.000Z'),
    });
  }

  /** When ECR says an image of the web repository was pushed. */
  function givenPushed(imageId: { imageTag: string } | { imageDigest: string }, imagePushedAt: Date) {
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [imageId] })
      .resolves({ imageDetails: [{ repositoryName: 'web', imageDigest: NEW_DIGEST, imagePushedAt }] });
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    process.env.BATON_CONFIG = JSON.stringify(rawExampleConfig());
    rejectByDefault(elbMock, dynamoMock, sfnMock, ecrMock);
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] })
      .resolves(listenerWith(web, { blue: 100, green: 0 }));
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: 'LOCK#web' } }).resolves({});
    dynamoMock.on(PutCommand, { TableName: TABLE, Item: { pk: `DEPLOYMENT#${DEPLOYMENT_ID}` } }).resolves({});
    // No record under this execution's name yet.
    dynamoMock.on(GetCommand, { TableName: TABLE, Key: RECORD_KEY, ConsistentRead: true }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
    delete process.env.BATON_CONFIG;
  });

  return { elbMock, dynamoMock, sfnMock, ecrMock, givenHolder, givenExecution, givenPushed };
}
