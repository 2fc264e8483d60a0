/**
 * The simulated figures `npm run bench` prints (scripts/bench/figures.ts),
 * measured here on the real state machine: what each cell says for the
 * example service. The long bake and the 20-service release take minutes;
 * event-gates.test.ts holds the long bake's path and limit.
 */
import { describe, expect, it } from 'vitest';
import { alarmToRestore, transitions } from '../../scripts/bench/figures.ts';
import { subject } from '../../scripts/bench/subjects.ts';

describe('npm run bench, the simulated figures of the example service', () => {
  it('alarm to restore: from the alarm entering ALARM (not its metric breaching) to production back on the old colour', async () => {
    // The alarm's CloudWatch event reaches the signal function 0.5 s later; the bake's watch reads the
    // signal at its next second; Check bake fails, and Roll back's listener write follows.
    expect(await alarmToRestore(subject('example'))).toEqual({ text: '1.05 s', value: 1.05 });
  });

  it('transitions: the states the default all-at-once deployment enters', async () => {
    expect(await transitions(subject('example'))).toEqual({ text: '23', value: 23 });
  });
});
