/**
 * The config `baton init` writes: what was discovered, and for the rest the
 * schema's defaults, which it lists for review. It is parsed with the
 * pipeline's own schema (lib/config/load.ts) before it is written, so `cdk
 * synth -c config=<file>` accepts what init wrote.
 */
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { ConfigError, parseConfig } from '../../lib/config/load.ts';
import { UsageError } from '../errors.ts';
import type { Discovery, TaskFacts } from './discover.ts';
import type { Plan } from './plan.ts';

export interface ConfigChoices {
  /** The service's name in the config (--name). */
  readonly name: string;
  /** pipeline.environment (--environment). */
  readonly environment: string;
  /** Where it will be written: named in a config error. */
  readonly file: string;
}

/** What a service's config takes from its task definition, whatever its kind. */
export function taskFields(d: TaskFacts): Record<string, unknown> {
  return {
    taskDefinitionFamily: d.family,
    containerName: d.containerName,
    taskRoleArn: d.taskRoleArn,
    executionRoleArn: d.executionRoleArn,
    ecr: { repositoryName: d.repositoryName },
    ...(d.appConfig
      ? { appConfig: { secretArn: d.appConfig.secretArn, keys: Object.fromEntries(d.appConfig.keys.map((key) => [key, 'string'])) } }
      : {}),
  };
}

/** The config around one service, parsed as `cdk synth` parses it. */
export function chosenConfig(d: TaskFacts, service: Record<string, unknown>, choices: ConfigChoices) {
  const raw = {
    pipeline: { name: 'baton', environment: choices.environment, account: d.account, region: d.region },
    services: [{ name: choices.name, cluster: d.cluster, ...service }],
  };
  try {
    return { raw, config: parseConfig(raw, choices.file) };
  } catch (error) {
    // What was discovered fits the schema; what was chosen (--name, --environment) may not.
    if (error instanceof ConfigError) throw new UsageError(`${error.message}\nChoose another --name or --environment.`, { cause: error });
    throw error;
  }
}

/** The config as it will be written (defaults left out, so that the file says only what was discovered or chosen). */
export function initConfig(d: Discovery, plan: Plan, choices: ConfigChoices): { raw: Record<string, unknown>; config: BatonConfig } {
  const colour = (c: Plan['blue']) => ({ serviceName: c.serviceName, targetGroupArn: c.targetGroupArn });
  return chosenConfig(
    d,
    {
      blue: colour(plan.blue),
      green: colour(plan.green),
      productionListenerArn: plan.production?.arn,
      ...(plan.test ? { testListenerArn: plan.test.arn } : {}),
      ...taskFields(d),
      alarms: d.alarms,
      ...(d.scaled.length > 0 ? { autoscaling: true } : {}),
      healthCheck: { path: d.targetGroup.healthCheckPath, expectedStatus: 200 },
    },
    choices,
  );
}

/** Review lines every service's config has: the pipeline init named. */
export function pipelineReview(choices: ConfigChoices): string {
  return `pipeline.environment "${choices.environment}" and pipeline.name "baton": the state machine is baton-${choices.environment}`;
}

/** Review lines every service's config has: the tags that deploy. */
export const TAGS_REVIEW = 'ecr.tagPatterns: the default ["*.*.*"] (release tags such as v1.4.2); pushed tags that match deploy';

/** Review lines every service's config has: the app config's keys, checked as strings until tightened. */
export function appConfigReview(d: TaskFacts): string[] {
  return d.appConfig
    ? [`appConfig.keys: ${d.appConfig.keys.join(', ')} checked as "string"; tighten them (url, integer, boolean, enum, regex)`]
    : [];
}

/** The settings init chose without discovering them: the operator reviews these before deploying. */
export function reviewLines(d: Discovery, plan: Plan, choices: ConfigChoices): string[] {
  return [
    pipelineReview(choices),
    `productionListenerArn: the ${plan.production?.kind ?? 'listener'} that gives the live colour the most weight${
      plan.test ? `; testListenerArn: the other ${plan.test.kind} forwarding to both` : '; no test listener found (smoke tests need one)'
    }`,
    TAGS_REVIEW,
    ...appConfigReview(d),
    d.alarms.length > 0
      ? `alarms: ${d.alarms.join(', ')} (their metric is on the colours' target groups); add any other that must gate a deployment`
      : 'alarms: none found on the target groups; name the alarms that must gate a deployment',
    ...(d.scaled.length > 0
      ? [
          `autoscaling true: ${d.scaled.join(' and ')} ${d.scaled.length === 1 ? 'has a scalable target' : 'have scalable targets'}; Baton moves the scaling with the colours, and refuses step scaling or predictive policies only one colour has, and scheduled actions (docs/configuration.md, Autoscaling-aware colours)`,
        ]
      : []),
    `healthCheck.path "${d.targetGroup.healthCheckPath}": the target group's health check`,
    'strategy all-at-once, bakeSeconds 300, approval false, no smokeTest: the defaults (docs/configuration.md)',
  ];
}
