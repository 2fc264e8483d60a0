/**
 * The write of `baton promote`: the promotion on the service's lock, only
 * while the deployment that was read holds it. One place for it: the CLI
 * command and the simulation's operator (sim/operator.ts) both write it so.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailed } from '../lambdas/shared/error-classification.ts';
import type { LockHolder, PromotionRequest } from '../lambdas/shared/lock/table.ts';
import { lockKey } from '../lambdas/shared/records/keys.ts';
import { ConflictError } from './errors.ts';

export async function writePromotion(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  service: string,
  holder: LockHolder,
  promotion: PromotionRequest,
): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: lockKey(service),
        UpdateExpression: 'SET #promotion = :promotion',
        ConditionExpression: 'deploymentId = :holder AND executionArn = :execution',
        ExpressionAttributeNames: { '#promotion': 'promotion' },
        ExpressionAttributeValues: { ':promotion': promotion, ':holder': holder.deploymentId, ':execution': holder.executionArn },
      }),
    );
  } catch (error) {
    if (isConditionFailed(error)) {
      throw new ConflictError(`the lock of ${service} changed hands; look again with "baton status ${service}"`, { cause: error });
    }
    throw error;
  }
}
