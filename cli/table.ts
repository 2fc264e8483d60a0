/** Columns for a terminal: a header, each column as wide as its widest value, no trailing spaces. */

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
  /** Numbers and durations line up on the right. */
  readonly align?: 'left' | 'right';
  /** Decorates the padded cell (colour), which the widths do not count. */
  readonly paint?: (cell: string, row: Row) => string;
}

export function table<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string[] {
  const cells = [columns.map((column) => column.header), ...rows.map((row) => columns.map((column) => column.value(row)))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => line[index]?.length ?? 0)));
  const pad = (cell: string, index: number) =>
    columns[index]?.align === 'right' ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0);
  const [header = [], ...body] = cells;
  return [
    header.map(pad).join('  ').trimEnd(),
    ...body.map((line, row) =>
      line
        .map((cell, index) => {
          const paint = columns[index]?.paint;
          const record = rows[row];
          // Pad first, then paint the value alone: the padding stays plain and the trailing spaces can go.
          const padded = pad(cell, index);
          return paint && record !== undefined && cell ? padded.replace(cell, paint(cell, record)) : padded;
        })
        .join('  ')
        .trimEnd(),
    ),
  ];
}
