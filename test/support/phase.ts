/**
 * What the tests of definePhase (lambdas/shared/phase.ts) share: the keys of
 * the record and the lock it writes to, AWS errors to classify, and mocked
 * clients, since definePhase tracks every phase in the record and on the
 * event bus and no call may leave the tests.
 */
import { ECSServiceException } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import { rejectByDefault } from './aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN } from './state.ts';

export const TABLE = 'baton-test-deployments';
export const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
export const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };

/** An AWS service error as the SDK throws it: its name, fault and HTTP status decide how it is classified. */
export function awsError(
  name: string,
  fault: 'client' | 'server',
  httpStatusCode: number,
  message = `${name} happened`,
): ECSServiceException {
  return new ECSServiceException({ name, $fault: fault, message, $metadata: { httpStatusCode } });
}

/** The update that renews this deployment's lease for `seconds` from `at`, sent by definePhase for `phase`. */
export function leaseRenewal(phase: string, at: string, seconds: number): UpdateCommandInput {
  return {
    TableName: TABLE,
    Key: LOCK_KEY,
    UpdateExpression: 'SET leaseExpiresAt = :until, renewedAt = :now, renewedBy = :phase',
    ConditionExpression: 'deploymentId = :me AND executionArn = :execution',
    ExpressionAttributeValues: {
      ':until': Math.floor(Date.parse(at) / 1000) + seconds,
      ':now': at,
      ':phase': phase,
      ':me': DEPLOYMENT_ID,
      ':execution': EXECUTION_ARN,
    },
  };
}

/** Mocks DynamoDB and EventBridge for the tests of the calling file; each command rejects unless a test answers it. */
export function phaseMocks() {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const eventsMock = mockClient(EventBridgeClient);
  beforeEach(() => {
    rejectByDefault(dynamoMock, eventsMock);
  });
  return { dynamoMock, eventsMock };
}
