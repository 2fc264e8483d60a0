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

  it('counts the example deployment: 10 bake polls, 10 scale-down polls, no holds, up to 60 stability polls', () => {
    const config = exampleConfig();
    const service = config.services[0];
    if (!service) throw new Error('the example config has no service');

    expect(serviceBudget(service, config.pipeline)).toMatchObject({
      bakePolls: 10,
      scaleDownPolls: 10,
      holdPolls: 0,
      stabilityPolls: 60,
      events: (10 + 10 + 0 + 60) * 9 + 100,
      seconds: 900 + 600 + 0 + 300 + 300,
    });
  });

  it('refuses a bake of 86400 s at a 5 s gate interval, naming bakeSeconds, for its history and its duration', () => {
    const config = variant(rawExampleConfig(), (c) => {
      Object.assign(web(c), { bakeSeconds: 86_400, gateIntervalSeconds: 5 });
    });

    expect(problems(config)).toEqual([
      "services[0].bakeSeconds: a bake of 86400 s at a 5 s gate interval is 17280 polls × 9 history events = 155,520, over Step Functions' 25,000-event limit per execution",
      "services[0].bakeSeconds: one deployment may take 88,200 s (stability up to 900 s + cache waits up to 600 s + holds 0 s + bake 86400 s + scale-down delay 300 s), longer than the state machine's execution timeout (pipeline.executionTimeoutSeconds 21600 s)",
    ]);
  });

  it('refuses a bake whose polls alone pass 25,000 events even within the execution timeout', () => {
    const config = variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = 86_400;
      Object.assign(web(c), { bakeSeconds: 21_000, gateIntervalSeconds: 5 });
    });

    expect(problems(config)).toEqual([
      "services[0].bakeSeconds: a bake of 21000 s at a 5 s gate interval is 4200 polls × 9 history events = 37,800, over Step Functions' 25,000-event limit per execution",
    ]);
  });

  it('refuses a scale-down delay whose gate polls alone pass 25,000 events, naming scaleDownDelaySeconds', () => {
    const config = variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = 86_400;
      Object.assign(web(c), { scaleDownDelaySeconds: 21_000, gateIntervalSeconds: 5 });
    });

    expect(problems(config)).toEqual([
      "services[0].scaleDownDelaySeconds: a scale-down delay of 21000 s, gates checked every 5 s, is 4200 polls × 9 history events = 37,800, over Step Functions' 25,000-event limit per execution",
    ]);
  });

  it('refuses strategy holds that pass 25,000 events, and the execution timeout they pass', () => {
    // linear 10 % every 3600 s: 9 holds of 3600 s, each 720 polls at 5 s
    const config = variant(rawExampleConfig(), (c) => {
      Object.assign(web(c), { strategy: { type: 'linear', stepPercent: 10, intervalSeconds: 3600 }, gateIntervalSeconds: 5 });
    });

    expect(problems(config)).toEqual([
      "services[0].strategy: the strategy holds traffic 32400 s in all; at a 5 s gate interval that is 6480 polls × 9 history events = 58,320, over Step Functions' 25,000-event limit per execution",
      'services[0].strategy: linear 10 % every 3600 s holds 9 × 3600 s = 32,400 s, longer than the execution timeout of 21600 s (pipeline.executionTimeoutSeconds) on its own; one deployment may take 34,500 s (stability up to 900 s + cache waits up to 600 s + holds 32400 s + bake 300 s + scale-down delay 300 s)',
    ]);
  });

  it('refuses a bake and holds that fit alone but not together, naming gateIntervalSeconds', () => {
    // at 10 s: bake 20000 s = 2000 polls, scale-down 300 s = 30 polls, canary hold 10000 s = 1000 polls, stability 900 s / 15 s = 60 polls
    const config = variant(rawExampleConfig(), (c) => {
      c.pipeline.executionTimeoutSeconds = 86_400;
      Object.assign(web(c), {
        bakeSeconds: 20_000,
        gateIntervalSeconds: 10,
        strategy: { type: 'canary', percent: 10, bakeSeconds: 10_000 },
      });
    });

    expect(problems(config)).toEqual([
      "services[0].gateIntervalSeconds: one deployment writes up to 27,910 history events, over Step Functions' 25,000-event limit per execution: at a 10 s gate interval the bake is 2000 polls, the scale-down delay 30 and the holds 1000, with up to 60 stability polls (every 15 s for 900 s): 3090 polls × 9 history events + 100 for the other states",
    ]);
  });

  it('refuses a release whose services fit one by one but not together in one execution', () => {
    // each service: bake 7200 s at 5 s = 1440 polls, scale-down 300 s = 60 polls, + 60 stability polls: 1560 × 9 + 100 = 14,140 events
    const config = variant(rawThreeServices(), (c) => {
      for (const service of c.services) Object.assign(service, { bakeSeconds: 7200, gateIntervalSeconds: 5 });
    });

    expect(problems(config)).toEqual([
      "services: a release of all 3 services runs in one execution and writes up to 14,140 + 14,140 + 14,140 = 42,420 history events, over Step Functions' 25,000-event limit per execution",
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
      "services[0].strategy: the strategy holds traffic 8553600 s in all; at a 30 s gate interval that is 285120 polls × 9 history events = 2,566,080, over Step Functions' 25,000-event limit per execution",
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
