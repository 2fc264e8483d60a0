/** Columns for a terminal: a header, each column as wide as its widest value, no trailing spaces. */

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
  /** Numbers and durations line up on the right. */
  readonly align?: 'left' | 'right';
}

export function table<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string[] {
  const cells = [columns.map((column) => column.header), ...rows.map((row) => columns.map((column) => column.value(row)))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => line[index]?.length ?? 0)));
  return cells.map((line) =>
    line
      .map((cell, index) => (columns[index]?.align === 'right' ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
