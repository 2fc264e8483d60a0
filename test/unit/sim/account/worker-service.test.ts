/**
 * A worker's ECS services in the simulated account (examples/worker: jobs-blue
 * runs 4 tasks of jobs:3, jobs-green is at 0, neither in a target group): its
 * tasks count once RUNNING, a rollout completes on running tasks alone, a
 * crashing image trips the circuit breaker, and the Lambda side's count
 * writes (lambdas/shared/aws/worker-shift.ts) keep the worker invariants.
 */
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeColours, notRunning, readCountWeights } from '../../../../lambdas/shared/aws/worker-counts.ts';
import { setCountWeights } from '../../../../lambdas/shared/aws/worker-shift.ts';
import { GateFailedError } from '../../../../lambdas/shared/errors.ts';
import { loadConfig } from '../../../../lib/config/load.ts';
import { SimulatedApis } from '../../../../sim/account/api.ts';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema } from '../../../../sim/account/schema.ts';
import { snapshotAccount } from '../../../../sim/account/writes.ts';
import { checkWrites } from '../../../../sim/write-invariants.ts';
import { ROOT } from '../../../support/config.ts';
import { accountFile } from '../../../support/simulation.ts';

vi.mock('../../../../lambdas/shared/time.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../../lambdas/shared/time.ts')>()),
  sleep: (await import('../../../support/sleep.ts')).sleepOnFakeClock,
}));

const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const config = loadConfig(`${ROOT}/examples/worker/baton.config.json`);
const [jobs] = config.services;
if (!jobs) throw new Error('examples/worker/baton.config.json has no service');
const JOBS_2 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/jobs:2';
const JOBS_3 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/jobs:3';
/** The image of jobs:2, which the tests deploy to green as "the new image". */
const NEW_IMAGE = 'dc9785f6a7aeb9801fbee9ce060ded839aec7cda8fd4d08afad7063aa75503a9';

let model: AccountModel;
let apis: SimulatedApis;
const ecs = new ECSClient({ region: 'eu-west-1' });

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['Date'] });
  model = new AccountModel(accountFile('examples/worker/sim-account.json'), T0);
  apis = new SimulatedApis(model);
  apis.install();
});

afterEach(() => {
  apis.uninstall();
  vi.useRealTimers();
});

/** Moves the virtual clock, and the account with it. */
function elapse(seconds: number): void {
  vi.setSystemTime(Date.now() + seconds * 1000);
  model.advanceTo(Date.now());
}

describe('a worker in the simulated account', () => {
  it('runs its tasks without a target group, and DescribeServices names no load balancer', async () => {
    // Act
    const described = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['jobs-blue'] }));

    // Assert
    expect(snapshotAccount(model).services['prod/jobs-blue']).toEqual({ taskDefinitionArn: JOBS_3, desiredCount: 4, running: 4, stale: 0 });
    expect(model.targets.size).toBe(0);
    expect(described.services?.[0]).toMatchObject({ loadBalancers: [], runningCount: 4, deployments: [{ rolloutState: 'COMPLETED' }] });
    expect(await readCountWeights(jobs, ecs)).toEqual({ blue: 100, green: 0 });
  });

  it('completes a rollout once the desired count of the new task definition runs (no health to wait for)', async () => {
    // Arrange: the deploy gives green the new task definition at 0 tasks.
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'jobs-green', taskDefinition: 'jobs:3', desiredCount: 0 }));
    elapse(1);

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'jobs-green', desiredCount: 2 }));
    elapse(10);
    const starting = (await describeColours(jobs, ecs)).green;
    elapse(model.taskStartSeconds);
    const running = (await describeColours(jobs, ecs)).green;

    // Assert
    expect(notRunning(starting)).toBe('jobs-green runs 0/2 tasks');
    expect(notRunning(running)).toBeUndefined();
    expect(running.deployments).toMatchObject([{ status: 'PRIMARY', taskDefinition: JOBS_3, rolloutState: 'COMPLETED', runningCount: 2 }]);
    expect(model.service('prod', 'jobs-green')?.events[0]?.message).toBe('(service jobs-green) has reached a steady state.');
  });

  it('writes itself back as an account file without target groups', () => {
    const spec = AccountSchema.parse(model.toSpec());
    expect(spec.ecs.clusters.prod?.services['jobs-blue']).toEqual({ taskDefinition: 'jobs:3', desiredCount: 4 });
  });

  it('moves a canary step by counts: green raised and running before blue is lowered, every write within the invariants', async () => {
    // Arrange
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'jobs-green', taskDefinition: 'jobs:3', desiredCount: 0 }));
    elapse(1);

    // Act
    await setCountWeights(
      { service: jobs, weights: { blue: 75, green: 25 }, capacity: 4, giveUpAt: Date.now() + 120_000, stopAt: Number.POSITIVE_INFINITY },
      ecs,
    );
    const step = await readCountWeights(jobs, ecs);
    await setCountWeights(
      { service: jobs, weights: { blue: 0, green: 100 }, capacity: 4, giveUpAt: Date.now() + 120_000, stopAt: Number.POSITIVE_INFINITY },
      ecs,
    );
    elapse(1);

    // Assert
    expect(step).toEqual({ blue: 75, green: 25 });
    expect(await readCountWeights(jobs, ecs)).toEqual({ blue: 0, green: 100 });
    expect(apis.writes.map((write) => (write.kind === 'service' ? `${write.service} ${String(write.desiredCount)}` : write.kind))).toEqual([
      'prod/jobs-green 0',
      'prod/jobs-green 1',
      'prod/jobs-blue 3',
      'prod/jobs-green 4',
      'prod/jobs-blue 0',
    ]);
    expect(checkWrites(config, { start: apis.start, writes: apis.writes, initialRecords: new Map(), end: snapshotAccount(model) })).toEqual(
      [],
    );
  });

  it('keeps every task of the old colour when the new colour never starts its tasks', async () => {
    // Arrange: green runs jobs:2, whose tasks never reach RUNNING.
    model.hooks.behaviourOf = (image, behaviour) => (image.endsWith(NEW_IMAGE) ? 'never-starts' : behaviour);

    // Act
    const write = setCountWeights(
      { service: jobs, weights: { blue: 75, green: 25 }, capacity: 4, giveUpAt: Date.now() + 120_000, stopAt: Number.POSITIVE_INFINITY },
      ecs,
    );

    // Assert
    await expect(write).rejects.toBeInstanceOf(GateFailedError);
    expect(await describeColours(jobs, ecs)).toMatchObject({
      blue: { desiredCount: 4, runningCount: 4 },
      green: { desiredCount: 1, runningCount: 0 },
    });
    expect(checkWrites(config, { start: apis.start, writes: apis.writes, initialRecords: new Map(), end: snapshotAccount(model) })).toEqual(
      [],
    );
  });

  it("crash-loops the new colour's tasks that exit after starting: its rollout completed as they ran, so the breaker stays off", async () => {
    // Arrange: green runs jobs:2, whose tasks exit 5 s after starting (as green-tasks-crash makes the new image do).
    model.hooks.behaviourOf = (image, behaviour) => (image.endsWith(NEW_IMAGE) ? 'crash' : behaviour);

    // Act: the step sees green's task running, and lowers blue then (verified at that moment).
    await setCountWeights(
      { service: jobs, weights: { blue: 75, green: 25 }, capacity: 4, giveUpAt: Date.now() + 120_000, stopAt: Number.POSITIVE_INFINITY },
      ecs,
    );
    elapse(120);
    const colours = await describeColours(jobs, ecs);

    // Assert: what the gates see is the stopped tasks and a colour short of its count, not a FAILED rollout.
    const stopped = model.tasks.filter((task) => task.serviceName === 'jobs-green' && task.lastStatus === 'STOPPED');
    expect(stopped.length).toBeGreaterThanOrEqual(4);
    expect(new Set(stopped.map((task) => task.stopCode))).toEqual(new Set(['EssentialContainerExited']));
    expect(colours.green.deployments?.[0]).toMatchObject({ taskDefinition: JOBS_2, rolloutState: 'COMPLETED' });
    expect(colours.green.events?.map((event) => event.message)).toContainEqual(
      expect.stringMatching(/has stopped 1 running tasks: \(task .+\)\. Reason: Essential container in task exited/),
    );
    expect(colours.blue).toMatchObject({ desiredCount: 3, runningCount: 3 });
    expect(checkWrites(config, { start: apis.start, writes: apis.writes, initialRecords: new Map(), end: snapshotAccount(model) })).toEqual(
      [],
    );
  });
});
