/**
 * Redrawing the live view in place on a terminal. The cursor goes up over
 * the rows the last frame took, not its lines: a line longer than the
 * terminal wraps onto more rows, and moving up by lines would leave the top of
 * the last frame on screen, under the new one. Lines are cut to the width, so
 * a frame takes one row per line; the rows of the last frame are still
 * counted at the width now, in case the terminal narrowed and rewrapped them.
 * Widths count what the terminal shows: colour sequences take no column.
 */
import { sliceVisible, visibleLength } from './colour.ts';

/** The width assumed when the terminal does not say (a pipe has none). */
export const DEFAULT_COLUMNS = 80;

/** Each line cut to `columns` characters, the cut marked with an ellipsis. */
export function fitLines(lines: readonly string[], columns: number): string[] {
  return lines.map((line) => (visibleLength(line) > columns ? `${sliceVisible(line, Math.max(0, columns - 1))}…` : line));
}

/** Terminal rows `lines` take at `columns` characters a row (an empty line takes one). */
export function rowsOf(lines: readonly string[], columns: number): number {
  return lines.reduce((rows, line) => rows + Math.max(1, Math.ceil(visibleLength(line) / columns)), 0);
}

/** What to write to replace `previous` (already on screen, nothing after it) with `next`: up over its rows, clear down, the new frame. */
export function redraw(previous: readonly string[], next: readonly string[], columns: number): { text: string; drawn: string[] } {
  const drawn = fitLines(next, columns);
  const up = previous.length ? `\u001b[${rowsOf(previous, columns)}A\u001b[J` : '';
  return { text: `${up}${drawn.join('\n')}\n`, drawn };
}

/**
 * `text` (plain, no colour) in lines of at most `columns` characters, broken
 * at spaces (a word longer than a line at the width), the lines after the
 * first indented by two: for what is written once, after the last frame,
 * where cutting would lose what the reader needs.
 */
export function wrapText(text: string, columns: number): string[] {
  const lines: string[] = [];
  let rest = text;
  let indent = '';
  // Stops once the text is used up, whatever the width (a wrap at a width narrower than the indent).
  while (rest.length > 0 && indent.length + rest.length > columns) {
    const room = Math.max(1, columns - indent.length);
    const space = rest.lastIndexOf(' ', room);
    const cut = space > 0 ? space : room;
    lines.push(`${indent}${rest.slice(0, cut)}`.trimEnd());
    rest = rest.slice(cut).trimStart();
    indent = '  ';
  }
  if (rest.length > 0 || lines.length === 0) lines.push(`${indent}${rest}`);
  return lines;
}
