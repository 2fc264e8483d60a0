/** The smoke-test function in a VPC, when pipeline.network is configured. */
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleWithPipeline } from '../support/example.ts';
import { decide, rolePolicy, tableArn } from '../support/role-policy.ts';
import { resolveToString, type Synthesis, synth } from '../support/synth.ts';
import { functionOf, resourceOf, roleOf, statementsOf } from '../support/template.ts';

/** How resolveToString renders an EC2 ARN of the stack's account and region. */
const EC2 = ['arn:', '${AWS::Partition}', ':ec2:eu-west-1:123456789012:'].join('');

const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-1a1b2c3d4e5f60718'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
};

describe('the smoke test with pipeline.network', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    synthesis = synth(exampleWithPipeline({ network: NETWORK }));
  });

  it('runs in the configured subnets and security groups', () => {
    // Act
    const fn = resourceOf<{ Properties: { VpcConfig?: unknown } }>(synthesis, functionOf(synthesis, 'smokeTest'));

    // Assert
    expect(fn.Properties.VpcConfig).toEqual({ SubnetIds: NETWORK.subnetIds, SecurityGroupIds: NETWORK.securityGroupIds });
  });

  it('may create network interfaces only in those subnets and security groups', () => {
    // Arrange
    const statements = statementsOf(synthesis, roleOf(synthesis, 'smokeTest'));

    // Act
    const create = statements.find((s) => s.Action === 'ec2:CreateNetworkInterface');

    // Assert
    expect(((create?.Resource ?? []) as unknown[]).map(resolveToString).sort()).toEqual([
      `${EC2}network-interface/*`,
      `${EC2}security-group/sg-0a1b2c3d4e5f60718`,
      `${EC2}subnet/subnet-0a1b2c3d4e5f60718`,
      `${EC2}subnet/subnet-1a1b2c3d4e5f60718`,
    ]);
  });

  it('gives the smoke test, which calls no AWS API from the VPC, no DynamoDB and no EventBridge permission', () => {
    // Act
    const actions = statementsOf(synthesis, roleOf(synthesis, 'smokeTest')).flatMap((s) => [s.Action].flat());

    // Assert: its log group, the network interfaces Lambda manages in the VPC, and X-Ray.
    expect(actions.filter((action) => /^(dynamodb|events):/i.test(action))).toEqual([]);
    expect([...new Set(actions)].sort()).toEqual(
      [
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:UnassignPrivateIpAddresses',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
  });

  it.each([
    ['dynamodb:UpdateItem', ['LOCK#web']],
    ['dynamodb:UpdateItem', ['DEPLOYMENT#deploy-1']],
    ['dynamodb:GetItem', ['LOCK#web']],
  ])('denies the smoke test %s on the deployment table (%s), as IAM evaluates its role', async (action, leadingKeys) => {
    // Arrange
    const config = synthesis.stack.config;

    // Act
    const decision = await decide(
      rolePolicy(synthesis, config, 'smokeTest'),
      {
        action,
        resource: tableArn(config),
        context: { 'dynamodb:LeadingKeys': leadingKeys },
      },
      config.pipeline.account,
    );

    // Assert
    expect(decision).toBe('ImplicitlyDenied');
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    expect(synthesis.findings).toEqual([]);
  });
});
