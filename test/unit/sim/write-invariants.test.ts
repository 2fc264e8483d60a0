import { describe, expect, it } from 'vitest';
import type { AccountSnapshot, AccountWrite, ServiceSnapshot, TargetCounts } from '../../../sim/account/writes.ts';
import { listenerOf } from '../../../sim/production.ts';
import { checkWrites } from '../../../sim/write-invariants.ts';
import { exampleConfig, webService } from '../../support/config.ts';

const config = exampleConfig();
const web = listenerOf(webService()) ?? { listener: '', blue: '', green: '' };
const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const TD7 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7';
const TD8 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8';

interface ColourState {
  readonly targets?: Partial<TargetCounts>;
  readonly ecs?: Partial<ServiceSnapshot>;
}

interface Moment {
  readonly seconds: number;
  readonly blue: number;
  readonly green: number;
  readonly blueState?: ColourState;
  readonly greenState?: ColourState;
  readonly alarms?: Record<string, string>;
  readonly lock?: string;
}

/** The account at one moment: blue runs web:7, green web:8, both 3 of 3 healthy unless told. */
function at(moment: Moment): AccountSnapshot {
  const colour = (state: ColourState | undefined, taskDefinitionArn: string) => ({
    targets: { healthy: 3, unhealthy: 0, ...state?.targets },
    ecs: { taskDefinitionArn, desiredCount: 3, running: 3, stale: 0, ...state?.ecs },
  });
  const blue = colour(moment.blueState, TD7);
  const green = colour(moment.greenState, TD8);
  return {
    at: T0 + moment.seconds * 1000,
    listeners: { [web.listener]: { [web.blue]: moment.blue, [web.green]: moment.green } },
    services: { 'prod/web-blue': blue.ecs, 'prod/web-green': green.ecs },
    targets: { [web.blue]: blue.targets, [web.green]: green.targets },
    alarms: { 'web-5xx-rate': 'OK', 'web-p99-latency': 'OK', ...moment.alarms },
    locks: moment.lock ? { web: moment.lock } : {},
  };
}

const listener = (state: string, moment: Moment): AccountWrite => ({
  kind: 'listener',
  arn: web.listener,
  state,
  after: at(moment),
});
const scale = (state: string, colour: 'blue' | 'green', desiredCount: number, moment: Moment): AccountWrite => ({
  kind: 'service',
  service: `prod/web-${colour}`,
  desiredCount,
  state,
  after: at(moment),
});
const record = (state: string, status: string, moment: Moment, id = 'deploy-1'): AccountWrite => ({
  kind: 'record',
  key: `DEPLOYMENT#${id}|RECORD`,
  item: { deploymentId: id, service: 'web', status, liveColour: 'blue', targetColour: 'green' },
  state,
  after: at(moment),
});

const START: Moment = { seconds: 0, blue: 100, green: 0 };

function check(writes: AccountWrite[], options: { start?: Moment; end?: Moment } = {}): string[] {
  const last = writes.at(-1)?.after ?? at(START);
  return checkWrites(config, {
    start: at(options.start ?? START),
    writes,
    initialRecords: new Map(),
    end: options.end ? at(options.end) : last,
  });
}

describe('write invariants: traffic only on a verified colour (rule a)', () => {
  it('accepts a shift onto a colour verified healthy', () => {
    expect(check([listener('Shift traffic', { seconds: 300, blue: 90, green: 10 })])).toEqual([]);
  });

  it('reports weight on a colour with unhealthy targets, naming service, colour, weights, time and state', () => {
    const writes = [
      listener('Shift traffic', { seconds: 300, blue: 90, green: 10, greenState: { targets: { healthy: 0, unhealthy: 3 } } }),
    ];
    expect(check(writes)).toEqual([
      'web: at +300 s (Shift traffic), the production listener was set to blue 90 / green 10 with green (web-green) not verified healthy: no healthy target, 3 unhealthy targets',
    ]);
  });

  it('counts any non-zero weight as traffic (995/5)', () => {
    const writes = [listener('Shift traffic', { seconds: 60, blue: 995, green: 5, greenState: { ecs: { running: 1 } } })];
    expect(check(writes)).toEqual([
      'web: at +60 s (Shift traffic), the production listener was set to blue 995 / green 5 with green (web-green) not verified healthy: 1 of 3 desired tasks running',
    ]);
  });

  it('reports weight on a colour whose rollout is not over (tasks of an earlier task definition still up)', () => {
    const writes = [listener('Shift traffic', { seconds: 60, blue: 0, green: 100, greenState: { ecs: { stale: 2 } } })];
    expect(check(writes)).toEqual([
      'web: at +60 s (Shift traffic), the production listener was set to blue 0 / green 100 with green (web-green) not verified healthy: 2 tasks of an earlier task definition still up',
    ]);
  });

  it("leaves the operator's split alone while it stays on untouched colours, not once a colour was updated", () => {
    const split: Moment = { seconds: 0, blue: 90, green: 10, greenState: { targets: { healthy: 0, unhealthy: 1 } } };
    const restore = listener('Roll back', { ...split, seconds: 100 });
    expect(check([restore], { start: split })).toEqual([]);
    const touched = scale('Deploy new colour', 'green', 3, { ...split, seconds: 50 });
    expect(check([touched, restore], { start: split })).toEqual([
      'web: at +100 s (Roll back), the production listener was set to blue 90 / green 10 with green (web-green) not verified healthy: no healthy target, 1 unhealthy target',
    ]);
  });

  it('reports a new task definition on a colour that carries traffic', () => {
    const deploy: AccountWrite = {
      kind: 'service',
      service: 'prod/web-blue',
      state: 'Deploy new colour',
      after: at({ seconds: 30, blue: 100, green: 0, blueState: { ecs: { taskDefinitionArn: TD8 } } }),
    };
    expect(check([deploy])).toEqual([
      `web: at +30 s (Deploy new colour), blue (web-blue) got task definition ${TD8} while it carries production traffic (blue 100 / green 0)`,
    ]);
  });
});

describe('write invariants: terminal records agree with the weights (rule b)', () => {
  const opened = record('Initialize', 'IN_PROGRESS', { seconds: 1, blue: 100, green: 0, lock: 'deploy-1' });

  it('accepts SUCCEEDED at 100 % on the new colour', () => {
    expect(check([opened, record('Complete', 'SUCCEEDED', { seconds: 900, blue: 0, green: 100 })])).toEqual([]);
  });

  it('reports SUCCEEDED written while traffic is not all on the new colour', () => {
    expect(check([opened, record('Complete', 'SUCCEEDED', { seconds: 900, blue: 1, green: 99 })])).toEqual([
      'web: at +900 s (Complete), record deploy-1 was written SUCCEEDED while production is at blue 1 / green 99 (expected 100 % on green)',
    ]);
  });

  it('reports SUCCEEDED written while the new colour is not verified healthy', () => {
    const succeeded = record('Complete', 'SUCCEEDED', {
      seconds: 900,
      blue: 0,
      green: 100,
      greenState: { targets: { healthy: 2, unhealthy: 1 } },
    });
    expect(check([opened, succeeded])).toEqual([
      'web: at +900 s (Complete), record deploy-1 was written SUCCEEDED with green (web-green) not verified healthy: 1 unhealthy target',
    ]);
  });

  it('accepts ROLLED_BACK at 100 % on the old colour or at the start weights, not in between', () => {
    expect(check([opened, record('Roll back', 'ROLLED_BACK', { seconds: 600, blue: 100, green: 0 })])).toEqual([]);
    expect(check([opened, record('Roll back', 'ROLLED_BACK', { seconds: 600, blue: 50, green: 50 })])).toEqual([
      'web: at +600 s (Roll back), record deploy-1 was written ROLLED_BACK while production is at blue 50 / green 50 (expected 100 % on blue or the weights it started with, blue 100 / green 0)',
    ]);
  });

  it('holds REJECTED to the weights the record started with; ROLLBACK_FAILED to nothing', () => {
    expect(check([opened, record('Record rejection', 'REJECTED', { seconds: 5, blue: 100, green: 0 })])).toEqual([]);
    expect(check([opened, record('Record rejection', 'REJECTED', { seconds: 5, blue: 0, green: 100 })])).toEqual([
      'web: at +5 s (Record rejection), record deploy-1 was written REJECTED while production is at blue 0 / green 100 (expected the weights it started with, blue 100 / green 0)',
    ]);
    expect(check([opened, record('Record failure', 'ROLLBACK_FAILED', { seconds: 5, blue: 50, green: 50 })])).toEqual([]);
  });

  it('reports a later listener write that contradicts the last record (SUCCEEDED, then traffic moved back)', () => {
    const writes = [
      opened,
      record('Complete', 'SUCCEEDED', { seconds: 900, blue: 0, green: 100 }),
      listener('Roll back', { seconds: 905, blue: 100, green: 0 }),
    ];
    expect(check(writes)).toEqual([
      'web: at the end of the run, record deploy-1 says SUCCEEDED while production is at blue 100 / green 0 (expected 100 % on green)',
    ]);
  });

  it('holds a release record to each service deployment record', () => {
    const release: AccountWrite = {
      kind: 'record',
      key: 'RELEASE#rel-1|RECORD',
      item: { releaseId: 'rel-1', status: 'SUCCEEDED', services: { web: { deploymentId: 'deploy-1' } } },
      state: 'Finish release',
      after: at({ seconds: 950, blue: 100, green: 0 }),
    };
    expect(check([opened, release], { end: { seconds: 950, blue: 100, green: 0 } })).toEqual([
      'web: at +950 s (Finish release), release record rel-1 was written SUCCEEDED while production is at blue 100 / green 0 (expected 100 % on green)',
    ]);
  });
});

describe('write invariants: the old colour is kept while it may be needed (rule c)', () => {
  const opened = record('Initialize', 'IN_PROGRESS', { seconds: 1, blue: 100, green: 0, lock: 'deploy-1' });
  const retire = (moment: Partial<Moment>) =>
    scale('Complete', 'blue', 0, { seconds: 800, blue: 0, green: 100, lock: 'deploy-1', ...moment });

  it('accepts retiring the old colour once the new one stands alone', () => {
    expect(check([opened, retire({})])).toEqual([]);
  });

  it('reports scaling to 0 a colour with production weight', () => {
    expect(check([opened, retire({ blue: 5, green: 995 })])).toEqual([
      'web: at +800 s (Complete), blue (web-blue) was scaled to 0 while it carries production traffic (blue 5 / green 995)',
    ]);
  });

  it('reports retiring the old colour while the new one has unhealthy targets or an alarm in ALARM', () => {
    expect(check([opened, retire({ greenState: { targets: { healthy: 2, unhealthy: 1 } } })])).toEqual([
      'web: at +800 s (Complete), the old colour blue (web-blue) was scaled to 0 while the new colour green (web-green) could not stand alone: 1 unhealthy target, 2 healthy targets of 3 desired',
    ]);
    expect(check([opened, retire({ alarms: { 'web-5xx-rate': 'ALARM' } })])).toEqual([
      'web: at +800 s (Complete), the old colour blue (web-blue) was scaled to 0 while the new colour green (web-green) could not stand alone: alarm web-5xx-rate in ALARM',
    ]);
  });

  it('lets a rollback retire the new colour whatever the alarms say', () => {
    const writes = [
      opened,
      scale('Roll back', 'green', 0, { seconds: 700, blue: 100, green: 0, lock: 'deploy-1', alarms: { 'web-5xx-rate': 'ALARM' } }),
    ];
    expect(check(writes)).toEqual([]);
  });
});
