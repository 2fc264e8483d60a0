/**
 * `baton init` of a worker (no load balancer) against the simulated account
 * of examples/worker: it finds the twin by its colour's name, writes a
 * config with "kind": "worker" that the schema and the stack accept, and
 * prints the twin service to create when there is none. Only read-only
 * calls reach the account.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import type { AccountSpec } from '../../sim/account/schema.ts';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { type Run, runCli } from '../support/cli.ts';
import { ROOT } from '../support/config.ts';
import { accountFile } from '../support/simulation.ts';
import { synth } from '../support/synth.ts';

const CONFIG_PATH = join(ROOT, 'examples', 'worker', 'baton.config.json');
let open: OpenSimulation | undefined;
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-init-worker-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  open?.close();
  open = undefined;
});

function account(edit: (raw: AccountSpec) => void = () => {}): AccountSpec {
  const raw = accountFile('examples/worker/sim-account.json');
  edit(raw);
  return raw;
}

async function simulation(spec: AccountSpec): Promise<OpenSimulation> {
  open = await openSimulation({ config: loadConfig(CONFIG_PATH), account: spec, input: {}, approval: 'external' });
  return open;
}

function init(...args: string[]): Promise<Run> {
  return runCli(CONFIG_PATH, ['init', ...args, '--region', 'eu-west-1']);
}

describe('baton init of a worker', () => {
  it('finds its twin by name and writes a worker config that validates and synthesizes', async () => {
    // Arrange
    const sim = await simulation(account());
    const file = join(dir, 'jobs.json');

    // Act
    const run = await init('jobs-blue', '--cluster', 'prod', '--out', file);

    // Assert
    expect(run.code).toBe(0);
    expect(run.out).toContain(`wrote ${file} (service "jobs", a worker)`);
    expect(run.out).toContain('  colour           blue; twin: jobs-green (0 tasks)\n');
    const written = JSON.parse(readFileSync(file, 'utf8')) as { services: Array<Record<string, unknown>> };
    expect(written.services).toEqual([
      {
        name: 'jobs',
        cluster: 'prod',
        kind: 'worker',
        blue: { serviceName: 'jobs-blue' },
        green: { serviceName: 'jobs-green' },
        taskDefinitionFamily: 'jobs',
        containerName: 'jobs',
        taskRoleArn: 'arn:aws:iam::123456789012:role/jobs-task',
        executionRoleArn: 'arn:aws:iam::123456789012:role/jobs-task-execution',
        ecr: { repositoryName: 'jobs' },
        alarms: [],
      },
    ]);
    expect(synth(loadConfig(file)).findings).toEqual([]);
    expect([...new Set(sim.simulation.apis.calls.map((call) => call.operation))].sort()).toEqual([
      'DescribeScalableTargets',
      'DescribeServices',
      'DescribeTaskDefinition',
    ]);
  }, 120_000);

  it('prints the twin service to create, with no load balancer, and writes nothing', async () => {
    // Arrange
    await simulation(
      account((raw) => {
        delete raw.ecs.clusters.prod?.services['jobs-green'];
      }),
    );
    const file = join(dir, 'no-twin.json');

    // Act
    const run = await init('jobs-blue', '--cluster', 'prod', '--out', file);

    // Assert
    expect(run.code).toBe(3);
    expect(existsSync(file)).toBe(false);
    expect(run.err).toBe(
      `baton: jobs-blue is not ready for Baton (missing the twin service jobs-green): ${file} not written; run baton init again once it is\n`,
    );
    expect(run.out).toContain(`AWS CLI:
aws ecs create-service --cluster prod --service-name jobs-green \\
  --task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/jobs:3 --desired-count 0 --launch-type FARGATE \\
  --deployment-controller type=ECS \\
  --network-configuration 'awsvpcConfiguration={subnets=[subnet-0a9b8c7d6e5f40312,subnet-0b1c2d3e4f5a60718],securityGroups=[sg-0d4e5f6a7b8c9d0e1],assignPublicIp=DISABLED}' \\
  --region eu-west-1
`);
  });

  it('refuses a pair whose colours both run tasks, naming them', async () => {
    // Arrange
    await simulation(
      account((raw) => {
        const green = raw.ecs.clusters.prod?.services['jobs-green'];
        if (green) green.desiredCount = 2;
      }),
    );
    const file = join(dir, 'split.json');

    // Act
    const run = await init('jobs-blue', '--cluster', 'prod', '--out', file);

    // Assert
    expect(run.code).toBe(3);
    expect(existsSync(file)).toBe(false);
    expect(run.out).toContain(
      'problem: jobs-blue and jobs-green both run tasks (4 and 2): a deployment starts from one colour, the other at 0',
    );
  });
});
