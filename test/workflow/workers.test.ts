/**
 * Issue 19, item 4: a worker (services[].kind "worker": no load balancer)
 * goes blue/green by its colours' ECS desired counts, on the real state
 * machine and bundles. examples/worker: jobs-blue runs 4 tasks of jobs:3,
 * jobs-green is at 0; a canary of 25 % for 120 s, then a 300 s bake; the
 * alarm jobs-queue-age gates it. run() checks every invariant after each
 * run, the worker rules included (sim/write-invariants.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planLines } from '../../cli/dry-run.ts';
import { PlanSchema } from '../../lambdas/shared/contract.ts';
import { loadConfig } from '../../lib/config/load.ts';
import type { AccountSpec } from '../../sim/account/schema.ts';
import type { SimulationResult } from '../../sim/harness.ts';
import { modelWeights } from '../../sim/production.ts';
import {
  accountFile,
  BAKE_LOOP,
  NEW_TAG,
  REJECTED,
  ROLLED_BACK,
  record,
  run,
  SCALE_DOWN_LOOP,
  START,
  VERIFIED,
} from '../support/simulation.ts';

const CONFIG = loadConfig('examples/worker/baton.config.json');
const ACCOUNT_PATH = 'examples/worker/sim-account.json';
const INPUT = { service: 'jobs', imageTag: NEW_TAG };
const JOBS = CONFIG.services[0];
const SHIFT = ['Shift traffic', 'Is traffic fully shifted?'];
/** From the request to the canary's step: the new colour verified at 0 tasks, then its first share raised. */
const AT_CANARY = [...VERIFIED, ...SHIFT];

function account(edit: (raw: AccountSpec) => void = () => {}): AccountSpec {
  const raw = accountFile(ACCOUNT_PATH);
  edit(raw);
  return raw;
}

/** Each UpdateService of the run, in order: seconds from the start, the state, the service and what it set. */
function updates(result: SimulationResult): string[] {
  const start = result.main.startDate;
  return result.apis.calls
    .filter((call) => call.operation === 'UpdateService' && !call.error)
    .map((call) => {
      const input = call.input as { service: string; desiredCount?: number; taskDefinition?: string };
      const definition = input.taskDefinition ? ` on ${input.taskDefinition.split('/').pop()}` : '';
      return `+${Math.round((call.at - start) / 1000)} s ${call.state} ${input.service}=${input.desiredCount}${definition}`;
    });
}

/** Each colour's desired count and running tasks as the run ended. */
function counts(result: SimulationResult): Record<string, string> {
  return Object.fromEntries(
    ['jobs-blue', 'jobs-green'].map((name) => {
      const service = result.model.services.get(`prod/${name}`);
      const running = result.model.tasks.filter((task) => task.serviceName === name && task.lastStatus === 'RUNNING').length;
      return [name, `${running}/${service?.desiredCount ?? '?'} on ${service?.taskDefinitionArn.split('/').pop()}`];
    }),
  );
}

describe('a worker', () => {
  if (!JOBS) throw new Error('examples/worker has no service');

  it('moves its tasks to the new colour step by step, each lowering of the old colour after the raised tasks run', async () => {
    // Act
    const result = await run({ config: CONFIG, account: account(), input: INPUT });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.executionPath).toEqual([
      ...AT_CANARY,
      ...SHIFT,
      ...BAKE_LOOP,
      ...SCALE_DOWN_LOOP,
      'Complete deployment',
      'Deployment succeeded',
    ]);
    // Deploy: the release at 0 tasks. The canary: 1 task raised, blue lowered once it ran (20 s to start, seen at the
    // next 5 s look). 100 %: the other 3 raised, blue to 0 once they ran. Complete finds blue at 0 already.
    expect(updates(result)).toEqual([
      '+0 s Deploy new colour jobs-green=0 on jobs:4',
      '+15 s Shift traffic jobs-green=1',
      '+40 s Shift traffic jobs-blue=3',
      '+160 s Shift traffic jobs-green=4',
      '+185 s Shift traffic jobs-blue=0',
      '+785 s Complete deployment jobs-blue=0',
    ]);
    expect(modelWeights(result.model, JOBS)).toEqual({ blue: 0, green: 100 });
    expect(counts(result)).toEqual({ 'jobs-blue': '0/0 on jobs:3', 'jobs-green': '4/4 on jobs:4' });
    expect(record(result)).toMatchObject({ status: 'SUCCEEDED', liveColour: 'blue', targetColour: 'green' });
    // The weight history: one write per step, in the counts' shares.
    expect(
      ((record(result)?.weightChanges ?? []) as Array<Record<string, unknown>>).map(({ blue, green, phase }) => ({ blue, green, phase })),
    ).toEqual([
      { blue: 75, green: 25, phase: 'shiftTraffic' },
      { blue: 0, green: 100, phase: 'shiftTraffic' },
    ]);
  });

  it('rolls back when a task of the new colour stops during the canary: blue back to 4 before green goes to 0', async () => {
    // Act
    const result = await run({ config: CONFIG, account: account(), input: INPUT, faults: ['green-tasks-crash'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.executionPath.slice(0, AT_CANARY.length)).toEqual(AT_CANARY);
    expect(result.main.executionPath.slice(-ROLLED_BACK.length)).toEqual(ROLLED_BACK);
    const writes = updates(result);
    const blueBack = writes.findIndex((line) => line.includes('Roll back jobs-blue=4'));
    const greenOut = writes.findIndex((line) => line.includes('Roll back jobs-green=0'));
    expect(blueBack).toBeGreaterThan(-1);
    expect(greenOut).toBeGreaterThan(blueBack);
    expect(modelWeights(result.model, JOBS)).toEqual({ blue: 100, green: 0 });
    expect(counts(result)['jobs-blue']).toBe('4/4 on jobs:3');
    expect(record(result)).toMatchObject({ status: 'ROLLED_BACK' });
    expect(String(record(result)?.outcomeReason)).toMatch(
      /^GateFailedError: gate failed while holding green at 25 %: task \w+ of jobs-green stopped/,
    );
  });

  it('rolls back when its queue alarm fires in the bake: the old colour runs 4 tasks again before the new one stops', async () => {
    // Act
    const result = await run({ config: CONFIG, account: account(), input: INPUT, faults: ['alarm-during-bake'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.executionPath.slice(-ROLLED_BACK.length)).toEqual(ROLLED_BACK);
    const rollback = updates(result).filter((line) => line.includes(' Roll back '));
    // Blue raised; green to 0 once blue runs its 4 tasks; then green back on the task definition it ran before.
    expect(rollback.map((line) => line.replace(/^\+\d+ s /, ''))).toEqual([
      'Roll back jobs-blue=4',
      'Roll back jobs-green=0',
      'Roll back jobs-green=0 on jobs:2',
    ]);
    expect(modelWeights(result.model, JOBS)).toEqual({ blue: 100, green: 0 });
    // Green's tasks were told to stop as the run ended; they stop as ECS stops tasks, not at once.
    expect(counts(result)['jobs-blue']).toBe('4/4 on jobs:3');
    expect(counts(result)['jobs-green']).toMatch(/^\d\/0 on jobs:2$/);
    expect(String(record(result)?.outcomeReason)).toMatch(
      /^GateFailedError: gate failed during the bake of green at 100 %: alarm jobs-queue-age is ALARM/,
    );
  });

  it('waits for slow tasks across invocations, counting stabilityTimeoutSeconds from the raise', async () => {
    // Arrange: tasks take 1000 s to start, longer than one invocation of Shift traffic (900 s, 30 s kept back).
    const slow = account((raw) => {
      raw.taskStartSeconds = 1000;
    });
    const [jobs] = CONFIG.services;
    const config = { ...CONFIG, services: [{ ...jobs, stabilityTimeoutSeconds: 3600 }] } as typeof CONFIG;

    // Act
    const result = await run({ config, account: slow, input: INPUT });

    // Assert: the canary's step took two invocations; blue was lowered only once green's task ran.
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.executionPath.slice(0, AT_CANARY.length + SHIFT.length)).toEqual([...AT_CANARY, ...SHIFT]);
    expect(updates(result).slice(0, 3)).toEqual([
      '+0 s Deploy new colour jobs-green=0 on jobs:4',
      '+15 s Shift traffic jobs-green=1',
      '+1020 s Shift traffic jobs-blue=3',
    ]);
  });

  it('rolls back when the raised tasks never run, the old colour never lowered', async () => {
    // Act
    const result = await run({ config: CONFIG, account: account(), input: INPUT, faults: ['green-never-stable'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.executionPath.slice(-ROLLED_BACK.length)).toEqual(ROLLED_BACK);
    expect(updates(result).filter((line) => line.includes('jobs-blue'))).toEqual([]);
    expect(counts(result)['jobs-blue']).toBe('4/4 on jobs:3');
    expect(String(record(result)?.outcomeReason)).toBe(
      'GateFailedError: worker jobs: jobs-green runs 0/1 tasks after stabilityTimeoutSeconds (900 s); blue kept its tasks',
    );
  });

  it.each([
    ['Shift traffic', 'the canary'],
    ['Check bake', 'the bake, the old colour at 0 tasks'],
  ])('stopped at %s (%s), is rolled back by the backstop: blue runs 4 tasks again', async (state) => {
    // Act
    const result = await run({ config: CONFIG, account: account(), input: INPUT, abortAt: state });

    // Assert
    expect(record(result)).toMatchObject({
      status: 'ROLLED_BACK',
      outcomeReason: 'ExecutionAborted: execution deploy-1 ended ABORTED (States.Aborted: Execution aborted)',
    });
    expect(modelWeights(result.model, JOBS)).toEqual({ blue: 100, green: 0 });
    expect(counts(result)['jobs-blue']).toBe('4/4 on jobs:3');
    expect(result.model.services.get('prod/jobs-green')?.desiredCount).toBe(0);
  });

  it('plans a dry run in tasks: each step says how many of the 4 the new colour runs, and nothing changes', async () => {
    // Act
    const result = await run({ config: CONFIG, account: account(), input: { ...INPUT, dryRun: true } });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(updates(result)).toEqual([]);
    const plan = PlanSchema.parse(result.main.output);
    expect(plan.tasks).toBe(4);
    expect(planLines(plan).details.at(-1)).toBe('traffic 25 % (1 of 4 tasks) -> 100 % (4 of 4 tasks), bake 300 s');
  });

  it('warns of a step that moves no task: 75 % of 3 tasks is 2, as 50 % was', async () => {
    // Arrange
    const three = account((raw) => {
      const blue = raw.ecs.clusters.prod?.services['jobs-blue'];
      if (blue) blue.desiredCount = 3;
    });
    const [jobs] = CONFIG.services;
    const config = {
      ...CONFIG,
      services: [{ ...jobs, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 60 } }],
    } as typeof CONFIG;

    // Act
    const result = await run({ config, account: three, input: INPUT });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(record(result)?.warnings).toEqual([
      'strategy: the step at 75 % puts 2 of 3 tasks on jobs-green, as the step before it did: it moves nothing and only holds longer',
    ]);
    expect(
      updates(result)
        .filter((line) => line.includes('Shift traffic'))
        .map((line) => line.replace(/^\+\d+ s /, '')),
    ).toEqual([
      'Shift traffic jobs-green=1',
      'Shift traffic jobs-blue=2',
      'Shift traffic jobs-green=2',
      'Shift traffic jobs-blue=1',
      'Shift traffic jobs-green=3',
      'Shift traffic jobs-blue=0',
    ]);
  });

  it('refuses a canary for a worker that runs 1 task, naming the strategy, before any change', async () => {
    // Arrange
    const single = account((raw) => {
      const blue = raw.ecs.clusters.prod?.services['jobs-blue'];
      if (blue) blue.desiredCount = 1;
    });

    // Act
    const result = await run({ config: CONFIG, account: single, input: INPUT });

    // Assert
    expect(result.main.executionPath).toEqual([...START.slice(0, START.indexOf('Validate') + 1), 'Validate failed', ...REJECTED]);
    expect(updates(result)).toEqual([]);
    expect(record(result)).toMatchObject({
      status: 'REJECTED',
      outcomeReason:
        'InvalidInputError: strategy: worker jobs runs 1 task on jobs-blue; a step at 25 % puts at least one task on each colour and needs 2 or more (scale jobs-blue up, or deploy all-at-once)',
    });
  });
});

describe('a release of a web service and a worker (examples/worker-release)', () => {
  const config = loadConfig('examples/worker-release/baton.config.json');
  const both = () => accountFile('examples/worker-release/sim-account.json');
  const RELEASE = JSON.parse(readFileSync('examples/worker-release/release.json', 'utf8')) as Record<string, unknown>;
  const [webOf, jobsOf] = config.services;

  it('moves both at the same steps with shift "together": the worker raised and lowered first, then the listener', async () => {
    // Act
    const result = await run({
      config,
      account: both(),
      input: RELEASE,
    });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    const start = result.main.startDate;
    const moves = result.apis.calls
      .filter(
        (call) => call.state === 'Shift traffic together' && !call.error && ['UpdateService', 'ModifyListener'].includes(call.operation),
      )
      .map((call) => {
        const input = call.input as {
          service?: string;
          desiredCount?: number;
          DefaultActions?: Array<{ ForwardConfig?: { TargetGroups?: Array<{ Weight?: number }> } }>;
        };
        const what = input.service
          ? `${input.service}=${input.desiredCount}`
          : `web listener ${input.DefaultActions?.[0]?.ForwardConfig?.TargetGroups?.map((group) => group.Weight).join('/')}`;
        return `+${Math.round((call.at - start) / 1000)} s ${what}`;
      });
    expect(moves.map((line) => line.replace(/^\+\d+ s /, ''))).toEqual([
      'jobs-green=1',
      'jobs-blue=3',
      'web listener 75/25',
      'jobs-green=4',
      'jobs-blue=0',
      'web listener 0/100',
    ]);
    if (!jobsOf || !webOf) throw new Error('two services');
    expect(modelWeights(result.model, jobsOf)).toEqual({ blue: 0, green: 100 });
    expect(modelWeights(result.model, webOf)).toEqual({ blue: 0, green: 100 });
    for (const name of ['web', 'jobs'])
      expect(result.model.table.get(`DEPLOYMENT#deploy-1-${name}|RECORD`)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it("rolls both back when the worker's new tasks crash in the canary", async () => {
    // Act
    const result = await run({
      config,
      account: both(),
      input: RELEASE,
      faults: ['green-tasks-crash@jobs'],
    });

    // Assert
    expect(result.main.status).toBe('FAILED');
    if (!jobsOf || !webOf) throw new Error('two services');
    expect(modelWeights(result.model, jobsOf)).toEqual({ blue: 100, green: 0 });
    expect(modelWeights(result.model, webOf)).toEqual({ blue: 100, green: 0 });
    for (const name of ['web', 'jobs']) {
      expect(result.model.table.get(`DEPLOYMENT#deploy-1-${name}|RECORD`)).toMatchObject({ status: 'ROLLED_BACK' });
    }
  });
});
