/**
 * The "field: problem" lines every boundary shows (issue 16, item 10): an
 * unknown field names the known field it most likely meant, in the execution
 * input and in the config file alike; a malformed strategy shows what one
 * looks like instead of zod's own words.
 */
import { describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../../../lambdas/shared/config-schema.ts';
import { DeploymentRequestSchema } from '../../../../lambdas/shared/contract.ts';
import { closestName } from '../../../../lambdas/shared/did-you-mean.ts';
import { StrategySchema } from '../../../../lambdas/shared/strategy.ts';
import { issueLines } from '../../../../lambdas/shared/zod-format.ts';
import { rawExampleConfig } from '../../../support/config.ts';

const STRATEGY_TYPES = '(types: all-at-once, canary, linear, steps)';

function lines(schema: typeof DeploymentRequestSchema | typeof BatonConfigSchema | typeof StrategySchema, input: unknown): string[] {
  const parsed = schema.safeParse(input);
  return parsed.success ? [] : issueLines(parsed.error, schema);
}

describe('closestName', () => {
  const known = ['service', 'imageTag', 'imageDigest', 'pushedTag', 'rollbackTo', 'strategy', 'dryRun'];

  it.each([
    ['dryrun', 'dryRun'],
    ['IMAGETAG', 'imageTag'],
    ['serivce', 'service'],
    ['tag', 'imageTag'],
    ['digest', 'imageDigest'],
    ['strat', 'strategy'],
    ['rollback', 'rollbackTo'],
  ])('%s means %s', (typo, meant) => {
    expect(closestName(typo, known)).toBe(meant);
  });

  it.each(['Comment', 'x', 'colour', 'environment'])('suggests nothing for %s, far from every known name', (name) => {
    expect(closestName(name, known)).toBeUndefined();
  });
});

describe('issueLines', () => {
  it('names the known field an unknown one most likely meant', () => {
    expect(lines(DeploymentRequestSchema, { service: 'web', imageTag: 'v1.4.2', dryrun: true, colour: 'green' })).toEqual([
      'dryrun: unknown field; did you mean "dryRun"?',
      'colour: unknown field',
    ]);
  });

  it('looks inside nested objects and unions: a strategy field', () => {
    expect(
      lines(DeploymentRequestSchema, { service: 'web', imageTag: 'v1.4.2', strategy: { type: 'canary', percnt: 10, bakeSeconds: 300 } }),
    ).toEqual(['strategy.percent: required (number)', 'strategy.percnt: unknown field; did you mean "percent"?']);
  });

  it('serves the config file too: a field of a service in the list', () => {
    const raw = rawExampleConfig() as { services: Array<{ ecr: Record<string, unknown> }> };
    const [web] = raw.services;
    if (!web) throw new Error('the example config has no service');
    web.ecr = { repositoryName: 'web', tagPattern: ['v*'] };

    expect(lines(BatonConfigSchema, raw)).toEqual(['services[0].ecr.tagPattern: unknown field; did you mean "tagPatterns"?']);
  });

  it('without the schema, names the unknown field alone', () => {
    const parsed = DeploymentRequestSchema.safeParse({ service: 'web', imageTag: 'v1.4.2', dryrun: true });
    expect(parsed.error ? issueLines(parsed.error) : []).toEqual(['dryrun: unknown field']);
  });
});

describe('a malformed strategy', () => {
  it.each([
    ['canary', `expected an object such as {"type": "canary", "percent": 10, "bakeSeconds": 300} ${STRATEGY_TYPES}`],
    ['linear', `expected an object such as {"type": "linear", "stepPercent": 25, "intervalSeconds": 300} ${STRATEGY_TYPES}`],
    ['all-at-once', `expected an object such as {"type": "all-at-once"} ${STRATEGY_TYPES}`],
    [10, `expected an object such as {"type": "canary", "percent": 10, "bakeSeconds": 300} ${STRATEGY_TYPES}`],
  ])('given as %j, shows what one looks like', (strategy, message) => {
    expect(lines(StrategySchema, strategy)).toEqual([`(root): ${message}`]);
  });

  it.each([
    [{ type: 'canry' }, `strategy.type: "canry" is not a strategy type; did you mean "canary"? ${STRATEGY_TYPES}`],
    [{ type: 'blue-green' }, `strategy.type: "blue-green" is not a strategy type ${STRATEGY_TYPES}`],
    [{ type: 'a\nb' }, `strategy.type: not a strategy type ${STRATEGY_TYPES}`],
    [{ percent: 10 }, `strategy.type: required ${STRATEGY_TYPES}, as in {"type": "canary", "percent": 10, "bakeSeconds": 300}`],
  ])('with the type %j, names the types', (strategy, message) => {
    expect(lines(DeploymentRequestSchema, { service: 'web', imageTag: 'v1.4.2', strategy })).toEqual([message]);
  });
});
