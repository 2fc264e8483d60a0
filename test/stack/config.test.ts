/**
 * The config file is checked when the app is synthesized: every problem is a
 * line that names the field and says what is wrong, and a bad file stops
 * `cdk synth` before anything is written.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../lib/config/load.ts';
import { copyWithOwnResources, EXAMPLE_CONFIG_PATH, ROOT, rawExampleConfig } from '../support/config.ts';
import { BUNDLING_STACKS } from '../support/synth.ts';

type Json = Record<string, unknown>;

/** The example config with one change applied to a deep copy. */
function exampleWith(change: (config: { pipeline: Json; services: Json[] } & Json) => void): Json {
  const config = structuredClone(rawExampleConfig()) as { pipeline: Json; services: Json[] } & Json;
  change(config);
  return config;
}

function firstService(config: { services: Json[] }): Json {
  const service = config.services[0];
  if (!service) throw new Error('the example config has no service');
  return service;
}

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'baton-config-'));
}

describe('parseConfig', () => {
  it('accepts the example config', () => {
    expect(parseConfig(rawExampleConfig(), 'baton.config.json').services.map((s) => s.name)).toEqual(['web']);
  });

  it('names a missing productionListenerArn', () => {
    const config = exampleWith((c) => {
      delete firstService(c).productionListenerArn;
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[0].productionListenerArn: a web service needs the listener or rule whose weights decide its live colour (or set "kind": "worker" for a service without a load balancer)',
    ]);
  });

  it('accepts a worker: no listener, no target groups', () => {
    const config = exampleWith((c) => {
      const service = firstService(c);
      for (const field of ['productionListenerArn', 'testListenerArn', 'smokeTest']) delete service[field];
      Object.assign(service, { kind: 'worker', blue: { serviceName: 'web-blue' }, green: { serviceName: 'web-green' } });
    });

    const parsed = parseConfig(config, 'baton.config.json');

    expect(parsed.services[0]).toMatchObject({ kind: 'worker', blue: { serviceName: 'web-blue' }, green: { serviceName: 'web-green' } });
    expect(parsed.services[0]?.productionListenerArn).toBeUndefined();
  });

  it('names every load balancer field a worker cannot have, and the autoscaling and analysis it cannot use', () => {
    const config = exampleWith((c) => {
      Object.assign(firstService(c), { kind: 'worker', autoscaling: true, analysis: {} });
    });

    const worker = "a worker has no load balancer: its production is the colours' shares of running tasks";
    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      `services[0].productionListenerArn: ${worker}; remove productionListenerArn`,
      `services[0].testListenerArn: ${worker}; remove testListenerArn`,
      `services[0].blue.targetGroupArn: ${worker}; remove targetGroupArn`,
      `services[0].green.targetGroupArn: ${worker}; remove targetGroupArn`,
      `services[0].smokeTest: ${worker}; a smoke test needs a test listener`,
      `services[0].analysis.metrics: ${worker}; its analysis compares the colours on metrics it publishes per colour: name them (namespace, processed, failed)`,
      `services[0].autoscaling: ${worker}, which Baton moves by desired counts; an autoscaler changing those counts would move production behind its back`,
    ]);
  });

  it('judges a worker on the metrics it names, and asks for its duration metric before comparing latency', () => {
    const worker = (analysis: Json) =>
      exampleWith((c) => {
        const service = firstService(c);
        for (const field of ['productionListenerArn', 'testListenerArn', 'smokeTest']) delete service[field];
        Object.assign(service, { kind: 'worker', blue: { serviceName: 'web-blue' }, green: { serviceName: 'web-green' }, analysis });
      });
    const metrics = { namespace: 'Jobs', processed: 'JobsProcessed', failed: 'JobsFailed' };

    expect(parseConfig(worker({ metrics }), 'baton.config.json').services[0]?.analysis?.metrics).toEqual({
      ...metrics,
      dimension: 'ServiceName',
    });
    expect(problemsOf(() => parseConfig(worker({ metrics, latency: {} }), 'baton.config.json'))).toEqual([
      'services[0].analysis.metrics.duration: analysis.latency compares the time each unit of work took: name the metric that records it',
    ]);
  });

  it("refuses a worker's metrics on a web service, which is judged on its target groups", () => {
    const config = exampleWith((c) => {
      Object.assign(firstService(c), { analysis: { metrics: { namespace: 'Jobs', processed: 'JobsProcessed', failed: 'JobsFailed' } } });
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      "services[0].analysis.metrics: a web service is judged on its target groups' metrics; analysis.metrics is a worker's own",
    ]);
  });

  it('names a web service without its target groups, pointing at kind "worker"', () => {
    const config = exampleWith((c) => {
      Object.assign(firstService(c), { blue: { serviceName: 'web-blue' } });
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[0].blue.targetGroupArn: a web service needs the target group of each colour (or set "kind": "worker" for a service without a load balancer)',
    ]);
  });

  it('rejects an ECS ARN given as a target group ARN and shows the expected shape', () => {
    const config = exampleWith((c) => {
      (firstService(c).blue as Json).targetGroupArn = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web-blue';
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[0].blue.targetGroupArn: expected an ARN of the form arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex>',
    ]);
  });

  it('rejects a target group ARN given as the production listener', () => {
    const config = exampleWith((c) => {
      firstService(c).productionListenerArn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09';
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[0].productionListenerArn: expected an ARN of the form arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<alb>/<16 hex>/<16 hex> (or listener-rule/app/<alb>/<id>/<id>/<rule id>)',
    ]);
  });

  it('rejects a canary percent of 150', () => {
    const config = exampleWith((c) => {
      firstService(c).strategy = { type: 'canary', percent: 150, bakeSeconds: 300 };
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[0].strategy.percent: Too big: expected number to be <=99',
    ]);
  });

  it('names the second entry of a service listed twice', () => {
    const config = exampleWith((c) => {
      c.services.push(copyWithOwnResources(firstService(c), 'web', 'web-2'));
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[1].name: service "web" is listed twice; each service name must be unique',
    ]);
  });

  it('rejects dependsOn naming a service that is not in the config', () => {
    const config = exampleWith((c) => {
      firstService(c).dependsOn = ['api'];
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[0].dependsOn[0]: "api" is not a service in this config (known: web)',
    ]);
  });

  it('rejects a dependsOn cycle, naming the services around it', () => {
    const config = exampleWith((c) => {
      const web = firstService(c);
      c.services.push({ ...copyWithOwnResources(web, 'api'), dependsOn: ['worker'] });
      c.services.push({ ...copyWithOwnResources(web, 'worker'), dependsOn: ['web'] });
      web.dependsOn = ['api'];
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[0].dependsOn: dependency cycle: web -> api -> worker -> web; no order can deploy these services',
    ]);
  });

  it('accepts dependencies without a cycle', () => {
    const config = exampleWith((c) => {
      const web = firstService(c);
      c.services.push({ ...copyWithOwnResources(web, 'api'), dependsOn: [] });
      c.services.push({ ...copyWithOwnResources(web, 'worker'), dependsOn: ['api'] });
      web.dependsOn = ['api', 'worker'];
    });

    expect(parseConfig(config, 'baton.config.json').services.map((service) => [service.name, service.dependsOn])).toEqual([
      ['web', ['api', 'worker']],
      ['api', []],
      ['worker', ['api']],
    ]);
  });

  it('rejects a role ARN in another account', () => {
    const config = exampleWith((c) => {
      firstService(c).taskRoleArn = 'arn:aws:iam::210987654321:role/web-task';
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[0].taskRoleArn: ARN is in global/210987654321, but the pipeline is in eu-west-1/123456789012',
    ]);
  });

  it('rejects a secret ARN in another region', () => {
    const config = exampleWith((c) => {
      (firstService(c).appConfig as Json).secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:web/app-config-Xy12Ab';
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual([
      'services[0].appConfig.secretArn: ARN is in us-east-1/123456789012, but the pipeline is in eu-west-1/123456789012',
    ]);
  });

  it('rejects an unknown top-level field by name', () => {
    const config = exampleWith((c) => {
      c.colour = 'blue';
    });

    expect(problemsOf(() => parseConfig(config, 'baton.config.json'))).toEqual(['colour: unknown field']);
  });

  it('puts the file name and every problem in the error message', () => {
    const config = exampleWith((c) => {
      firstService(c).dependsOn = ['api'];
      c.colour = 'blue';
    });

    expect(() => parseConfig(config, 'configs/prod.json')).toThrow(
      'Invalid Baton config configs/prod.json:\n  - colour: unknown field\n  - services[0].dependsOn[0]: "api" is not a service in this config (known: web)',
    );
  });
});

describe('loadConfig', () => {
  it('loads the example config file', () => {
    expect(loadConfig(EXAMPLE_CONFIG_PATH).pipeline).toMatchObject({ name: 'baton', environment: 'production', region: 'eu-west-1' });
  });

  it('rejects a file that is not valid JSON', () => {
    const file = join(tempDir(), 'baton.config.json');
    writeFileSync(file, '{ "pipeline": { "name": "baton", } }');

    const problems = problemsOf(() => loadConfig(file));

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\(root\): not valid JSON: /);
  });

  it('rejects a file that does not exist and says how to pass another', () => {
    const file = join(tempDir(), 'missing.json');

    expect(problemsOf(() => loadConfig(file))).toEqual(['cannot read the file (ENOENT); pass another with -c config=<path>']);
    expect(() => loadConfig(file)).toThrow(`Invalid Baton config ${file}:`);
  });

  it('rejects a path that cannot be read as a file', () => {
    const directory = tempDir();

    expect(problemsOf(() => loadConfig(directory))).toEqual(['cannot read the file (EISDIR); pass another with -c config=<path>']);
  });
});

describe('the CDK app (bin/app.ts)', () => {
  /** Runs the app the way the cdk CLI does: context in CDK_CONTEXT_JSON, assembly into CDK_OUTDIR. */
  function runApp(context: Json, outdir: string): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
        cwd: ROOT,
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  it('fails synth on a bad config file, naming the field, and writes no template', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.config.json');
    writeFileSync(
      file,
      JSON.stringify(
        exampleWith((c) => {
          firstService(c).strategy = { type: 'canary', percent: 150, bakeSeconds: 300 };
        }),
      ),
    );
    const outdir = join(dir, 'cdk.out');

    const { code, stderr } = await runApp({ config: file }, outdir);

    expect(code).toBe(1);
    expect(stderr).toContain(`Invalid Baton config ${file}:`);
    expect(stderr).toContain('services[0].strategy.percent: Too big: expected number to be <=99');
    expect(existsSync(outdir) ? readdirSync(outdir).filter((f) => f.endsWith('.template.json')) : []).toEqual([]);
  });

  it('synthesizes the example config', async () => {
    const outdir = join(tempDir(), 'cdk.out');

    const { code, stderr } = await runApp({ config: EXAMPLE_CONFIG_PATH, [BUNDLING_STACKS]: [] }, outdir);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(readdirSync(outdir)).toContain('BatonProduction.template.json');
  });
});
