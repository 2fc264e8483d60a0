/**
 * The bench's table: one row per figure of issue 18, Baton's measured cells
 * (the example service, the three-service release), whether they meet the
 * target, and the competitors' documented cells. Rendered as a Markdown table
 * (readable in a terminal, pasted as is into the README) with numbered
 * footnotes, or as JSON.
 */
import { COMPETITOR_LABELS, type Competitor } from './competitors.ts';

export interface Cell {
  readonly text: string;
  readonly note?: string;
}

/**
 * A Baton cell: `value` is held against the target. A skipped or not-applicable
 * cell is not, nor an informational one (measured, but not what the target is about).
 */
export interface BatonCell extends Cell {
  readonly value?: number;
  readonly state?: 'skipped' | 'not-applicable' | 'informational';
}

export interface Target {
  readonly text: string;
  readonly holds: (value: number) => boolean;
}

export type Verdict = '✓' | '✗' | 'skipped';

export interface Row {
  readonly figure: string;
  readonly target: string;
  readonly baton: { readonly example: BatonCell; readonly release: BatonCell };
  readonly meets: Verdict;
  readonly competitors: Readonly<Record<Competitor, Cell>>;
}

/**
 * ✓ when every cell that was measured has a value within the target; ✗ when one
 * is outside it or has no value (refused, failed); skipped when none was measured.
 */
export function verdict(target: Target, cells: readonly BatonCell[]): Verdict {
  const measured = cells.filter((cell) => cell.state === undefined);
  if (measured.length === 0) return 'skipped';
  return measured.every((cell) => cell.value !== undefined && target.holds(cell.value)) ? '✓' : '✗';
}

const COMPETITORS = Object.keys(COMPETITOR_LABELS) as Competitor[];

/** Numbers each distinct note in order of first appearance. */
class Footnotes {
  readonly notes: string[] = [];

  mark(cell: Cell): string {
    if (!cell.note) return cell.text;
    let index = this.notes.indexOf(cell.note);
    if (index < 0) index = this.notes.push(cell.note) - 1;
    return `${cell.text} [${index + 1}]`;
  }
}

const escapePipes = (text: string) => text.replaceAll('|', '\\|');

/** The table as Markdown, columns padded to line up in a terminal, with its footnotes below. */
export function renderMarkdown(rows: readonly Row[]): string {
  const footnotes = new Footnotes();
  const header = [
    'figure',
    'target',
    'Baton, example service',
    'Baton, three-service release',
    'meets',
    ...COMPETITORS.map((c) => COMPETITOR_LABELS[c]),
  ];
  const body = rows.map((row) => [
    row.figure,
    row.target,
    footnotes.mark(row.baton.example),
    footnotes.mark(row.baton.release),
    row.meets,
    ...COMPETITORS.map((c) => footnotes.mark(row.competitors[c])),
  ]);
  const lines = [header, ...body].map((cells) => cells.map(escapePipes));
  const widths = header.map((_, column) => Math.max(...lines.map((cells) => [...(cells[column] ?? '')].length)));
  const format = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - [...cell].length)).join(' | ')} |`;
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;
  const [first, ...rest] = lines;
  return [format(first ?? []), rule, ...rest.map(format), '', ...footnotes.notes.map((note, index) => `[${index + 1}] ${note}`)].join('\n');
}

/** The table as data: each row with its cells' text, values and notes. */
export function renderJson(rows: readonly Row[]): string {
  return JSON.stringify({ rows }, null, 2);
}
