/**
 * Review of workers (issue 19 item 4): defects found, each proven by a run of
 * examples/worker on the real state machine and bundles (run() checks every
 * invariant, the worker rules of sim/write-invariants.ts included).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import { type SimulationResult, simulate } from '../../sim/harness.ts';
import { modelWeights } from '../../sim/production.ts';
import { accountFile, NEW_TAG, record, runWith } from '../support/simulation.ts';

const CONFIG = loadConfig('examples/worker/baton.config.json');
const ACCOUNT_PATH = 'examples/worker/sim-account.json';
const INPUT = { service: 'jobs', imageTag: NEW_TAG };
const JOBS = CONFIG.services[0];

function blueWrites(result: SimulationResult): string[] {
  return result.apis.calls
    .filter((call) => call.operation === 'UpdateService' && !call.error)
    .map((call) => ({ ...(call.input as { service: string; desiredCount?: number }), state: call.state }))
    .filter((input) => input.service === 'jobs-blue')
    .map((input) => `${input.state} jobs-blue=${input.desiredCount}`);
}

describe('a worker whose alarm fires while the raised tasks start', () => {
  it('does not lower the old colour: the alarm is a gate before the old colour gives up its tasks', async () => {
    // Act: the queue alarm enters ALARM as the 100 % step raises jobs-green to 4 (its tasks take 20 s to start).
    const result = await runWith({ config: CONFIG, account: accountFile(ACCOUNT_PATH), input: INPUT }, (ctx) => {
      ctx.interceptors.push((_service, operation, input) => {
        const update = input as { service?: string; desiredCount?: number };
        if (operation === 'UpdateService' && update.service === 'jobs-green' && update.desiredCount === 4) {
          ctx.setAlarm(
            0,
            'ALARM',
            'Threshold Crossed: 1 datapoint [14.2] was greater than the threshold (5.0).',
            ctx.model.now - ctx.alarmEvaluationMs(0),
          );
        }
      });
    });

    // Assert
    expect(record(result)).toMatchObject({ status: 'ROLLED_BACK' });
    expect(String(record(result)?.outcomeReason)).toMatch(
      /^GateFailedError: gate failed before blue gave up its tasks to green at 100 % \(at 25 %\): alarm jobs-queue-age entered ALARM at /,
    );
    if (!JOBS) throw new Error('no service');
    expect(modelWeights(result.model, JOBS)).toEqual({ blue: 100, green: 0 });
    // Blue lowered once, to 3 at the canary; raised back to 4 by the rollback; never to 0.
    expect(blueWrites(result)).toEqual(['Shift traffic jobs-blue=3', 'Roll back jobs-blue=4']);
  });
});

describe('a worker of 3 tasks going linear by 25 %', () => {
  it("records the split its tasks make at each step, as baton status reads it, not the plan's percent", async () => {
    // Arrange: jobs-blue runs 3 tasks; 25, 50, 75 then 100 % of 3 tasks are 1, 2 (1.5 rounded), 2 (capped: blue keeps 1), 3.
    const account = accountFile(ACCOUNT_PATH);
    const blue = account.ecs.clusters.prod?.services['jobs-blue'];
    if (blue) blue.desiredCount = 3;
    if (!JOBS) throw new Error('no service');
    const config = {
      ...CONFIG,
      services: [{ ...JOBS, strategy: { type: 'linear' as const, stepPercent: 25, intervalSeconds: 60 } }],
    } as typeof CONFIG;

    // Act
    const result = await runWith({ config, account, input: INPUT }, () => {});

    // Assert
    expect(record(result)).toMatchObject({ status: 'SUCCEEDED' });
    const changes = (record(result)?.weightChanges ?? []) as Array<{ blue: number; green: number; step: number }>;
    expect(changes.map(({ blue, green, step }) => ({ blue, green, step }))).toEqual([
      { blue: 67, green: 33, step: 1 },
      { blue: 33, green: 67, step: 2 },
      { blue: 33, green: 67, step: 3 },
      { blue: 0, green: 100, step: 4 },
    ]);
  });
});

describe('a worker whose rollback fails', () => {
  it('tells the operator to check its desired counts, not a listener it does not have', async () => {
    // Act: the queue alarm rolls the bake back, and the rollback may not call UpdateService.
    const result = await runWith(
      {
        config: CONFIG,
        account: accountFile(ACCOUNT_PATH),
        input: INPUT,
        faults: ['alarm-during-bake', 'deny:ecs:UpdateService@rollback'],
      },
      () => {},
    );

    // Assert
    expect(record(result)).toMatchObject({ status: 'ROLLBACK_FAILED' });
    const reason = String(record(result)?.outcomeReason);
    expect(reason).not.toContain('listener');
    expect(reason).toMatch(/\. Production traffic needs a human: check the desired counts of jobs-blue and jobs-green \(worker jobs\)\.$/);
  });
});

describe('the faults timed from when traffic first moves, aimed at a worker', () => {
  it.each([
    // The metric breaches 45 s after the raise; its 2 evaluation periods end after the canary: the 100 % step's gate.
    [
      'alarm-during-shift',
      /^GateFailedError: gate failed before blue gave up its tasks to green at 100 % \(at 25 %\): alarm jobs-queue-age is ALARM \(Threshold Crossed: 2 datapoints/,
    ],
    [
      'alarm-during-hold',
      /^GateFailedError: gate failed before blue gave up its tasks to green at 25 % \(at 0 %\): alarm jobs-queue-age entered ALARM at /,
    ],
  ])('%s happens, from the raise of the new colour (its tasks take work as they start), and rolls back', async (fault, reason) => {
    // Act
    const result = await runWith({ config: CONFIG, account: accountFile(ACCOUNT_PATH), input: INPUT, faults: [fault] }, () => {});

    // Assert
    expect(record(result)).toMatchObject({ status: 'ROLLED_BACK' });
    expect(String(record(result)?.outcomeReason)).toMatch(reason);
    if (!JOBS) throw new Error('no service');
    expect(modelWeights(result.model, JOBS)).toEqual({ blue: 100, green: 0 });
  });
});

describe("a worker's old colour before it is retired", () => {
  it('is said to be at 0 tasks when the last gate fails in Complete, not to be kept running', async () => {
    // Act: the queue alarm is in ALARM (for its evaluation periods already) as Complete starts.
    const result = await runWith({ config: CONFIG, account: accountFile(ACCOUNT_PATH), input: INPUT }, (ctx) => {
      let done = false;
      ctx.onStateEntered.push((state) => {
        if (state !== 'Complete deployment' || done) return;
        done = true;
        ctx.setAlarm(
          0,
          'ALARM',
          'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
          ctx.model.now - ctx.alarmEvaluationMs(0),
        );
      });
    });

    // Assert
    const reason = String(record(result)?.outcomeReason);
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(reason).toMatch(/^GateFailedError: gate failed before retiring blue \(green at 100 %\): alarm jobs-queue-age is ALARM/);
    expect(reason).toMatch(/\. blue is at 0 tasks, on the task definition it ran: the rollback starts them again\.$/);
  });

  it('is said to be at 0 tasks when a gate fails, not to run (the rollback starts its tasks again)', async () => {
    // Act
    const result = await runWith(
      { config: CONFIG, account: accountFile(ACCOUNT_PATH), input: INPUT, faults: ['alarm-before-retire'] },
      () => {},
    );

    // Assert
    const reason = String(record(result)?.outcomeReason);
    expect(reason).toMatch(/^GateFailedError: gate failed before retiring blue \(green at 100 %\): alarm jobs-queue-age entered ALARM/);
    expect(reason).not.toContain('still runs');
    expect(reason).toMatch(/\. blue is at 0 tasks, on the task definition it ran: the rollback starts them again\.$/);
  });
});

describe("a worker's step that waits for baton promote, reached by a raise spanning invocations", () => {
  it('announces the wait, so the operator can promote it', async () => {
    // Arrange: tasks take 1000 s to start, longer than one invocation of Shift traffic; the canary waits for promote.
    const account = accountFile(ACCOUNT_PATH);
    account.taskStartSeconds = 1000;
    if (!JOBS) throw new Error('no service');
    const steps = [
      { weight: 25, pause: 'approval' as const, timeoutSeconds: 3600, onTimeout: 'rollback' as const },
      { weight: 100, pauseSeconds: 0 },
    ];
    const config = {
      ...CONFIG,
      services: [{ ...JOBS, stabilityTimeoutSeconds: 3600, strategy: { type: 'steps' as const, steps } }],
    } as typeof CONFIG;

    // Act: the operator promotes 30 s into each announced wait.
    const result = await runWith({ config, account, input: INPUT, promote: { afterSeconds: 30 } }, () => {});

    // Assert
    expect(record(result)?.outcomeReason).toBe('v1.4.2 live on green (jobs-green) after a 300 s bake');
    expect(record(result)?.promotions).toEqual([expect.objectContaining({ step: 1, weight: 25, full: false })]);
  });
});

describe('a release whose worker raises its tasks across invocations of Shift traffic together', () => {
  it('waits on, and succeeds (its Choice read a release state without traffic: States.Runtime)', async () => {
    // Arrange: examples/worker-release, tasks taking 1000 s to start (longer than one invocation).
    const config = loadConfig('examples/worker-release/baton.config.json');
    const slowConfig = {
      ...config,
      services: config.services.map((service) => ({ ...service, stabilityTimeoutSeconds: 3600 })),
    } as typeof config;
    const account = accountFile('examples/worker-release/sim-account.json');
    account.taskStartSeconds = 1000;
    const release = JSON.parse(readFileSync('examples/worker-release/release.json', 'utf8')) as Record<string, unknown>;

    // Act
    const result = await runWith({ config: slowConfig, account, input: release }, () => {});

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.others).toEqual([]);
    for (const name of ['web', 'jobs'])
      expect(result.model.table.get(`DEPLOYMENT#deploy-1-${name}|RECORD`)).toMatchObject({ status: 'SUCCEEDED' });
  });
});

/** Everything of `jobs` in `value`, as a second worker `mail`: its services, task definitions, repository and alarm. */
function asMail<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('jobs', 'mail')) as T;
}

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('examples/worker-release/sim-account.json lacks a part of jobs');
  return value;
}

describe('a release of two workers moved together, their tasks slow to start', () => {
  it('keeps both at the same step: the one raised first waits for the other, and the canary holds from the later', async () => {
    // Arrange: jobs (examples/worker-release) and a copy of it, mail; tasks take 1000 s to start (longer than an
    // invocation), so each worker's raise spans invocations and the two finish a step in different invocations.
    const base = loadConfig('examples/worker-release/baton.config.json');
    const jobs = base.services.find((service) => service.name === 'jobs');
    if (!jobs) throw new Error('no jobs');
    const slow = { ...jobs, stabilityTimeoutSeconds: 3600, dependsOn: [] };
    const config = { ...base, services: [slow, asMail(slow)] } as typeof base;
    const account = accountFile('examples/worker-release/sim-account.json');
    account.taskStartSeconds = 1000;
    const services = account.ecs.clusters.prod?.services ?? {};
    for (const colour of ['blue', 'green']) services[`mail-${colour}`] = asMail(must(services[`jobs-${colour}`]));
    const ofJobs = account.ecs.taskDefinitions.filter((definition) => definition.family === 'jobs');
    account.ecs.taskDefinitions.push(...ofJobs.map(asMail));
    account.ecr.repositories.mail = asMail(must(account.ecr.repositories.jobs));
    account.cloudwatch.alarms['mail-queue-age'] = asMail(must(account.cloudwatch.alarms['jobs-queue-age']));
    const input = {
      release: '2026-12-05.1',
      services: { jobs: { imageTag: NEW_TAG }, mail: { imageTag: NEW_TAG } },
      shift: 'together',
      strategy: { type: 'canary', percent: 25, bakeSeconds: 120 },
    };

    // Act
    const result = await runWith({ config, account, input }, () => {});

    // Assert: jobs is raised to 4 (the 100 % step) only once mail runs its canary too, and 120 s after.
    expect(result.main.status).toBe('SUCCEEDED');
    const start = result.main.startDate;
    const moves = result.apis.calls
      .filter((call) => call.state === 'Shift traffic together' && call.operation === 'UpdateService' && !call.error)
      .map((call) => {
        const update = call.input as { service: string; desiredCount: number };
        return `+${Math.round((call.at - start) / 1000)} s ${update.service}=${update.desiredCount}`;
      });
    expect(moves).toEqual([
      '+15 s jobs-green=1',
      '+1020 s jobs-blue=3',
      '+1020 s mail-green=1',
      '+2025 s mail-blue=3',
      '+2145 s jobs-green=4',
      '+3150 s jobs-blue=0',
      '+3150 s mail-green=4',
      '+4155 s mail-blue=0',
    ]);
  });
});

describe("a worker's rollback whose old tasks no longer start", () => {
  /** The queue alarm fires in the bake; from the bake on, the old image's tasks never start. */
  const stuck = () =>
    simulate({
      config: CONFIG,
      account: AccountSchema.parse(accountFile(ACCOUNT_PATH)),
      input: INPUT,
      faults: ['alarm-during-bake'],
      setup: (ctx) => {
        ctx.onStateEntered.push((state) => {
          if (state !== 'Check bake') return;
          ctx.model.hooks.behaviourOf = (image, behaviour) => (ctx.isNewImage(image) ? behaviour : 'never-starts');
        });
      },
    });

  it('fails naming the tasks, not targets a worker has not, and keeps the new colour doing the work', async () => {
    // Act
    const result = await stuck();

    // Assert
    expect(record(result)?.status).toBe('ROLLBACK_FAILED');
    const reason = String(record(result)?.outcomeReason);
    expect(reason).toMatch(
      /failed: RollbackFailedError: cannot move traffic back: blue runs 0\/4 tasks at \S+; green keeps its tasks, and blue is back at the desired count it had\. Production traffic needs a human: check the desired counts of jobs-blue and jobs-green \(worker jobs\)\.$/,
    );
    // Raised, and, its tasks never starting, back to 0 as each attempt gave up: between attempts production reads
    // 100 % green, the colour doing the work, as the ROLLBACK_FAILED record says.
    expect(blueWrites(result).slice(0, 4)).toEqual([
      'Shift traffic jobs-blue=3',
      'Shift traffic jobs-blue=0',
      'Roll back jobs-blue=4',
      'Roll back jobs-blue=0',
    ]);
    expect(result.model.services.get('prod/jobs-green')?.desiredCount).toBe(4);
  });

  it.todo(
    'leaves production as the invariants read it when the execution times out during a later attempt of the failed ' +
      'rollback: that attempt has raised blue again, so the desired counts read blue 50 % / green 50 % while blue runs no task ' +
      '(sim/invariants.ts: "production left split"); the end-of-run check or the attempt needs to account for it',
  );
});
