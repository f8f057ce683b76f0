/** One column of a human table: its header and how a row shows in it. */
export interface Column<Row> {
  header: string;
  value(row: Row): unknown;
}

/** A cell as a person reads it: empty for nothing, JSON for objects, one line always. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Rows as left-aligned columns two spaces apart, under a header line; `(none)` when there are no rows. */
export function formatTable<Row>(columns: Column<Row>[], rows: Row[]): string {
  if (!rows.length) return '(none)\n';
  const lines = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => cell(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...lines.map((line) => line[i].length)));
  return lines.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

/** An object's fields as `name  value` lines, names aligned. */
export function formatRecord(record: Record<string, unknown>): string {
  return formatTable(
    [
      { header: 'field', value: ([name]: [string, unknown]) => name },
      { header: 'value', value: ([, value]: [string, unknown]) => value },
    ],
    Object.entries(record),
  )
    .split('\n')
    .slice(1)
    .join('\n');
}
