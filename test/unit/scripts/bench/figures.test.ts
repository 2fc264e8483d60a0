/** `npm run bench`'s reading of what the simulation did (scripts/bench/figures.ts) and the configs it derives (subjects.ts). */
import { describe, expect, it } from 'vitest';
import { productionListenerOf, targetGroupOf } from '../../../../lambdas/shared/service-resources.ts';
import { refusal, weightIn } from '../../../../scripts/bench/figures.ts';
import { copiesOfExample, parseAccount, parseConfig, subject, withBake } from '../../../../scripts/bench/subjects.ts';

describe('refusal', () => {
  it("reports synth's count of history events when its words give one", () => {
    const lines = [
      'pipeline.executionTimeoutSeconds: Too big: expected number to be <=86400',
      "services[0].bakeSeconds: a bake of 86400 s at a 5 s gate interval is 17280 polls × 9 history events = 155,520, over Step Functions' 25,000-event limit per execution",
    ];
    expect(refusal(lines)).toEqual({ text: 'refused at synth (155,520 > 25,000)', note: `synth refuses the config: ${lines.join('; ')}` });
  });

  it("reads a release's total too", () => {
    const line =
      "services: a release of all 20 services runs in one execution and writes up to 2,890 + 2,890 = 57,800 history events, over Step Functions' 25,000-event limit per execution";
    expect(refusal([line]).text).toBe('refused at synth (57,800 > 25,000)');
  });

  it('says only "refused at synth" otherwise', () => {
    expect(refusal(['pipeline.executionTimeoutSeconds: Too big']).text).toBe('refused at synth');
  });
});

describe('weightIn', () => {
  it("finds a target group's weight in a ModifyListener input", () => {
    const input = {
      ListenerArn: 'listener/1',
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: 'tg/blue', Weight: 0 },
              { TargetGroupArn: 'tg/green', Weight: 100 },
            ],
          },
        },
      ],
    };
    expect([weightIn(input, 'tg/blue'), weightIn(input, 'tg/green'), weightIn(input, 'tg/other')]).toEqual([0, 100, undefined]);
  });
});

describe('the derived subjects', () => {
  it('bake every service of the release 24 h at 5 s, raising the execution timeout by the bake', () => {
    const baked = withBake(subject('release').config, 86_400, 5) as {
      pipeline: Record<string, unknown>;
      services: Array<Record<string, unknown>>;
    };
    expect(baked.pipeline.executionTimeoutSeconds).toBe(21_600 + 86_400);
    expect(baked.services.map((service) => [service.name, service.bakeSeconds, service.gateIntervalSeconds])).toEqual([
      ['api', 86_400, 5],
      ['worker', 86_400, 5],
      ['web', 86_400, 5],
    ]);
  });

  it('copy the example service 20 times with resources of their own, in a config synth accepts and an account that has them', () => {
    // Act
    const wide = copiesOfExample(20);
    const parsed = parseConfig(wide.config);

    // Assert
    if (!('config' in parsed)) throw new Error(parsed.refused.join('\n'));
    const account = parseAccount(wide.account);
    expect(parsed.config.services).toHaveLength(20);
    for (const service of parsed.config.services) {
      expect(account.elb.listeners[productionListenerOf(service)]?.forward).toEqual({
        [targetGroupOf(service.blue)]: 100,
        [targetGroupOf(service.green)]: 0,
      });
      expect(account.ecs.clusters[service.cluster]?.services[service.green.serviceName]?.targetGroupArn).toBe(targetGroupOf(service.green));
    }
    expect(Object.keys((wide.input as { services: object }).services)).toEqual(parsed.config.services.map((service) => service.name));
  });
});
