/** Where an execution stands, from its history events: the step of the strategy, the approval deadline, the state that failed. */
import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { readProgress } from '../../../cli/progress.ts';

const AT = new Date('2026-11-23T09:00:00.000Z');

function entered(name: string, type: HistoryEventType = 'TaskStateEntered'): HistoryEvent {
  return { id: 0, timestamp: AT, type, stateEnteredEventDetails: { name } };
}

function exited(name: string, output: unknown, type: HistoryEventType = 'TaskStateExited'): HistoryEvent {
  return { id: 0, timestamp: AT, type, stateExitedEventDetails: { name, output: JSON.stringify(output) } };
}

/** Shift traffic exits with `state`, its Choice passes it on, and the execution enters `next` (Shift traffic again to watch a hold). */
function shifted(state: unknown, next: string): HistoryEvent[] {
  return [
    entered('Shift traffic'),
    exited('Shift traffic', state),
    entered('Is traffic fully shifted?', 'ChoiceStateEntered'),
    exited('Is traffic fully shifted?', state, 'ChoiceStateExited'),
    entered(next),
  ];
}

describe('readProgress', () => {
  it('reads the step of the strategy ("2/4") and the hold from the latest payload', () => {
    // Arrange
    // Shift traffic applied step 2 and is called again (its Choice loops back) to watch the hold inside its invocation.
    const strategy = { type: 'linear', stepPercent: 25, intervalSeconds: 300 };
    const state = { strategy, traffic: { nextStep: 2, weight: 50, complete: false, holdUntil: '2026-11-23T09:05:00.000Z' } };
    const events = shifted(state, 'Shift traffic');

    // Act
    const progress = readProgress(events, { status: 'RUNNING', approvalTimeoutSeconds: 3600 });

    // Assert
    expect(progress).toMatchObject({
      currentState: 'Shift traffic',
      completed: ['Shift traffic'],
      step: { applied: 2, total: 4 },
      holdUntil: '2026-11-23T09:05:00.000Z',
    });
  });

  it('reads that the held step waits for baton promote, and what happens if nobody promotes it', () => {
    // Arrange
    const strategy = { type: 'steps', steps: [{ weight: 10, pause: 'approval', timeoutSeconds: 7200, onTimeout: 'proceed' }] };
    const waiting = { strategy, traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: '2026-11-23T11:00:00.000Z' } };
    const timed = { strategy: { type: 'canary', percent: 10, bakeSeconds: 600 }, traffic: waiting.traffic };

    // Act
    const progress = readProgress(shifted(waiting, 'Shift traffic'), { status: 'RUNNING', approvalTimeoutSeconds: 3600 });
    const canary = readProgress(shifted(timed, 'Shift traffic'), { status: 'RUNNING', approvalTimeoutSeconds: 3600 });

    // Assert
    expect(progress).toMatchObject({
      step: { applied: 1, total: 2 },
      holdUntil: '2026-11-23T11:00:00.000Z',
      promotion: { onTimeout: 'proceed' },
    });
    expect(canary).not.toHaveProperty('promotion');
  });

  it('reads the bake from the latest payload while Check bake watches it, not while Roll back runs', () => {
    // Arrange
    const state = { traffic: { nextStep: 2, weight: 100, complete: true }, bake: { until: '2026-11-23T09:10:00.000Z', complete: false } };
    const baking = shifted(state, 'Check bake');
    const rollingBack = [...baking, exited('Check bake', { ...state, error: { Error: 'GateFailedError' } }), entered('Roll back')];

    // Act
    const progress = readProgress(baking, { status: 'RUNNING', approvalTimeoutSeconds: 3600 });
    const rolledBack = readProgress(rollingBack, { status: 'RUNNING', approvalTimeoutSeconds: 3600 });

    // Assert
    expect(progress).toEqual({
      currentState: 'Check bake',
      completed: ['Shift traffic'],
      failed: [],
      bakeUntil: '2026-11-23T09:10:00.000Z',
    });
    expect(rolledBack).toEqual({ currentState: 'Roll back', completed: ['Shift traffic', 'Check bake'], failed: [] });
  });

  it('gives the approval deadline: the wait began, plus approvalTimeoutSeconds', () => {
    // Act
    const progress = readProgress([entered('Wait for approval')], { status: 'RUNNING', approvalTimeoutSeconds: 3600 });

    // Assert
    expect(progress.approvalDeadline).toBe('2026-11-23T10:00:00.000Z');
  });

  it('names a caught failure with the error its Catch recorded; a retried one that then succeeded is not a failure', () => {
    // Arrange
    const events: HistoryEvent[] = [
      entered('Deploy new colour'),
      { id: 0, timestamp: AT, type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error: 'TransientAwsError' } },
      { id: 0, timestamp: AT, type: 'LambdaFunctionScheduled' },
      exited('Deploy new colour', {}),
      entered('Shift traffic'),
      { id: 0, timestamp: AT, type: 'TaskFailed' },
      exited('Shift traffic', { error: { Error: 'GateFailedError', Cause: '...' } }),
    ];

    // Act
    const progress = readProgress(events, { status: 'FAILED', error: 'GateFailedError', approvalTimeoutSeconds: 3600 });

    // Assert
    expect(progress.completed).toEqual(['Deploy new colour', 'Shift traffic']);
    expect(progress.failed).toEqual([{ state: 'Shift traffic', error: 'GateFailedError' }]);
  });
});
