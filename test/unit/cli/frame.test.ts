/** The frames `baton watch` draws: what a failed state, a step, a hold and an approval look like, and the redraw at 40 and 120 columns. */
import { describe, expect, it } from 'vitest';
import type { ExecutionView } from '../../../cli/execution.ts';
import { fitLines, redraw, rowsOf, wrapText } from '../../../cli/frame.ts';
import { renderView } from '../../../cli/output.ts';

const NOW = new Date('2026-11-23T09:10:00.000Z');
const BASE: ExecutionView = {
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_2-20261123T090000Z',
  name: 'web-v1_4_2-20261123T090000Z',
  status: 'RUNNING',
  startDate: '2026-11-23T09:00:00.000Z',
  elapsedSeconds: 600,
  completed: ['Initialize', 'Validate', 'Deploy', 'Verify', 'Shift traffic'],
  failed: [],
  image: 'v1.4.2',
  traffic: { blue: 50, green: 50 },
};

describe('renderView', () => {
  it('shows the image, the strategy step and the time left in the hold', () => {
    // Arrange
    const view: ExecutionView = {
      ...BASE,
      currentState: 'Shift traffic',
      step: { applied: 2, total: 4 },
      holdUntil: '2026-11-23T09:13:00.000Z',
    };

    // Act
    const lines = renderView('web', view, NOW);

    // Assert
    expect(lines).toEqual([
      'web  web-v1_4_2-20261123T090000Z  RUNNING  10m00s elapsed',
      '  image    v1.4.2',
      '  done     Initialize',
      '  done     Validate',
      '  done     Deploy',
      '  done     Verify',
      // Shift traffic watches the hold in a new invocation: shown as the state now, not also as done.
      '  now      Shift traffic  (step 2/4, holds until 09:13:00 UTC (3m00s left))',
      '  traffic  blue   50 % ##########..........',
      '           green  50 % ##########..........',
    ]);
  });

  it('says what to run, and before when, while the deployment waits for approval', () => {
    // Arrange
    const view: ExecutionView = {
      ...BASE,
      completed: ['Initialize', 'Verify'],
      currentState: 'Wait for approval',
      approvalDeadline: '2026-11-23T10:08:00.000Z',
      traffic: { blue: 100, green: 0 },
    };

    // Act
    const lines = renderView('web', view, NOW);

    // Assert
    expect(lines.slice(4, 6)).toEqual([
      '  now      Wait for approval',
      '  next     run "baton approve web" before 10:08:00 UTC (58m00s left; then it rolls back)',
    ]);
  });

  it('says what to run, and before when, while a traffic step waits for baton promote', () => {
    // Arrange
    const view: ExecutionView = {
      ...BASE,
      currentState: 'Shift traffic',
      step: { applied: 1, total: 3 },
      holdUntil: '2026-11-24T09:00:45.000Z',
      promotion: { onTimeout: 'rollback' },
      traffic: { blue: 90, green: 10 },
    };

    // Act
    const lines = renderView('web', view, NOW);

    // Assert
    expect(lines.slice(6, 8)).toEqual([
      '  now      Shift traffic  (step 1/3, holds until 09:00:45 UTC (23h50m left))',
      '  next     run "baton promote web" (--full: to 100 %) before 09:00:45 UTC (23h50m left; then it rolls back), or "baton abort web"',
    ]);
  });

  it('marks a state that failed as failed, with its error, not as done', () => {
    // Arrange
    const view: ExecutionView = {
      ...BASE,
      status: 'FAILED',
      completed: ['Initialize', 'Shift traffic', 'Roll back'],
      failed: [{ state: 'Shift traffic', error: 'GateFailedError' }],
      currentState: 'Rolled back',
      traffic: { blue: 100, green: 0 },
    };

    // Act
    const lines = renderView('web', view, NOW);

    // Assert
    expect(lines).toContain('  failed   Shift traffic: GateFailedError');
    expect(lines).not.toContain('  done     Shift traffic');
    expect(lines).toContain('  done     Roll back');
  });
});

describe('redraw', () => {
  const view: ExecutionView = { ...BASE, currentState: 'Wait for approval', approvalDeadline: '2026-11-23T10:08:00.000Z' };

  it.each([40, 120])('at %i columns, cuts every line to the width and moves up over the rows the last frame took', (columns) => {
    // Arrange
    const first = redraw([], renderView('web', view, NOW), columns);

    // Act
    const second = redraw(first.drawn, renderView('web', view, NOW), columns);

    // Assert
    expect(first.text.startsWith('\u001b[')).toBe(false);
    for (const line of second.drawn) expect(line.length).toBeLessThanOrEqual(columns);
    expect(second.text.startsWith(`\u001b[${first.drawn.length}A\u001b[J`)).toBe(true);
    expect(second.text.slice(second.text.indexOf('J') + 1)).toBe(`${second.drawn.join('\n')}\n`);
  });

  it('cuts at 40 columns with an ellipsis, and keeps a line that fits at 120', () => {
    // Act
    const narrow = fitLines(renderView('web', view, NOW), 40);
    const wide = fitLines(renderView('web', view, NOW), 120);

    // Assert
    expect(narrow[0]).toBe('web  web-v1_4_2-20261123T090000Z  RUNNI…');
    expect(wide[0]).toBe('web  web-v1_4_2-20261123T090000Z  RUNNING  10m00s elapsed');
  });

  it('counts the rows of lines that wrapped (the terminal narrowed after they were drawn)', () => {
    // Arrange: a frame drawn at 120 columns, on a terminal now 40 wide
    const drawn = ['x'.repeat(100), 'short', ''];

    // Act
    const next = redraw(drawn, ['y'], 40);

    // Assert: 3 + 1 + 1 rows
    expect(rowsOf(drawn, 40)).toBe(5);
    expect(next.text).toBe('\u001b[5A\u001b[Jy\n');
  });
});

describe('wrapText', () => {
  it('breaks the verdict at spaces to the width, the lines after the first indented, a word too long cut', () => {
    // Act
    const lines = wrapText('ROLLED_BACK: GateFailedError: alarm web-5xx-rate is ALARM (Threshold-Crossed-by-far)', 20);

    // Assert
    expect(lines).toEqual([
      'ROLLED_BACK:',
      '  GateFailedError:',
      '  alarm web-5xx-rate',
      '  is ALARM',
      '  (Threshold-Crossed',
      '  -by-far)',
    ]);
  });

  it('ends at a width narrower than its indent, one character a line', () => {
    // Act / Assert
    expect(wrapText('ab c', 1)).toEqual(['a', '  b', '  c']);
  });

  it('leaves a line that fits as it is', () => {
    // Act / Assert
    expect(wrapText('SUCCEEDED: v1.4.2 live', 40)).toEqual(['SUCCEEDED: v1.4.2 live']);
  });
});
