/**
 * What `npm run bench` runs the simulation on: the example service and the
 * three-service release as they are in the repository, and the variants the
 * figures need, derived in memory (a longer bake at a shorter gate interval,
 * twenty copies of the example service with an account that has their
 * resources). Configs stay raw JSON until a figure parses them, so a config
 * that synth would refuse is reported as refused, with synth's own words.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BatonConfig, BatonConfigSchema } from '../../lambdas/shared/config-schema.ts';
import { issueLines } from '../../lambdas/shared/zod-format.ts';
import { AccountSchema, type AccountSpec } from '../../sim/account/schema.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

export type Raw = Record<string, unknown>;
export type SubjectId = 'example' | 'release';

export interface Subject {
  readonly id: SubjectId;
  readonly config: Raw;
  readonly account: Raw;
  readonly input: Raw;
}

const readJson = (...path: string[]): Raw => JSON.parse(readFileSync(join(ROOT, ...path), 'utf8')) as Raw;

export const SUBJECT_LABELS: Readonly<Record<SubjectId, string>> = {
  example: 'example service',
  release: 'three-service release',
};

export function subject(id: SubjectId): Subject {
  if (id === 'example') {
    return {
      id,
      config: readJson('baton.config.json'),
      account: readJson('sim', 'accounts', 'example.json'),
      input: { service: 'web', imageTag: 'v1.4.2' },
    };
  }
  return {
    id,
    config: readJson('examples', 'three-services', 'baton.config.json'),
    account: readJson('sim', 'accounts', 'three-services.json'),
    input: readJson('examples', 'three-services', 'release.json'),
  };
}

const servicesOf = (config: Raw): Raw[] => config.services as Raw[];
const pipelineOf = (config: Raw): Raw => config.pipeline as Raw;

/**
 * Every service baked `bakeSeconds` with gates every `gateIntervalSeconds`; the
 * execution timeout grows by the bake, so the timeout is not what refuses it.
 */
export function withBake(config: Raw, bakeSeconds: number, gateIntervalSeconds?: number): Raw {
  const pipeline = pipelineOf(config);
  const timeout = Number(pipeline.executionTimeoutSeconds ?? 21_600);
  return {
    ...config,
    pipeline: { ...pipeline, executionTimeoutSeconds: timeout + bakeSeconds },
    services: servicesOf(config).map((service) => ({
      ...service,
      bakeSeconds,
      ...(gateIntervalSeconds === undefined ? {} : { gateIntervalSeconds }),
    })),
  };
}

/** Parsed as synth parses it; the refusal's lines when synth would refuse it. */
export function parseConfig(raw: Raw): { config: BatonConfig } | { refused: string[] } {
  const parsed = BatonConfigSchema.safeParse(raw);
  return parsed.success ? { config: parsed.data } : { refused: issueLines(parsed.error, BatonConfigSchema) };
}

export const parseAccount = (raw: Raw): AccountSpec => AccountSchema.parse(raw);

const ELB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';

/** A resource id of copy `key`, stable across runs. */
const hex = (key: string, role: string) => createHash('sha256').update(`${key}/${role}`).digest('hex').slice(0, 16);

/**
 * `count` copies of the example's first service (svc01, svc02…), each with ECS
 * services, target groups and listeners of its own in config and account
 * alike; everything else (image repository, secrets, alarms, cache) is shared,
 * as services of one application share them. The input releases them all.
 */
export function copiesOfExample(count: number): Subject {
  const example = subject('example');
  const template = servicesOf(example.config)[0];
  if (!template) throw new Error('the example config has no service');
  const account = structuredClone(example.account) as {
    ecs: { clusters: Record<string, { services: Record<string, Raw> }> };
    elb: { listeners: Record<string, Raw>; targetGroups: Record<string, Raw> };
  };
  const cluster = account.ecs.clusters[String(template.cluster)];
  const templateBlue = template.blue as { serviceName: string; targetGroupArn: string };
  const templateGreen = template.green as { serviceName: string; targetGroupArn: string };
  const ecsBlue = cluster?.services[templateBlue.serviceName];
  const ecsGreen = cluster?.services[templateGreen.serviceName];
  const targetGroup = account.elb.targetGroups[templateBlue.targetGroupArn];
  if (!cluster || !ecsBlue || !ecsGreen || !targetGroup) throw new Error('the example account lacks the example service');
  const services: Raw[] = [];
  const images: Record<string, { imageTag: string }> = {};
  for (let index = 1; index <= count; index += 1) {
    const name = `svc${String(index).padStart(2, '0')}`;
    const blue = { serviceName: `${name}-blue`, targetGroupArn: `${ELB}:targetgroup/${name}-blue/${hex(name, 'blue')}` };
    const green = { serviceName: `${name}-green`, targetGroupArn: `${ELB}:targetgroup/${name}-green/${hex(name, 'green')}` };
    const production = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/${hex(name, 'production')}`;
    const test = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/${hex(name, 'test')}`;
    services.push({ ...structuredClone(template), name, blue, green, productionListenerArn: production, testListenerArn: test });
    cluster.services[blue.serviceName] = { ...ecsBlue, targetGroupArn: blue.targetGroupArn };
    cluster.services[green.serviceName] = { ...ecsGreen, targetGroupArn: green.targetGroupArn };
    account.elb.targetGroups[blue.targetGroupArn] = { ...targetGroup };
    account.elb.targetGroups[green.targetGroupArn] = { ...targetGroup };
    account.elb.listeners[production] = { forward: { [blue.targetGroupArn]: 100, [green.targetGroupArn]: 0 } };
    account.elb.listeners[test] = { forward: { [blue.targetGroupArn]: 0, [green.targetGroupArn]: 100 } };
    images[name] = { imageTag: String(example.input.imageTag) };
  }
  return {
    id: 'example',
    config: { ...example.config, services },
    account: account as unknown as Raw,
    input: { release: 'bench-20-services', services: images },
  };
}
