/**
 * A config whose gate loops cannot finish inside one execution is refused at
 * synth: more history events than Step Functions' 25,000 per execution, or
 * longer than the execution timeout. Each problem names the field and shows
 * the arithmetic.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../../../lambdas/shared/config-schema.ts';
import { serviceBudget } from '../../../../lambdas/shared/history-budget.ts';
import { issueLines } from '../../../../lambdas/shared/zod-format.ts';
import { exampleConfig, rawExampleConfig, THREE_SERVICES_CONFIG_PATH } from '../../../support/config.ts';

type Json = Record<string, unknown>;

function rawThreeServices(): Json {
  return JSON.parse(readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8')) as Json;
}

/** A deep copy of `raw` with `change` applied to its pipeline and services. */
function variant(raw: Json, change: (config: { pipeline: Json; services: Json[] }) => void): Json {
  const config = structuredClone(raw) as { pipeline: Json; services: Json[] } & Json;
  change(config);
  return config;
}

function problems(config: Json): string[] {
  const parsed = BatonConfigSchema.safeParse(config);
  return parsed.success ? [] : issueLines(parsed.error);
}

const web = (config: { services: Json[] }): Json => {
  const service = config.services[0];
  if (!service) throw new Error('the example config has no service');
  return service;
};

describe('the history and time budget of one execution', () => {
  it('accepts the shipped example configs', () => {
    expect(problems(rawExampleConfig())).toEqual([]);
    expect(problems(rawThreeServices())).toEqual([]);
  });

  it('counts the example deployment in invocations of its watching Tasks: 1 bake, 1 scale-down, 1 step, up to 2 stability checks', () => {
    const config = exampleConfig();
    const service = config.services[0];
    if (!service) throw new Error('the example config has no service');

    // each watching invocation watches up to 840 s (its 900 s timeout less 30 s, at most 840 s)
    expect(serviceBudget(service, config.pipeline)).toEqual({
      bakeInvocations: 1,
      scaleDownInvocations: 1,
      holdInvocations: 1,
      holdSeconds: 0,
      stabilityInvocations: 2,
      events: (1 + 1 + 1 + 2) * 7 + 100,
      seconds: 900 + 600 + 0 + 300 + 300,
      secondsTerms: [
        ['stability up to', 900],
        ['cache waits up to', 600],
        ['holds', 0],
        ['bake', 300],
        ['scale-down delay', 300],
      ],
    });
  });

  it('accepts a 24 h bake at a 5 s gate interval in one execution: 849 history events, whatever the gate interval', () => {
    const config = variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = 90_000;
      Object.assign(web(c), { bakeSeconds: 86_400, gateIntervalSeconds: 5 });
    });
    const parsed = BatonConfigSchema.parse(config);
    const service = parsed.services[0];
    if (!service) throw new Error('the example config has no service');

    expect(problems(config)).toEqual([]);
    // 86400 s / 840 s = 102.9: 103 invocations of Check bake
    expect(serviceBudget(service, parsed.pipeline)).toMatchObject({ bakeInvocations: 103, events: (103 + 1 + 1 + 2) * 7 + 100 });
    expect(serviceBudget({ ...service, gateIntervalSeconds: 300 }, parsed.pipeline).events).toBe(849);
  });

  it('refuses a bake of 86400 s, naming bakeSeconds, for its duration alone: its history fits', () => {
    const config = variant(rawExampleConfig(), (c) => {
      Object.assign(web(c), { bakeSeconds: 86_400, gateIntervalSeconds: 5 });
    });

    expect(problems(config)).toEqual([
      "services[0].bakeSeconds: one deployment may take 88,200 s (stability up to 900 s + cache waits up to 600 s + holds 0 s + bake 86400 s + scale-down delay 300 s), longer than the state machine's execution timeout (pipeline.executionTimeoutSeconds 21600 s)",
    ]);
  });

  it('refuses a bake and a scale-down delay whose invocations pass 25,000 events at a 60 s checkBake timeout, naming bakeSeconds', () => {
    // checkBake watches 60 - 30 = 30 s per invocation: 86400 s of bake and of scale-down delay are 2880 invocations each
    const config = variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = 200_000;
      c.pipeline.phases = { checkBake: { timeoutSeconds: 60, retries: 5 } };
      Object.assign(web(c), { bakeSeconds: 86_400, scaleDownDelaySeconds: 86_400 });
    });

    expect(problems(config)).toEqual([
      "services[0].bakeSeconds: one deployment writes up to 40,441 history events, over Step Functions' 25,000-event limit per execution: the strategy's 1 steps and holds take 1 invocations of shiftTraffic, the bake 2880 and the scale-down delay 2880 of checkBake, the stability checks up to 2: 5763 invocations × 7 history events + 100 for the other states",
    ]);
  });

  it('names scaleDownDelaySeconds when the scale-down delay takes the most invocations', () => {
    // 86400 s of scale-down delay: 2880 invocations of 30 s; 60000 s of bake: 2000
    const config = variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = 200_000;
      c.pipeline.phases = { checkBake: { timeoutSeconds: 60, retries: 5 } };
      Object.assign(web(c), { bakeSeconds: 60_000, scaleDownDelaySeconds: 86_400 });
    });

    expect(problems(config)).toEqual([
      "services[0].scaleDownDelaySeconds: one deployment writes up to 34,281 history events, over Step Functions' 25,000-event limit per execution: the strategy's 1 steps and holds take 1 invocations of shiftTraffic, the bake 2000 and the scale-down delay 2880 of checkBake, the stability checks up to 2: 4883 invocations × 7 history events + 100 for the other states",
    ]);
  });

  it('refuses strategy holds whose invocations pass 25,000 events within the execution timeout, naming the strategy', () => {
    // linear 1 % every 3600 s: 99 holds, each 1 step + 3600 s / 30 s = 121 invocations, then the last step: 11980
    const config = variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = 400_000;
      c.pipeline.phases = { shiftTraffic: { timeoutSeconds: 60, retries: 5 } };
      web(c).strategy = { type: 'linear', stepPercent: 1, intervalSeconds: 3600 };
    });

    expect(problems(config)).toEqual([
      "services[0].strategy: one deployment writes up to 83,988 history events, over Step Functions' 25,000-event limit per execution: the strategy's 100 steps and holds take 11980 invocations of shiftTraffic, the bake 1 and the scale-down delay 1 of checkBake, the stability checks up to 2: 11984 invocations × 7 history events + 100 for the other states",
    ]);
  });

  it('refuses a bake and holds that fit alone but not together, naming the heavier: the strategy', () => {
    // 30 s per invocation: canary hold 60000 s = 1 + 2000 invocations, + the last step; bake 60000 s = 2000; scale-down 300 s = 10
    const config = variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = 130_000;
      c.pipeline.phases = { shiftTraffic: { timeoutSeconds: 60, retries: 5 }, checkBake: { timeoutSeconds: 60, retries: 5 } };
      Object.assign(web(c), { bakeSeconds: 60_000, strategy: { type: 'canary', percent: 10, bakeSeconds: 60_000 } });
    });

    expect(problems(config)).toEqual([
      "services[0].strategy: one deployment writes up to 28,198 history events, over Step Functions' 25,000-event limit per execution: the strategy's 2 steps and holds take 2002 invocations of shiftTraffic, the bake 2000 and the scale-down delay 10 of checkBake, the stability checks up to 2: 4014 invocations × 7 history events + 100 for the other states",
    ]);
  });

  it('refuses a release whose services fit one by one but not together in one execution', () => {
    // each service: bake 36000 s / 30 s = 1200 invocations, scale-down 10, 1 step, 2 stability checks: 1213 × 7 + 100 = 8,591 events
    const config = variant(rawThreeServices(), (c) => {
      c.pipeline.executionTimeoutSeconds = 40_000;
      c.pipeline.phases = { checkBake: { timeoutSeconds: 60, retries: 5 } };
      for (const service of c.services) Object.assign(service, { bakeSeconds: 36_000 });
    });

    expect(problems(config)).toEqual([
      "services: a release of all 3 services runs in one execution and writes up to 8,591 + 8,591 + 8,591 = 25,773 history events, over Step Functions' 25,000-event limit per execution",
    ]);
  });

  it('refuses a release whose waves, one after the other, pass the execution timeout', () => {
    // api first, then worker and web: two waves of up to 11000 s (web also waits up to 600 s for its cache)
    const config = variant(rawThreeServices(), (c) => {
      for (const service of c.services) Object.assign(service, { stabilityTimeoutSeconds: 11_000, gateIntervalSeconds: 300 });
    });

    expect(problems(config)).toEqual([
      "pipeline.executionTimeoutSeconds: a release of all 3 services may take 23,200 s (wave 1 up to 11000 s + wave 2 up to 11600 s + holds 0 s + bake 300 s + scale-down delay 300 s), longer than the state machine's execution timeout of 21600 s",
    ]);
  });
});

describe('holds longer than the execution timeout on their own', () => {
  it('refuses linear 1 % every 86400 s naming the strategy, with the arithmetic', () => {
    const config = variant(rawExampleConfig(), (c) => {
      web(c).strategy = { type: 'linear', stepPercent: 1, intervalSeconds: 86_400 };
    });

    expect(problems(config)).toEqual([
      "services[0].strategy: one deployment writes up to 72,207 history events, over Step Functions' 25,000-event limit per execution: the strategy's 100 steps and holds take 10297 invocations of shiftTraffic, the bake 1 and the scale-down delay 1 of checkBake, the stability checks up to 2: 10301 invocations × 7 history events + 100 for the other states",
      'services[0].strategy: linear 1 % every 86400 s holds 99 × 86400 s = 8,553,600 s, longer than the execution timeout of 21600 s (pipeline.executionTimeoutSeconds) on its own; one deployment may take 8,555,700 s (stability up to 900 s + cache waits up to 600 s + holds 8553600 s + bake 300 s + scale-down delay 300 s)',
    ]);
  });

  it('refuses explicit steps held longer than the execution timeout, adding the pauses up', () => {
    const config = variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = 86_400;
      web(c).gateIntervalSeconds = 300;
      web(c).strategy = {
        type: 'steps',
        steps: [
          { weight: 10, pauseSeconds: 43_200 },
          { weight: 50, pauseSeconds: 43_201 },
          { weight: 100, pauseSeconds: 0 },
        ],
      };
    });

    expect(problems(config)).toEqual([
      'services[0].strategy: steps hold 43200 s + 43201 s = 86,401 s, longer than the execution timeout of 86400 s (pipeline.executionTimeoutSeconds) on its own; one deployment may take 88,501 s (stability up to 900 s + cache waits up to 600 s + holds 86401 s + bake 300 s + scale-down delay 300 s)',
    ]);
  });
});

describe('a step that waits for baton promote', () => {
  /** The example config whose web waits up to 14 days for a promotion at 10 %, under an execution timeout of `timeout`. */
  const manualCanary = (timeout: number) =>
    variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = timeout;
      web(c).strategy = { type: 'steps', steps: [{ weight: 10, pause: 'approval', timeoutSeconds: 14 * 86_400 }] };
    });

  it('counts a 14-day wait for promotion at its longest: 1440 watching invocations of shiftTraffic, 10,222 events', () => {
    const config = manualCanary(1_300_000);
    const parsed = BatonConfigSchema.parse(config);
    const service = parsed.services[0];
    if (!service) throw new Error('the example config has no service');

    expect(problems(config)).toEqual([]);
    // 1209600 s / 840 s = 1440 invocations watching the wait, + 1 for the step + 1 for the last step (100 %)
    expect(serviceBudget(service, parsed.pipeline)).toEqual({
      bakeInvocations: 1,
      scaleDownInvocations: 1,
      holdInvocations: 1442,
      holdSeconds: 1_209_600,
      stabilityInvocations: 2,
      events: (1 + 1 + 1442 + 2) * 7 + 100,
      seconds: 900 + 600 + 1_209_600 + 300 + 300,
      secondsTerms: [
        ['stability up to', 900],
        ['cache waits up to', 600],
        ['holds', 1_209_600],
        ['bake', 300],
        ['scale-down delay', 300],
      ],
    });
  });

  it('refuses a 14-day wait for promotion under a one-day execution timeout, naming the strategy', () => {
    expect(problems(manualCanary(86_400))).toEqual([
      'services[0].strategy: steps hold 1209600 s = 1,209,600 s, longer than the execution timeout of 86400 s (pipeline.executionTimeoutSeconds) on its own; one deployment may take 1,211,700 s (stability up to 900 s + cache waits up to 600 s + holds 1209600 s + bake 300 s + scale-down delay 300 s)',
    ]);
  });
});
