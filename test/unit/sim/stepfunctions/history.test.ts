/**
 * Step Functions' history event count for what the local engine logged,
 * from hand-built event logs.
 */
import { describe, expect, it } from 'vitest';
import { HISTORY_EVENT_LIMIT, WATCH_INVOCATION_HISTORY_EVENTS } from '../../../../lambdas/shared/history-budget.ts';
import {
  countHistoryEvents,
  HISTORY_LIMIT_CAUSE,
  HISTORY_LIMIT_ERROR,
  type HistoryDefinition,
  historyEventTypes,
  historyLimitReached,
  type LocalEvent,
  UnknownStateError,
} from '../../../../sim/stepfunctions/history.ts';

const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:baton-check-bake';

const definition: HistoryDefinition = {
  States: {
    'Wait during bake': { Type: 'Wait' },
    'Check bake': { Type: 'Task', Resource: FUNCTION },
    'Is bake over?': { Type: 'Choice' },
    'Wait for approval': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken' },
    'Invoke once': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke' },
    'Bake services': {
      Type: 'Map',
      ItemProcessor: { States: { 'Check bake (release)': { Type: 'Task', Resource: FUNCTION } } },
    },
    'Check bake failed': { Type: 'Pass' },
    'Deployment rolled back': { Type: 'Fail' },
    'Deployment succeeded': { Type: 'Succeed' },
  },
};

/** The local engine's events of one state: entered, then exited. */
const passThrough = (name: string): LocalEvent[] => [
  { type: 'StateEntered', state: { name } },
  { type: 'StateExited', state: { name } },
];

const ONE_POLL: LocalEvent[] = [...passThrough('Wait during bake'), ...passThrough('Check bake'), ...passThrough('Is bake over?')];
const ONE_WATCH: LocalEvent[] = [...passThrough('Check bake'), ...passThrough('Is bake over?')];

describe('countHistoryEvents', () => {
  it('counts one gate poll (Wait, Lambda Task, Choice) as 9 events', () => {
    expect(historyEventTypes(ONE_POLL, definition)).toEqual([
      'WaitStateEntered',
      'WaitStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
    ]);
    expect(countHistoryEvents(ONE_POLL, definition)).toBe(9);
  });

  it('counts one invocation of a watching Task (Lambda Task, Choice) as 7 events, as the history budget does', () => {
    expect(countHistoryEvents(ONE_WATCH, definition)).toBe(7);
    expect(WATCH_INVOCATION_HISTORY_EVENTS).toBe(countHistoryEvents(ONE_WATCH, definition));
  });

  it('counts a Map of 3 iterations: the Map events, each iteration and its Task', () => {
    const iteration = (index: number): LocalEvent[] =>
      [
        { type: 'MapIterationStarted' },
        { type: 'StateEntered', state: { name: 'Check bake (release)' } },
        { type: 'StateExited', state: { name: 'Check bake (release)' } },
        { type: 'MapIterationSucceeded' },
      ].map((event) => ({ ...event, index }));
    const events: LocalEvent[] = [
      { type: 'StateEntered', state: { name: 'Bake services' } },
      ...iteration(0),
      ...iteration(1),
      ...iteration(2),
      { type: 'StateExited', state: { name: 'Bake services' } },
    ];

    const types = historyEventTypes(events, definition);

    expect(types.slice(0, 2)).toEqual(['MapStateEntered', 'MapStateStarted']);
    expect(types.slice(2, 9)).toEqual([
      'MapIterationStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'MapIterationSucceeded',
    ]);
    expect(types.slice(-2)).toEqual(['MapStateSucceeded', 'MapStateExited']);
    // 2 + 3 × (1 + 5 + 1) + 2
    expect(countHistoryEvents(events, definition)).toBe(25);
  });

  it('counts a Task retried twice: each failure, and a new Scheduled and Started per retry', () => {
    const events: LocalEvent[] = [
      { type: 'StateEntered', state: { name: 'Check bake' } },
      { type: 'StateFailed', state: { name: 'Check bake' }, Error: 'TransientAwsError' },
      { type: 'StateRetried', state: { name: 'Check bake' } },
      { type: 'StateFailed', state: { name: 'Check bake' }, Error: 'TransientAwsError' },
      { type: 'StateRetried', state: { name: 'Check bake' } },
      { type: 'StateExited', state: { name: 'Check bake' } },
    ];

    expect(historyEventTypes(events, definition)).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
  });

  it('counts a caught failure once, then the exit, the Catch handler and a Fail state ending the execution', () => {
    const events: LocalEvent[] = [
      { type: 'ExecutionStarted' },
      { type: 'StateEntered', state: { name: 'Check bake' } },
      { type: 'StateFailed', state: { name: 'Check bake' }, Error: 'States.Timeout' },
      { type: 'StateCaught', state: { name: 'Check bake' } },
      { type: 'StateExited', state: { name: 'Check bake' } },
      ...passThrough('Check bake failed'),
      { type: 'StateEntered', state: { name: 'Deployment rolled back' } },
      { type: 'StateFailed', state: { name: 'Deployment rolled back' }, Error: 'GateFailedError' },
      { type: 'ExecutionFailed', Error: 'GateFailedError' },
    ];

    expect(historyEventTypes(events, definition)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionTimedOut',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
  });

  it('counts service integrations: lambda:invoke 5 events, a .waitForTaskToken callback 6 (TaskSubmitted)', () => {
    expect(historyEventTypes(passThrough('Invoke once'), definition)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
    ]);
    expect(historyEventTypes(passThrough('Wait for approval'), definition)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
    ]);
  });

  it('counts a whole execution: start, states and end', () => {
    const events: LocalEvent[] = [
      { type: 'ExecutionStarted' },
      ...ONE_POLL,
      ...passThrough('Deployment succeeded'),
      { type: 'ExecutionSucceeded' },
    ];

    expect(countHistoryEvents(events, definition)).toBe(1 + 9 + 2 + 1);
  });

  it('refuses an event log that names a state the definition lacks', () => {
    expect(() => countHistoryEvents(passThrough('Nowhere'), definition)).toThrow(
      new UnknownStateError('the event log names state "Nowhere", which the definition does not have'),
    );
  });
});

describe('the 25,000-event quota', () => {
  it('is reached when 24,999 events are written: the next one is the failure', () => {
    expect(HISTORY_EVENT_LIMIT).toBe(25_000);
    expect(historyLimitReached(24_998)).toBe(false);
    expect(historyLimitReached(24_999)).toBe(true);
    expect({ error: HISTORY_LIMIT_ERROR, cause: HISTORY_LIMIT_CAUSE }).toEqual({
      error: 'States.Runtime',
      cause: 'The execution reached the maximum number of history events (25000).',
    });
  });
});
