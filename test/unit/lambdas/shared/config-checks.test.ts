/**
 * A config in which two roles share one listener, ECS service or target group
 * is refused at synth (and by initialize, which parses the same schema): a
 * test listener that is the production listener would take production traffic
 * to the new colour before any check.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../../../lambdas/shared/config-schema.ts';
import { issueLines } from '../../../../lambdas/shared/zod-format.ts';
import { rawExampleConfig, THREE_SERVICES_CONFIG_PATH } from '../../../support/config.ts';

type Json = Record<string, unknown>;
type Service = Json & { blue: Json; green: Json; cluster: string };

function variant(raw: Json, change: (services: Service[]) => void): Json {
  const config = structuredClone(raw) as Json & { services: Service[] };
  change(config.services);
  return config;
}

function problems(config: Json): string[] {
  const parsed = BatonConfigSchema.safeParse(config);
  return parsed.success ? [] : issueLines(parsed.error);
}

const threeServices = (): Json => JSON.parse(readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8')) as Json;
const at = (services: Service[], index: number): Service => {
  const service = services[index];
  if (!service) throw new Error(`no service ${index}`);
  return service;
};

const LISTENER_HARM =
  "a listener or rule carries one role of one service: shared, a move of test (or another service's) traffic moves production traffic before any check";
const SERVICE_HARM = 'an ECS service is one colour of one service: shared, a deployment replaces the tasks that serve the other colour';
const GROUP_HARM = 'a target group holds one colour of one service: shared, weights meant for one colour send traffic to the other';
const WEB_PROD = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2';
const WEB_BLUE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09';

describe('resources two roles share', () => {
  it('accepts the shipped examples', () => {
    expect(problems(rawExampleConfig())).toEqual([]);
    expect(problems(threeServices())).toEqual([]);
  });

  it('refuses a test listener that is the production listener, naming both fields and the ARN', () => {
    const config = variant(rawExampleConfig(), (services) => {
      at(services, 0).testListenerArn = WEB_PROD;
    });

    expect(problems(config)).toEqual([
      `services[0].testListenerArn: listener ${WEB_PROD} is also services[0].productionListenerArn; ${LISTENER_HARM}`,
    ]);
  });

  it('refuses two services on one production listener', () => {
    const config = variant(threeServices(), (services) => {
      at(services, 2).productionListenerArn = at(services, 0).productionListenerArn;
    });

    expect(problems(config)).toEqual([
      `services[2].productionListenerArn: listener arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/2dfabca5426ffd0f is also services[0].productionListenerArn; ${LISTENER_HARM}`,
    ]);
  });

  it('refuses one service whose test listener is another service’s production listener', () => {
    const config = variant(threeServices(), (services) => {
      at(services, 2).testListenerArn = at(services, 1).productionListenerArn;
    });

    expect(problems(config)).toEqual([
      `services[2].testListenerArn: listener arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/91b9982711d440c6 is also services[1].productionListenerArn; ${LISTENER_HARM}`,
    ]);
  });

  it('refuses blue and green of one service on one ECS service and one target group', () => {
    const config = variant(rawExampleConfig(), (services) => {
      at(services, 0).green = { ...at(services, 0).blue };
    });

    expect(problems(config)).toEqual([
      `services[0].green.serviceName: ECS service prod/web-blue is also services[0].blue.serviceName; ${SERVICE_HARM}`,
      `services[0].green.targetGroupArn: target group ${WEB_BLUE_TG} is also services[0].blue.targetGroupArn; ${GROUP_HARM}`,
    ]);
  });

  it('refuses two services sharing an ECS service (same cluster) and a target group', () => {
    const config = variant(threeServices(), (services) => {
      at(services, 0).blue = { ...at(services, 2).blue };
    });

    expect(problems(config)).toEqual([
      `services[2].blue.serviceName: ECS service prod/web-blue is also services[0].blue.serviceName; ${SERVICE_HARM}`,
      `services[2].blue.targetGroupArn: target group ${WEB_BLUE_TG} is also services[0].blue.targetGroupArn; ${GROUP_HARM}`,
    ]);
  });

  it('accepts services of the same name in two clusters', () => {
    const config = variant(threeServices(), (services) => {
      Object.assign(at(services, 0), { cluster: 'other' });
      at(services, 0).blue = { ...at(services, 0).blue, serviceName: 'web-blue' };
    });

    expect(problems(config)).toEqual([]);
  });
});
