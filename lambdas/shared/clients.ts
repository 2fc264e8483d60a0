/**
 * AWS SDK clients, created once per container (cold start) and shared by all
 * invocations, each traced by X-Ray (a subsegment per call) when running in Lambda. Tests replace them by mocking the client classes
 * (aws-sdk-client-mock), so handlers never build clients of their own.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './tracer.ts';

// The state machine owns retries (with backoff visible in the execution
// history); the SDK retries only briefly so a throttled call fails fast into
// a TransientAwsError that Step Functions retries.
const common = { maxAttempts: 2 } as const;

// One export per client, marked pure, so each bundle carries only the clients
// its phase uses (esbuild drops the unused ones).
export const ecs = /* @__PURE__ */ tracer.captureAWSv3Client(new ECSClient(common));
export const elb = /* @__PURE__ */ tracer.captureAWSv3Client(new ElasticLoadBalancingV2Client(common));
export const ecr = /* @__PURE__ */ tracer.captureAWSv3Client(new ECRClient(common));
export const secrets = /* @__PURE__ */ tracer.captureAWSv3Client(new SecretsManagerClient(common));
export const cache = /* @__PURE__ */ tracer.captureAWSv3Client(new ElastiCacheClient(common));
export const cloudwatch = /* @__PURE__ */ tracer.captureAWSv3Client(new CloudWatchClient(common));
export const sfn = /* @__PURE__ */ tracer.captureAWSv3Client(new SFNClient(common));
export const events = /* @__PURE__ */ tracer.captureAWSv3Client(new EventBridgeClient(common));
export const sns = /* @__PURE__ */ tracer.captureAWSv3Client(new SNSClient(common));
export const dynamo = /* @__PURE__ */ DynamoDBDocumentClient.from(/* @__PURE__ */ tracer.captureAWSv3Client(new DynamoDBClient(common)), {
  marshallOptions: { removeUndefinedValues: true },
});

/** Powertools Parameters over the same Secrets Manager client (so tests and the simulation see its calls). */
export const secretsProvider = /* @__PURE__ */ new SecretsProvider({ awsSdkV3Client: secrets });
