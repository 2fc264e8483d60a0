import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** DynamoDB, through the document client: the deployments table. */
export const dynamo = /* @__PURE__ */ clientOnce(() =>
  DynamoDBDocumentClient.from(traced(new DynamoDBClient(SDK_OPTIONS)), { marshallOptions: { removeUndefinedValues: true } }),
);
