/**
 * The cdk-nag packs on the synthesized stack for the example config: no
 * unacknowledged finding, every acknowledgement explained and still needed,
 * and a finding the stack does not acknowledge is reported. Two syntheses
 * (without bundling): the stack as built, and with a wildcard grant added.
 */
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, type IApplyRule, type NagPack, NagRuleCompliance, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleConfig } from '../../support/config.ts';
import { synthExample } from '../../support/example.ts';
import { type Synthesis, synth } from '../../support/synth.ts';

/**
 * What a pack reports for a construct tree when no acknowledgement applies:
 * applyRule is where NagPack filters acknowledged findings, so this records
 * the raw result of each rule instead.
 */
function unfilteredFindings(pack: NagPack, params: IApplyRule): string[] {
  const ruleId = `${pack.readPackName}-${params.ruleSuffixOverride ?? params.rule.name}`;
  const at = ` at ${params.node.node.path}`;
  try {
    const result = params.rule(params.node);
    if (result === NagRuleCompliance.NON_COMPLIANT) return [ruleId + at];
    if (Array.isArray(result)) return result.map((finding) => `${ruleId}[${finding}]${at}`);
    return [];
  } catch {
    return [ruleId + at];
  }
}

class RecordingAwsSolutionsChecks extends AwsSolutionsChecks {
  readonly recorded: string[] = [];
  protected override applyRule(params: IApplyRule): void {
    this.recorded.push(...unfilteredFindings(this, params));
  }
}

class RecordingServerlessChecks extends ServerlessChecks {
  readonly recorded: string[] = [];
  protected override applyRule(params: IApplyRule): void {
    this.recorded.push(...unfilteredFindings(this, params));
  }
}

function recordAll(scope: IConstruct): string[] {
  const packs = [new RecordingAwsSolutionsChecks(), new RecordingServerlessChecks()];
  for (const pack of packs) pack.validateScope(scope);
  return packs.flatMap((pack) => pack.recorded);
}

describe('the Baton stack for the example config', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    ({ synthesis } = synthExample());
  });

  describe('cdk-nag', () => {
    it('reports no unacknowledged finding from the AwsSolutions and Serverless packs', () => {
      expect(synthesis.findings).toEqual([]);
    });

    it('gives every acknowledgement a reason of at least ten words', () => {
      expect(synthesis.acknowledgements.length).toBeGreaterThan(0);
      const weak = synthesis.acknowledgements.filter(
        (ack) => ack.reason.trim().split(/\s+/).length < 10 || ack.reason.length < 60 || ack.reason.includes(ack.id),
      );

      expect(weak).toEqual([]);
    });

    it('acknowledges only findings the packs still report on that construct', () => {
      const raw = recordAll(synthesis.stack);
      const stale = synthesis.acknowledgements.filter(
        (ack) => !raw.some((finding) => finding.startsWith(`${ack.id} at ${ack.path}/`) || finding === `${ack.id} at ${ack.path}`),
      );

      expect(stale).toEqual([]);
    });
  });
});

describe('the Baton stack for a service with autoscaling', () => {
  it('reports no unacknowledged finding, and acknowledges only what the packs report', () => {
    const raw = exampleConfig();
    for (const service of raw.services) service.autoscaling = true;
    const synthesis = synth(raw);
    const reported = recordAll(synthesis.stack);
    const stale = synthesis.acknowledgements.filter(
      (ack) => !reported.some((finding) => finding.startsWith(`${ack.id} at ${ack.path}/`) || finding === `${ack.id} at ${ack.path}`),
    );

    expect(synthesis.findings).toEqual([]);
    expect(stale).toEqual([]);
  });
});

describe('the cdk-nag check', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    synthesis = synth(exampleConfig(), {
      modify: (stack) => {
        const role = new Role(stack, 'UnacknowledgedWildcard', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
        role.addToPolicy(new PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
      },
    });
  });

  it('reports an unacknowledged wildcard grant added to the same stack', () => {
    expect(synthesis.findings.sort()).toEqual([
      'AwsSolutions-IAM5[Action::s3:*] at BatonProduction/UnacknowledgedWildcard/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] at BatonProduction/UnacknowledgedWildcard/DefaultPolicy/Resource',
    ]);
  });
});
