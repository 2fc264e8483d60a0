import { DescribeServicesCommand, ECSClient, type Service, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { countsFor, countWeights, notRunning, readCountWeights } from '../../../../../lambdas/shared/aws/worker-counts.ts';
import { setCountWeights, WORKER_POLL_SECONDS } from '../../../../../lambdas/shared/aws/worker-shift.ts';
import type { ServiceConfig } from '../../../../../lambdas/shared/config-schema.ts';
import { GateFailedError, ListenerSplitError, ResourceMissingError } from '../../../../../lambdas/shared/errors.ts';
import { rejectByDefault } from '../../../../support/aws.ts';
import { workerService } from '../../../../support/config.ts';
import { NOW } from '../../../../support/state.ts';

vi.mock('../../../../../lambdas/shared/time.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../../../lambdas/shared/time.ts')>()),
  sleep: (await import('../../../../support/sleep.ts')).sleepOnFakeClock,
}));

const jobs: ServiceConfig = workerService();
const TD = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/jobs:4';

/** One colour's ECS service as the account holds it; its tasks start `startAfter` looks after it is raised. */
interface Colour {
  desired: number;
  running: number;
  startAfter: number;
  looks: number;
}

describe('worker counts', () => {
  const ecsMock = mockClient(ECSClient);
  let colours: Record<string, Colour>;
  let order: string[];

  function described(name: string): Service {
    const colour = colours[name];
    if (!colour) throw new Error(`no ${name}`);
    return {
      serviceName: name,
      status: 'ACTIVE',
      desiredCount: colour.desired,
      runningCount: colour.running,
      deployments: [
        { status: 'PRIMARY', taskDefinition: TD, desiredCount: colour.desired, runningCount: colour.running, rolloutState: 'COMPLETED' },
      ],
    };
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(ecsMock);
    order = [];
    colours = {
      'jobs-blue': { desired: 4, running: 4, startAfter: 0, looks: 0 },
      'jobs-green': { desired: 0, running: 0, startAfter: 2, looks: 0 },
    };
    ecsMock.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => {
      for (const name of input.services) {
        const colour = colours[name];
        if (!colour) continue;
        colour.looks += 1;
        // Tasks start a few looks after a raise; a lowered colour stops them at once.
        if (colour.running < colour.desired && colour.looks > colour.startAfter) colour.running = colour.desired;
        if (colour.running > colour.desired) colour.running = colour.desired;
      }
      return { services: input.services.filter((name) => colours[name]).map(described), failures: [] };
    });
    ecsMock.on(UpdateServiceCommand).callsFake((input: { service: string; desiredCount: number }) => {
      const colour = colours[input.service];
      if (!colour) throw new Error(`no ${input.service}`);
      order.push(`${input.service}=${input.desiredCount}`);
      colour.desired = input.desiredCount;
      colour.looks = 0;
      return { service: described(input.service) };
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the split from the desired counts, any task being traffic', async () => {
    expect(await readCountWeights(jobs)).toEqual({ blue: 100, green: 0 });
    expect(countWeights(jobs, { blue: 3, green: 1 })).toEqual({ blue: 75, green: 25 });
    expect(countWeights(jobs, { blue: 199, green: 1 })).toEqual({ blue: 99, green: 1 });
    expect(countWeights(jobs, { blue: 1, green: 199 })).toEqual({ blue: 1, green: 99 });
  });

  it('refuses a worker with no task on either colour, naming both services', () => {
    expect(() => countWeights(jobs, { blue: 0, green: 0 })).toThrow(
      new ListenerSplitError('worker jobs runs no tasks on either colour (jobs-blue and jobs-green both at desired count 0)'),
    );
  });

  it('names a colour that ECS does not know', async () => {
    colours = { 'jobs-blue': { desired: 4, running: 4, startAfter: 0, looks: 0 } };
    await expect(readCountWeights(jobs)).rejects.toThrow(new ResourceMissingError('ECS service jobs-green not found in cluster prod'));
  });

  it.each([
    [{ blue: 100, green: 0 }, 4, { blue: 4, green: 0 }],
    [{ blue: 0, green: 100 }, 4, { blue: 0, green: 4 }],
    [{ blue: 75, green: 25 }, 4, { blue: 3, green: 1 }],
    [{ blue: 90, green: 10 }, 4, { blue: 3, green: 1 }],
    [{ blue: 10, green: 90 }, 4, { blue: 1, green: 3 }],
    [{ blue: 50, green: 50 }, 5, { blue: 2, green: 3 }],
    [{ blue: 0, green: 100 }, 1, { blue: 0, green: 1 }],
  ])('shares %o of %i tasks as %o', (weights, capacity, counts) => {
    expect(countsFor(weights, capacity)).toEqual(counts);
  });

  it('refuses a split of a single task', () => {
    expect(() => countsFor({ blue: 90, green: 10 }, 1)).toThrow(
      new GateFailedError('a split of blue 90 % / green 10 % needs at least 2 tasks; the worker runs 1'),
    );
  });

  it('raises the new colour, waits until its tasks run, and only then lowers the old one', async () => {
    await setCountWeights({
      service: jobs,
      weights: { blue: 75, green: 25 },
      capacity: 4,
      giveUpAt: Date.now() + 60_000,
      stopAt: Number.POSITIVE_INFINITY,
    });

    expect(order).toEqual(['jobs-green=1', 'jobs-blue=3']);
    expect(colours['jobs-green']).toMatchObject({ desired: 1, running: 1 });
    expect(colours['jobs-blue']?.desired).toBe(3);
    // Two looks before green's task ran, at WORKER_POLL_SECONDS each.
    expect(Date.now() - Date.parse(NOW)).toBe(2 * WORKER_POLL_SECONDS * 1000);
  });

  it('writes the same counts again without a change when they are already in place (a retry)', async () => {
    colours['jobs-blue'] = { desired: 3, running: 3, startAfter: 0, looks: 0 };
    colours['jobs-green'] = { desired: 1, running: 1, startAfter: 0, looks: 0 };

    await setCountWeights({
      service: jobs,
      weights: { blue: 75, green: 25 },
      capacity: 4,
      giveUpAt: Date.now() + 60_000,
      stopAt: Number.POSITIVE_INFINITY,
    });

    expect(order).toEqual([]);
  });

  it('keeps every task of the old colour when the raised tasks do not run in time', async () => {
    colours['jobs-green'] = { desired: 0, running: 0, startAfter: 1_000, looks: 0 };

    await expect(
      setCountWeights({
        service: jobs,
        weights: { blue: 0, green: 100 },
        capacity: 4,
        giveUpAt: Date.now() + 30_000,
        stopAt: Number.POSITIVE_INFINITY,
      }),
    ).rejects.toThrow(
      new GateFailedError('worker jobs: jobs-green runs 0/4 tasks after stabilityTimeoutSeconds (900 s); blue kept its tasks'),
    );

    expect(order).toEqual(['jobs-green=4']);
    expect(colours['jobs-blue']).toMatchObject({ desired: 4, running: 4 });
  });

  it('says it is waiting, the raise made and nothing lowered, when the invocation stops before the tasks run', async () => {
    colours['jobs-green'] = { desired: 0, running: 0, startAfter: 1_000, looks: 0 };

    const written = await setCountWeights({
      service: jobs,
      weights: { blue: 0, green: 100 },
      capacity: 4,
      giveUpAt: Date.now() + 900_000,
      stopAt: Date.now() + 20_000,
    });

    expect(written).toBe('waiting');
    expect(order).toEqual(['jobs-green=4']);
  });

  it('says why a colour does not run yet: too few tasks, a failed rollout, tasks of an earlier task definition', () => {
    const base: Service = { serviceName: 'jobs-green', desiredCount: 2, runningCount: 2 };
    expect(notRunning({ ...base, deployments: [{ status: 'PRIMARY', runningCount: 2, rolloutState: 'COMPLETED' }] })).toBeUndefined();
    expect(notRunning({ ...base, runningCount: 1, deployments: [{ status: 'PRIMARY', runningCount: 1 }] })).toBe(
      'jobs-green runs 1/2 tasks',
    );
    expect(
      notRunning({
        ...base,
        deployments: [{ status: 'PRIMARY', runningCount: 0, rolloutState: 'FAILED', rolloutStateReason: 'tasks failed' }],
      }),
    ).toBe('jobs-green: its ECS deployment failed (tasks failed)');
    expect(
      notRunning({
        ...base,
        deployments: [
          { status: 'PRIMARY', runningCount: 2 },
          { status: 'ACTIVE', runningCount: 1 },
        ],
      }),
    ).toBe('jobs-green still runs tasks of an earlier task definition');
  });
});
