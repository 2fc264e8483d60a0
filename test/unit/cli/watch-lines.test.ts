/**
 * `baton watch` without a terminal (CI): a line per change with its UTC time,
 * a heartbeat while nothing changes, then the last view; and on a narrow
 * terminal, frames cut to its width and redrawn in place.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../support/cli.ts';
import {
  DEPLOYMENT_ID,
  EXECUTION_ARN,
  givenLock,
  givenRecord,
  givenWeights,
  LOCK,
  resetMocks,
  sfnMock,
  WAITING_RECORD,
} from '../../support/cli-clients.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/config.ts';

const START = new Date('2026-11-23T09:00:00.000Z');
const BAKE_UNTIL = '2026-11-23T09:10:00.000Z';

const BAKING = JSON.stringify({ traffic: { nextStep: 1, weight: 100, complete: true }, bake: { until: BAKE_UNTIL, complete: false } });
/** Shift traffic applied 100 %; Check bake watches the bake inside its invocation. */
const events: HistoryEvent[] = [
  { id: 1, timestamp: START, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Shift traffic' } },
  {
    id: 2,
    timestamp: START,
    type: 'TaskStateExited',
    stateExitedEventDetails: {
      name: 'Shift traffic',
      output: BAKING,
    },
  },
  { id: 3, timestamp: START, type: 'ChoiceStateEntered', stateEnteredEventDetails: { name: 'Is traffic fully shifted?' } },
  { id: 4, timestamp: START, type: 'ChoiceStateExited', stateExitedEventDetails: { name: 'Is traffic fully shifted?', output: BAKING } },
  { id: 5, timestamp: START, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Check bake' } },
];

beforeEach(() => {
  resetMocks();
  vi.useFakeTimers({ now: START, toFake: ['Date'] });
  givenLock(LOCK);
  givenRecord({ ...WAITING_RECORD, status: 'SUCCEEDED', awaitingApproval: false, outcomeReason: 'v1.4.2 live on green' });
  givenWeights(0, 100);
  const running = { name: DEPLOYMENT_ID, status: 'RUNNING' as const, startDate: START, input: '{"service":"web","imageTag":"v1.4.2"}' };
  sfnMock
    .on(DescribeExecutionCommand)
    .resolvesOnce(running)
    .resolvesOnce(running)
    .resolvesOnce(running)
    .resolves({ ...running, status: 'SUCCEEDED', stopDate: new Date('2026-11-23T09:01:30.000Z') });
  sfnMock.on(GetExecutionHistoryCommand, { executionArn: EXECUTION_ARN }).resolves({ events });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('baton watch without a terminal', () => {
  it('prints a line per change, each with its UTC time, a heartbeat after 60 s without one, then the last view', async () => {
    // Act: polls every 30 s (the clock moves on with each sleep)
    const result = await runCli(EXAMPLE_CONFIG_PATH, ['watch', 'web', '--interval', '30'], {
      onSleep: (ms) => vi.setSystemTime(Date.now() + ms),
    });

    // Assert
    expect(result.code).toBe(0);
    expect(result.out.split('\n').slice(0, 7)).toEqual([
      `2026-11-23T09:00:00Z web following ${DEPLOYMENT_ID} (image v1.4.2)`,
      '2026-11-23T09:00:00Z web finished Shift traffic',
      '2026-11-23T09:00:00Z web entered Check bake (bakes until 09:10:00 UTC)',
      '2026-11-23T09:00:00Z web traffic blue 0 % / green 100 %',
      // 09:00:30: nothing changed, and less than 60 s since the last line: silence.
      '2026-11-23T09:01:00Z web still in Check bake, 1m00s elapsed',
      '2026-11-23T09:01:30Z web ended SUCCEEDED',
      `web  ${DEPLOYMENT_ID}  SUCCEEDED  1m30s elapsed`,
    ]);
    expect(result.out).toContain('\nSUCCEEDED: v1.4.2 live on green\n');
    expect(result.out).not.toContain('\u001b[');
  });
});

describe('baton watch on a terminal 40 columns wide', () => {
  it('redraws each frame over the last one, every line cut to 40 columns', async () => {
    // Act: without colour (the colour sequences take no column; see below)
    const result = await runCli(EXAMPLE_CONFIG_PATH, ['watch', 'web', '--interval', '30', '--no-color'], {
      terminalColumns: 40,
      onSleep: (ms) => vi.setSystemTime(Date.now() + ms),
    });

    // Assert: four frames, each after the first moving up over the one before
    expect(result.code).toBe(0);
    const ESC = '\u001b';
    const redrawn = new RegExp(`${ESC}\\[(\\d+)A${ESC}\\[J`, 'g');
    const frames = result.out.split(redrawn).filter((_part, index) => index % 2 === 0);
    expect(frames).toHaveLength(4);
    const ups = [...result.out.matchAll(redrawn)].map((match) => Number(match[1]));
    expect(ups).toEqual(frames.slice(0, 3).map((frame) => frame.split('\n').length - 1));
    for (const line of frames.join('').split('\n')) expect(line.length).toBeLessThanOrEqual(40);
    expect(frames[0]?.split('\n')[0]).toBe('web  web-v1_4_2-20261123T090000Z  RUNNI…');
  });
});
