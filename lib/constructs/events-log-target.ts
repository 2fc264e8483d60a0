/**
 * Lets EventBridge rules write to a log group: the log group's ARN as a rule
 * target names it (without the ":*" its Arn attribute ends with), and the
 * CloudWatch Logs resource policy that lets events.amazonaws.com create
 * streams and put events in it. An L1 policy: CDK's CloudWatchLogGroup target
 * installs a custom-resource Lambda to write the same policy. Each policy
 * counts against the ten resource policies CloudWatch Logs allows per account
 * and region.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { CfnResourcePolicy, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Creates the resource policy `id` under `scope`; returns the ARN a rule target gives for the log group. */
export function eventsMayWrite(scope: Construct, id: string, logGroup: ILogGroup, policyName: string): string {
  const stack = Stack.of(scope);
  const logGroupArn = stack.formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: logGroup.logGroupName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  new CfnResourcePolicy(scope, id, {
    policyName,
    policyDocument: stack.toJsonString({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          // The log streams of the group.
          Resource: `${logGroupArn}:*`,
        },
      ],
    }),
  });
  return logGroupArn;
}
