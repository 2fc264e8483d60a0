/** `npm run bench`'s table (scripts/bench/table.ts): the verdict against a target, and the Markdown and JSON it prints. */
import { describe, expect, it } from 'vitest';
import type { Cell } from '../../../../scripts/bench/table.ts';
import { type BatonCell, type Row, renderJson, renderMarkdown, type Target, verdict } from '../../../../scripts/bench/table.ts';

const underTen: Target = { text: 'under 10', holds: (value) => value < 10 };
const plain = (text: string, note?: string): Cell => (note ? { text, note } : { text });

function row(figure: string, baton: { example: BatonCell; release: BatonCell }, meets: Row['meets']): Row {
  return {
    figure,
    target: 'under 10',
    baton,
    meets,
    competitors: { ecs: plain('n/a', 'No history.'), codedeploy: plain('n/a', 'No history.'), flagger: plain('0-60 s', 'Every interval.') },
  };
}

describe('verdict', () => {
  it('is ✓ when every measured cell is within the target', () => {
    expect(
      verdict(underTen, [
        { text: '3', value: 3 },
        { text: '9', value: 9 },
      ]),
    ).toBe('✓');
  });

  it('is ✗ when one measured cell is outside the target', () => {
    expect(
      verdict(underTen, [
        { text: '3', value: 3 },
        { text: '10', value: 10 },
      ]),
    ).toBe('✗');
  });

  it('is ✗ when a measured cell has no value (refused at synth, failed)', () => {
    expect(verdict(underTen, [{ text: 'refused at synth' }])).toBe('✗');
  });

  it('leaves out skipped, not-applicable and informational cells; skipped when nothing was measured', () => {
    expect(
      verdict(underTen, [
        { text: '3', value: 3 },
        { text: '50', value: 50, state: 'informational' },
      ]),
    ).toBe('✓');
    expect(
      verdict(underTen, [
        { text: 'skipped', state: 'skipped' },
        { text: '—', state: 'not-applicable' },
      ]),
    ).toBe('skipped');
  });
});

describe('renderMarkdown', () => {
  it('pads the columns, numbers each distinct note once, and escapes pipes', () => {
    // Arrange
    const rows = [
      row('a | b', { example: { text: '3', value: 3 }, release: { text: '12', value: 12, note: 'Three services.' } }, '✗'),
      row(
        'c',
        { example: { text: 'skipped', note: 'Quick.', state: 'skipped' }, release: { text: '—', state: 'not-applicable' } },
        'skipped',
      ),
    ];

    // Act
    const text = renderMarkdown(rows);

    // Assert
    expect(text.split('\n')).toEqual([
      '| figure | target   | Baton, example service | Baton, three-service release | meets   | ECS built-in blue/green | CodeDeploy (predefined ECS configs) | Flagger    |',
      '| ------ | -------- | ---------------------- | ---------------------------- | ------- | ----------------------- | ----------------------------------- | ---------- |',
      '| a \\| b | under 10 | 3                      | 12 [1]                       | ✗       | n/a [2]                 | n/a [2]                             | 0-60 s [3] |',
      '| c      | under 10 | skipped [4]            | —                            | skipped | n/a [2]                 | n/a [2]                             | 0-60 s [3] |',
      '',
      '[1] Three services.',
      '[2] No history.',
      '[3] Every interval.',
      '[4] Quick.',
    ]);
  });
});

describe('renderJson', () => {
  it('prints the rows with their values, states and notes', () => {
    // Arrange
    const rows = [row('c', { example: { text: '3', value: 3 }, release: { text: '—', state: 'not-applicable' } }, '✓')];

    // Act
    const json = JSON.parse(renderJson(rows)) as { rows: Row[] };

    // Assert
    expect(json.rows[0]?.baton).toEqual({ example: { text: '3', value: 3 }, release: { text: '—', state: 'not-applicable' } });
    expect(json.rows[0]?.meets).toBe('✓');
    expect(json.rows[0]?.competitors.flagger).toEqual({ text: '0-60 s', note: 'Every interval.' });
  });
});
