/** What the report reads of an execution history: each state's visits with their times, failures, gate checks. */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { firstFailure, gateChecks, readTimeline } from '../../../../cli/report/timeline.ts';
import { at, entered, exited, lambdaFailed, lambdaScheduled } from '../../../support/history-events.ts';

describe('readTimeline', () => {
  it('gives each visit its times; a failure that was retried is not a failure of the visit', () => {
    // Arrange
    const events: HistoryEvent[] = [
      entered('Deploy new colour', 0),
      lambdaFailed('TransientAwsError', 1),
      lambdaScheduled(3),
      exited('Deploy new colour', {}, 4),
      entered('Wait for new colour to stabilize', 4, 'WaitStateEntered'),
      exited('Wait for new colour to stabilize', {}, 19, 'WaitStateExited'),
    ];

    // Act
    const timeline = readTimeline(events);

    // Assert
    expect(timeline).toEqual({
      start: at(0),
      end: at(19),
      visits: [
        { name: 'Deploy new colour', kind: 'Task', enteredAt: at(0), exitedAt: at(4), output: '{}' },
        { name: 'Wait for new colour to stabilize', kind: 'Wait', enteredAt: at(4), exitedAt: at(19), output: '{}' },
      ],
    });
  });

  it('keeps a caught failure with the error its Catch put in the output, and the time of the failure event', () => {
    // Arrange: the simulation's failure events name no error
    const events: HistoryEvent[] = [
      entered('Check bake', 10),
      { id: 0, timestamp: at(12), type: 'TaskFailed' },
      exited('Check bake', { error: { Error: 'GateFailedError' } }, 12),
    ];

    // Act
    const timeline = readTimeline(events);

    // Assert
    expect(timeline.visits[0]?.failure).toEqual({ error: 'GateFailedError', at: at(12) });
    expect(gateChecks(timeline)).toEqual([{ state: 'Check bake', at: at(12), error: 'GateFailedError' }]);
  });

  it('fails the state an execution ended in, which never exited; states inside a Map end with it', () => {
    // Arrange
    const events: HistoryEvent[] = [
      entered('Deploy waves', 0, 'MapStateEntered'),
      entered('Deploy new colour (release)', 1),
      exited('Deploy waves', {}, 5, 'MapStateExited'),
      entered('Complete deployment', 6),
      lambdaFailed('Lambda.Unknown', 8),
    ];

    // Act
    const timeline = readTimeline(events);

    // Assert
    expect(timeline.visits.map((visit) => [visit.name, visit.exitedAt, visit.failure?.error])).toEqual([
      ['Deploy waves', at(5), undefined],
      ['Deploy new colour (release)', at(5), undefined],
      ['Complete deployment', undefined, 'Lambda.Unknown'],
    ]);
  });

  it("names as the first bad signal the record's failed phase, else the first failed state", () => {
    // Arrange
    const timeline = readTimeline([
      entered('Smoke test new colour', 0),
      lambdaFailed('SmokeTestFailedError', 1),
      exited('Smoke test new colour', {}, 1),
      entered('Shift traffic', 2),
      lambdaFailed('GateFailedError', 3),
      exited('Shift traffic', {}, 3),
    ]);

    // Act / Assert
    expect(firstFailure(timeline, 'Shift traffic')?.name).toBe('Shift traffic');
    expect(firstFailure(timeline, undefined)?.name).toBe('Smoke test new colour');
  });
});
