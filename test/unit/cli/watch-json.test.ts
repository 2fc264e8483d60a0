/**
 * `baton watch --json` and `deploy --watch --json`: NDJSON, one JSON object
 * a line for each change, the last one the end with the record's view; and
 * the colour of the live view on a terminal.
 */
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { changesBetween, describeChange } from '../../../cli/changes.ts';
import type { ExecutionView } from '../../../cli/execution.ts';
import type { DeploymentRecord } from '../../../lambdas/shared/records/deployment.ts';
import { runCli } from '../../support/cli.ts';
import {
  DEPLOYMENT_ID,
  EXECUTION_ARN,
  elbMock,
  givenLock,
  givenRecord,
  LOCK,
  listenerForwarding,
  resetMocks,
  sfnMock,
  WAITING_RECORD,
} from '../../support/cli-clients.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/config.ts';

const START = new Date('2026-11-23T09:00:00.000Z');
const at = (minutes: number, seconds = 0) => new Date(START.getTime() + (minutes * 60 + seconds) * 1000);
const iso = (minutes: number, seconds = 0) => at(minutes, seconds).toISOString();
const CANARY = { type: 'canary', percent: 25, bakeSeconds: 300 };

let id = 0;
function entered(name: string, type = 'TaskStateEntered'): HistoryEvent {
  return { id: ++id, timestamp: START, type, stateEnteredEventDetails: { name } } as HistoryEvent;
}
function exited(name: string, output: unknown = {}, type = 'TaskStateExited'): HistoryEvent {
  return { id: ++id, timestamp: START, type, stateExitedEventDetails: { name, output: JSON.stringify(output) } } as HistoryEvent;
}
/** A Choice the payload passes through unchanged (Step Functions records its output on exit). */
function choice(name: string, output: unknown): HistoryEvent[] {
  return [entered(name, 'ChoiceStateEntered'), exited(name, output, 'ChoiceStateExited')];
}
function lambdaFailed(error: string): HistoryEvent {
  return { id: ++id, timestamp: START, type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error } };
}

/** The execution as each poll finds it: its history so far, the listener's weights, and how it ended at the last. */
interface Poll {
  readonly events: HistoryEvent[];
  readonly weights: [number, number];
  readonly ended?: { status: 'SUCCEEDED' | 'FAILED'; stopDate: Date; error?: string };
}

function givenPolls(polls: readonly Poll[], record: DeploymentRecord): void {
  const running = { name: DEPLOYMENT_ID, status: 'RUNNING' as const, startDate: START, input: '{"service":"web","imageTag":"v1.4.2"}' };
  const describe = sfnMock.on(DescribeExecutionCommand);
  const history = sfnMock.on(GetExecutionHistoryCommand, { executionArn: EXECUTION_ARN });
  const listener = elbMock.on(DescribeListenersCommand);
  let events: HistoryEvent[] = [];
  for (const poll of polls) {
    events = [...events, ...poll.events];
    describe.resolvesOnce(poll.ended ? { ...running, ...poll.ended } : running);
    history.resolvesOnce({ events });
    listener.resolvesOnce(listenerForwarding(...poll.weights));
  }
  givenLock(LOCK);
  givenRecord(record);
}

/**
 * A canary (25 % for 5 minutes, then 100 %, a 5-minute bake) polled every 5 minutes. Shift traffic watches the
 * hold inside its invocation (its Choice calls it again), then Check bake watches the bake: a quiet poll, then the second step.
 */
const STEP_1 = { strategy: CANARY, traffic: { nextStep: 1, holdUntil: iso(10), complete: false } };
const STEP_2 = { strategy: CANARY, traffic: { nextStep: 2, complete: true }, bake: { until: iso(15), complete: false } };
const CANARY_POLLS: Poll[] = [
  {
    events: [
      entered('Shift traffic'),
      exited('Shift traffic', STEP_1),
      ...choice('Is traffic fully shifted?', STEP_1),
      entered('Shift traffic'),
    ],
    weights: [75, 25],
  },
  { events: [], weights: [75, 25] },
  {
    events: [exited('Shift traffic', STEP_2), ...choice('Is traffic fully shifted?', STEP_2), entered('Check bake')],
    weights: [0, 100],
  },
  {
    events: [
      exited('Check bake', { ...STEP_2, bake: { until: iso(15), complete: true } }),
      entered('Complete deployment'),
      exited('Complete deployment'),
    ],
    weights: [0, 100],
    ended: { status: 'SUCCEEDED', stopDate: at(15, 30) },
  },
];

/** The same canary: its gate fails while green holds 25 %, the rollback puts all traffic back on blue. */
const ROLLBACK_POLLS: Poll[] = [
  CANARY_POLLS[0] as Poll,
  {
    events: [lambdaFailed('GateFailedError'), exited('Shift traffic', { error: { Error: 'GateFailedError' } }), entered('Roll back')],
    weights: [100, 0],
  },
  {
    events: [exited('Roll back'), entered('Deployment rolled back', 'FailStateEntered')],
    weights: [100, 0],
    ended: { status: 'FAILED', stopDate: at(10, 20), error: 'GateFailedError' },
  },
];

const SUCCEEDED: DeploymentRecord = {
  ...WAITING_RECORD,
  status: 'SUCCEEDED',
  awaitingApproval: false,
  outcomeReason: 'v1.4.2 live on green',
  endedAt: iso(15, 30),
};
const ROLLED_BACK: DeploymentRecord = {
  ...WAITING_RECORD,
  status: 'ROLLED_BACK',
  awaitingApproval: false,
  outcomeReason: 'GateFailedError: gate failed while holding green at 25 %',
  endedAt: iso(10, 20),
};
/** The record's view: without the approval token (nor table keys). */
const view = ({ approvalToken: _token, ...rest }: DeploymentRecord) => rest;

beforeEach(() => {
  resetMocks();
  vi.stubEnv('NO_COLOR', undefined);
  vi.useFakeTimers({ now: START, toFake: ['Date'] });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

/** Runs baton, the clock moving on with each sleep; each stdout line parsed as JSON on its own. */
async function ndjson(args: string[], tty = false) {
  const result = await runCli(EXAMPLE_CONFIG_PATH, args, { tty, onSleep: (ms) => vi.setSystemTime(Date.now() + ms) });
  expect(result.out.endsWith('\n')).toBe(true);
  expect(result.out).not.toContain('\u001b');
  return {
    ...result,
    lines: result.out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown),
  };
}

describe('baton watch --json (NDJSON)', () => {
  it('prints a canary deployment as one JSON object a line per change, the end last with the record', async () => {
    // Arrange
    givenPolls(CANARY_POLLS, SUCCEEDED);

    // Act
    const result = await ndjson(['watch', 'web', '--interval', '300', '--json']);

    // Assert
    expect(result.code).toBe(0);
    expect(result.lines).toEqual([
      { type: 'start', execution: DEPLOYMENT_ID, image: 'v1.4.2', service: 'web', at: iso(0) },
      { type: 'state', state: 'Shift traffic', status: 'finished', service: 'web', at: iso(0) },
      {
        type: 'state',
        state: 'Shift traffic',
        status: 'entered',
        step: { applied: 1, total: 2 },
        holdUntil: iso(10),
        service: 'web',
        at: iso(0),
      },
      { type: 'weights', blue: 75, green: 25, service: 'web', at: iso(0) },
      { type: 'heartbeat', state: 'Shift traffic', execution: 'RUNNING', elapsedSeconds: 300, service: 'web', at: iso(5) },
      { type: 'state', state: 'Check bake', status: 'entered', bakeUntil: iso(15), service: 'web', at: iso(10) },
      { type: 'weights', blue: 0, green: 100, service: 'web', at: iso(10) },
      { type: 'state', state: 'Check bake', status: 'finished', service: 'web', at: iso(15) },
      { type: 'state', state: 'Complete deployment', status: 'finished', service: 'web', at: iso(15) },
      { type: 'end', execution: 'SUCCEEDED', service: 'web', status: 'SUCCEEDED', at: iso(15), record: view(SUCCEEDED) },
    ]);
  });

  it('prints a rollback: the failed state, the weights back on blue, the end ROLLED_BACK with the record', async () => {
    // Arrange
    givenPolls(ROLLBACK_POLLS, ROLLED_BACK);

    // Act: on a terminal too, --json writes NDJSON, never a frame
    const result = await ndjson(['watch', 'web', '--interval', '300', '--json'], true);

    // Assert
    expect(result.code).toBe(1);
    expect(result.lines.slice(4)).toEqual([
      { type: 'state', state: 'Shift traffic', status: 'failed', error: 'GateFailedError', service: 'web', at: iso(5) },
      { type: 'state', state: 'Roll back', status: 'entered', service: 'web', at: iso(5) },
      { type: 'weights', blue: 100, green: 0, service: 'web', at: iso(5) },
      { type: 'state', state: 'Roll back', status: 'finished', service: 'web', at: iso(10) },
      {
        type: 'end',
        execution: 'FAILED',
        error: 'GateFailedError',
        service: 'web',
        status: 'ROLLED_BACK',
        at: iso(10),
        record: view(ROLLED_BACK),
      },
    ]);
    expect(result.out).not.toContain(String(WAITING_RECORD.approvalToken));
    expect(result.out).not.toMatch(/"(pk|sk|gsi1pk|gsi1sk|expiresAt)"/);
  });

  it('deploy --watch --json prints only NDJSON: no "Started" line', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: START });
    givenPolls(ROLLBACK_POLLS, ROLLED_BACK);

    // Act
    const result = await ndjson(['deploy', 'web', '--tag', 'v1.4.2', '--watch', '--json', '--interval', '300']);

    // Assert
    expect(result.code).toBe(1);
    expect(result.lines.map((line) => (line as { type: string }).type)).toEqual([
      'start',
      'state',
      'state',
      'weights',
      'state',
      'state',
      'weights',
      'state',
      'end',
    ]);
  });
});

const ESC = '\u001b';

describe('baton watch in colour on a terminal', () => {
  it('colours the status, marks the failed state red, and the record status', async () => {
    // Arrange
    givenPolls(ROLLBACK_POLLS, ROLLED_BACK);

    // Act
    const result = await runCli(EXAMPLE_CONFIG_PATH, ['watch', 'web', '--interval', '300'], {
      terminalColumns: 120,
      onSleep: (ms) => vi.setSystemTime(Date.now() + ms),
    });

    // Assert: the last frame and the verdict
    expect(result.code).toBe(1);
    const last = result.out.split(`${ESC}[J`).pop();
    expect(last).toBe(
      [
        `web  ${DEPLOYMENT_ID}  ${ESC}[31mFAILED${ESC}[39m  10m20s elapsed`,
        '  image    v1.4.2',
        `  ${ESC}[31mfailed   Shift traffic: GateFailedError${ESC}[39m`,
        '  done     Roll back',
        '  traffic  blue  100 % ####################',
        '           green   0 % ....................',
        '  GateFailedError: ',
        `${ESC}[31mROLLED_BACK${ESC}[39m: GateFailedError: gate failed while holding green at 25 %`,
        '',
      ].join('\n'),
    );
    expect(result.out).toContain(`web  ${DEPLOYMENT_ID}  ${ESC}[33mRUNNING${ESC}[39m  0m00s elapsed\n`);
  });

  it.each([
    ['--no-color', ['--no-color'], {}],
    ['NO_COLOR=1', [], { NO_COLOR: '1' }],
  ])('writes no colour with %s', async (_name, args, env) => {
    // Arrange
    givenPolls(ROLLBACK_POLLS, ROLLED_BACK);
    for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);

    // Act
    const result = await runCli(EXAMPLE_CONFIG_PATH, ['watch', 'web', '--interval', '300', ...args], { terminalColumns: 120 });

    // Assert: the redraw's cursor moves, no colour
    expect(result.out).toContain(`${ESC}[J`);
    expect(result.out).not.toMatch(new RegExp(`${ESC}\\[\\d+m`));
  });

  it('cuts a coloured line by what shows: the colour closed before the ellipsis', async () => {
    // Arrange
    givenPolls(ROLLBACK_POLLS, ROLLED_BACK);

    // Act
    const result = await runCli(EXAMPLE_CONFIG_PATH, ['watch', 'web', '--interval', '300'], { terminalColumns: 30 });

    // Assert
    expect(result.out).toContain(`  ${ESC}[31mfailed   Shift traffic: Gat${ESC}[39m…\n`);
    // Cut right before the status: no colour opened on nothing.
    expect(result.out).toContain(`web  ${DEPLOYMENT_ID.slice(0, 24)}…\n`);
  });
});

describe('changesBetween', () => {
  it('reports a state that failed as failed, not also as finished', () => {
    // Arrange
    const before: ExecutionView = {
      executionArn: EXECUTION_ARN,
      name: DEPLOYMENT_ID,
      status: 'RUNNING',
      startDate: iso(0),
      elapsedSeconds: 60,
      completed: ['Validate'],
      failed: [],
      currentState: 'Shift traffic',
    };
    const after: ExecutionView = {
      ...before,
      completed: ['Validate', 'Verify new colour', 'Shift traffic'],
      failed: [{ state: 'Shift traffic', error: 'GateFailedError' }],
      currentState: 'Roll back',
    };

    // Act
    const changes = changesBetween(before, after).map((change) => describeChange('web', change));

    // Assert
    expect(changes).toEqual(['finished Verify new colour', 'failed Shift traffic: GateFailedError', 'entered Roll back']);
  });
});
