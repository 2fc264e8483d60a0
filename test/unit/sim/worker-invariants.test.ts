/**
 * The write invariants for a worker (examples/worker: jobs, no load balancer):
 * its weights are the colours' shares of the ECS desired counts, a lowering
 * must leave every colour still wanting tasks running them, and a retire of
 * the old colour needs the new one running and the alarms quiet.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/load.ts';
import type { AccountSnapshot, AccountWrite, ServiceSnapshot } from '../../../sim/account/writes.ts';
import { productionLeftBroken } from '../../../sim/invariants.ts';
import { checkWrites } from '../../../sim/write-invariants.ts';
import { ROOT } from '../../support/config.ts';

const config = loadConfig(`${ROOT}/examples/worker/baton.config.json`);
const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const TD3 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/jobs:3';
const TD4 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/jobs:4';

/** A colour: its desired count, running all of them (unless told) of its task definition. */
type ColourState = Partial<ServiceSnapshot> & { readonly desiredCount: number };

interface Moment {
  readonly seconds: number;
  readonly blue: ColourState;
  readonly green: ColourState;
  readonly alarm?: string;
  readonly lock?: string;
}

/** The account at one moment: blue on jobs:3, green on jobs:4, each running its desired count unless told. */
function at(moment: Moment): AccountSnapshot {
  const colour = (state: ColourState, taskDefinitionArn: string): ServiceSnapshot => ({
    taskDefinitionArn,
    running: state.desiredCount,
    stale: 0,
    ...state,
  });
  return {
    at: T0 + moment.seconds * 1000,
    listeners: {},
    services: { 'prod/jobs-blue': colour(moment.blue, TD3), 'prod/jobs-green': colour(moment.green, TD4) },
    targets: {},
    alarms: { 'jobs-queue-age': moment.alarm ?? 'OK' },
    locks: moment.lock ? { jobs: moment.lock } : {},
  };
}

const scale = (state: string, colour: 'blue' | 'green', moment: Moment): AccountWrite => ({
  kind: 'service',
  service: `prod/jobs-${colour}`,
  desiredCount: moment[colour].desiredCount,
  state,
  after: at(moment),
});
const record = (state: string, status: string, moment: Moment): AccountWrite => ({
  kind: 'record',
  key: 'DEPLOYMENT#deploy-1|RECORD',
  item: { deploymentId: 'deploy-1', service: 'jobs', status, liveColour: 'blue', targetColour: 'green' },
  state,
  after: at(moment),
});

const START: Moment = { seconds: 0, blue: { desiredCount: 4 }, green: { desiredCount: 0 } };
const opened = record('Initialize', 'IN_PROGRESS', { ...START, seconds: 1, lock: 'deploy-1' });

function check(writes: AccountWrite[], end?: Moment): string[] {
  const last = writes.at(-1)?.after ?? at(START);
  return checkWrites(config, { start: at(START), writes, initialRecords: new Map(), end: end ? at(end) : last });
}

describe('worker write invariants: a lowering leaves every colour with tasks wanted running them (rule a)', () => {
  // The canary step at 25 %: green raised to 1, then blue lowered to 3.
  const raised = scale('Shift traffic', 'green', { seconds: 300, blue: { desiredCount: 4 }, green: { desiredCount: 1, running: 0 } });

  it('does not check a raise: a worker task takes work as it starts', () => {
    expect(check([opened, raised])).toEqual([]);
  });

  it('accepts lowering the old colour once the raised one runs its tasks (the lowered one still stopping its extra)', () => {
    const lowered = scale('Shift traffic', 'blue', { seconds: 330, blue: { desiredCount: 3, running: 4 }, green: { desiredCount: 1 } });
    expect(check([opened, raised, lowered])).toEqual([]);
  });

  it('reports lowering the old colour while the raised colour does not run its tasks', () => {
    const lowered = scale('Shift traffic', 'blue', {
      seconds: 330,
      blue: { desiredCount: 3, running: 4 },
      green: { desiredCount: 1, running: 0 },
    });
    expect(check([opened, raised, lowered])).toEqual([
      'jobs: at +330 s (Shift traffic), blue (jobs-blue) was lowered from 4 to 3 tasks with green (jobs-green) not verified running: 0 of 1 desired tasks running',
    ]);
  });

  it('reports lowering while a colour still runs tasks of an earlier task definition', () => {
    const lowered = scale('Shift traffic', 'blue', {
      seconds: 330,
      blue: { desiredCount: 3, running: 4 },
      green: { desiredCount: 1, stale: 1 },
    });
    expect(check([opened, raised, lowered])).toEqual([
      'jobs: at +330 s (Shift traffic), blue (jobs-blue) was lowered from 4 to 3 tasks with green (jobs-green) not verified running: 1 task of an earlier task definition still up',
    ]);
  });

  it('holds a rollback to the same rule: the new colour goes to 0 only once the old colour runs its full count again', () => {
    const split = scale('Shift traffic', 'blue', { seconds: 330, blue: { desiredCount: 3, running: 4 }, green: { desiredCount: 1 } });
    const back = scale('Roll back', 'blue', { seconds: 400, blue: { desiredCount: 4, running: 3 }, green: { desiredCount: 1 } });
    const done = scale('Roll back', 'green', { seconds: 430, blue: { desiredCount: 4 }, green: { desiredCount: 0, running: 1 } });
    expect(check([opened, raised, split, back, done])).toEqual([]);
    const early = scale('Roll back', 'green', {
      seconds: 401,
      blue: { desiredCount: 4, running: 3 },
      green: { desiredCount: 0, running: 1 },
    });
    expect(check([opened, raised, split, back, early])).toEqual([
      'jobs: at +401 s (Roll back), green (jobs-green) was lowered from 1 to 0 tasks with blue (jobs-blue) not verified running: 3 of 4 desired tasks running',
    ]);
  });

  it('accepts a new task definition on a colour at 0 tasks, not on one with tasks wanted', () => {
    const deploy = (desiredCount: number): AccountWrite => ({
      kind: 'service',
      service: 'prod/jobs-green',
      desiredCount,
      state: 'Deploy new colour',
      after: at({ seconds: 30, blue: { desiredCount: 4 }, green: { desiredCount, taskDefinitionArn: TD4 } }),
    });
    const before = at({ ...START, green: { desiredCount: 0, taskDefinitionArn: TD3 } });
    const checkFrom = (write: AccountWrite) =>
      checkWrites(config, { start: before, writes: [write], initialRecords: new Map(), end: write.after });
    expect(checkFrom(deploy(0))).toEqual([]);
    expect(checkFrom(deploy(1))).toEqual([
      `jobs: at +30 s (Deploy new colour), green (jobs-green) got task definition ${TD4} while it carries production traffic (blue 80 / green 20)`,
    ]);
  });
});

describe('worker write invariants: terminal records agree with the weights from desired counts (rule b)', () => {
  it('accepts SUCCEEDED with all tasks on the new colour, running', () => {
    expect(
      check([opened, record('Complete', 'SUCCEEDED', { seconds: 900, blue: { desiredCount: 0 }, green: { desiredCount: 4 } })]),
    ).toEqual([]);
  });

  it('reports SUCCEEDED while the old colour still has tasks wanted', () => {
    const succeeded = record('Complete', 'SUCCEEDED', { seconds: 900, blue: { desiredCount: 1 }, green: { desiredCount: 3 } });
    expect(check([opened, succeeded])).toEqual([
      'jobs: at +900 s (Complete), record deploy-1 was written SUCCEEDED while production is at blue 25 / green 75 (expected 100 % on green)',
    ]);
  });

  it('reports SUCCEEDED while the new colour does not run its desired count', () => {
    const succeeded = record('Complete', 'SUCCEEDED', { seconds: 900, blue: { desiredCount: 0 }, green: { desiredCount: 4, running: 3 } });
    expect(check([opened, succeeded])).toEqual([
      'jobs: at +900 s (Complete), record deploy-1 was written SUCCEEDED with green (jobs-green) not verified running: 3 of 4 desired tasks running',
    ]);
  });

  it('accepts ROLLED_BACK with the old colour at its count, not with tasks left on the new one', () => {
    expect(check([opened, record('Roll back', 'ROLLED_BACK', { ...START, seconds: 600 })])).toEqual([]);
    expect(
      check([opened, record('Roll back', 'ROLLED_BACK', { seconds: 600, blue: { desiredCount: 4 }, green: { desiredCount: 1 } })]),
    ).toEqual([
      'jobs: at +600 s (Roll back), record deploy-1 was written ROLLED_BACK while production is at blue 80 / green 20 (expected 100 % on blue or the weights it started with, blue 100 / green 0)',
    ]);
  });

  it('reports desired counts moved after the last record contradicting it', () => {
    const succeeded = record('Complete', 'SUCCEEDED', { seconds: 900, blue: { desiredCount: 0 }, green: { desiredCount: 4 } });
    const end: Moment = { seconds: 950, blue: { desiredCount: 4 }, green: { desiredCount: 4 } };
    expect(check([opened, succeeded], end)).toEqual([
      'jobs: at the end of the run, record deploy-1 says SUCCEEDED while production is at blue 50 / green 50 (expected 100 % on green)',
    ]);
    expect(check([opened, succeeded], { ...end, blue: { desiredCount: 0 } })).toEqual([]);
  });
});

describe('worker write invariants: the old colour goes to 0 only behind a running new colour and quiet alarms (rule c)', () => {
  const retire = (moment: Partial<Moment>) =>
    scale('Complete', 'blue', {
      seconds: 800,
      blue: { desiredCount: 0, running: 1 },
      green: { desiredCount: 4 },
      lock: 'deploy-1',
      ...moment,
    });

  it('accepts retiring the old colour while the new one runs its tasks and no alarm is in ALARM', () => {
    expect(check([opened, retire({})])).toEqual([]);
  });

  it('reports retiring the old colour while the new one runs fewer tasks than desired, or none wanted', () => {
    expect(check([opened, retire({ green: { desiredCount: 4, running: 2 } })])).toEqual([
      'jobs: at +800 s (Complete), the old colour blue (jobs-blue) was scaled to 0 while the new colour green (jobs-green) could not stand alone: 2 of 4 desired tasks running',
    ]);
    expect(check([opened, retire({ green: { desiredCount: 0 } })])).toEqual([
      'jobs: at +800 s (Complete), the old colour blue (jobs-blue) was scaled to 0 while the new colour green (jobs-green) could not stand alone: 0 of 0 desired tasks running',
    ]);
  });

  it('reports retiring the old colour while the queue-age alarm is in ALARM', () => {
    expect(check([opened, retire({ alarm: 'ALARM' })])).toEqual([
      'jobs: at +800 s (Complete), the old colour blue (jobs-blue) was scaled to 0 while the new colour green (jobs-green) could not stand alone: alarm jobs-queue-age in ALARM',
    ]);
  });
});

describe('worker invariants as the run ended: work only on a colour that runs tasks, never left split', () => {
  const [jobs] = config.services;
  const left = (moment: Moment) => (jobs ? productionLeftBroken(jobs, at(moment), at(START)) : ['no service']);

  it('accepts all work moved to a colour that runs its tasks, or left where it was', () => {
    expect(left({ seconds: 900, blue: { desiredCount: 0 }, green: { desiredCount: 4 } })).toEqual([]);
    expect(left({ ...START, seconds: 900 })).toEqual([]);
  });

  it('reports work moved to a colour that runs no task', () => {
    expect(left({ seconds: 900, blue: { desiredCount: 0 }, green: { desiredCount: 4, running: 0 } })).toEqual([
      'jobs: 100 % of production traffic on green, which runs no task',
    ]);
  });

  it('reports desired counts left split between the colours', () => {
    expect(left({ seconds: 900, blue: { desiredCount: 3 }, green: { desiredCount: 1 } })).toEqual([
      'jobs: production left split at blue 75 / green 25',
    ]);
  });
});
