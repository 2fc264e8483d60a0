/** The three-service example (api, worker, web): one stack, every service scoped and watched. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import { THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { type Synthesis, synth } from '../support/synth.ts';
import { iamPolicies } from '../support/template.ts';

describe('the stack for examples/three-services', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    synthesis = synth(loadConfig(THREE_SERVICES_CONFIG_PATH));
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    expect(synthesis.findings).toEqual([]);
  });

  it('has one ROLLBACK_FAILED alarm per service and one for releases besides the three execution alarms', () => {
    // Act
    const alarms = Object.values(synthesis.template.findResources('AWS::CloudWatch::Alarm')) as Array<{
      Properties: { MetricName: string; Namespace: string; Dimensions: Array<{ Name: string; Value: unknown }> };
    }>;

    // Assert
    expect(
      alarms
        .filter((alarm) => alarm.Properties.Namespace === 'Baton')
        .map((alarm) => [alarm.Properties.MetricName, alarm.Properties.Dimensions]),
    ).toEqual([
      ['ExecutionFailedWithoutOutcome', [{ Name: 'service', Value: 'pipeline' }]],
      ['DeploymentRollbackFailed', [{ Name: 'service', Value: 'api' }]],
      ['DeploymentRollbackFailed', [{ Name: 'service', Value: 'worker' }]],
      ['DeploymentRollbackFailed', [{ Name: 'service', Value: 'web' }]],
      ['ReleaseRollbackFailed', [{ Name: 'service', Value: 'release' }]],
    ]);
    expect(alarms.filter((alarm) => alarm.Properties.Namespace === 'AWS/States').map((a) => a.Properties.MetricName)).toEqual([
      'ExecutionsTimedOut',
      'ExecutionsAborted',
    ]);
  });

  it('lets the deploy phase update the six ECS services of the three services and no other', () => {
    // Act
    const resources = iamPolicies(synthesis)
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      // CDK merges UpdateService with DescribeServices on the same services into one statement.
      .filter((statement) => [statement.Action].flat().includes('ecs:UpdateService'))
      .map((statement) => JSON.stringify(statement.Resource));

    // Assert
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) {
      for (const name of ['api-blue', 'api-green', 'worker-blue', 'worker-green', 'web-blue', 'web-green']) {
        expect(resource).toContain(`service/prod/${name}`);
      }
      expect(resource.match(/service\/prod\//g)).toHaveLength(6);
    }
  });
});
