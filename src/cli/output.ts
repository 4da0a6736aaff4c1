// How a result looks on a terminal: records as aligned `key  value` lines, lists of records as tables.
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

function scalar(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(scalar).join(', ');
  if (isRecord(value)) return JSON.stringify(value);
  return String(value);
}

/** `key  value` lines, keys padded to one column. */
export function formatRecord(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${k.padEnd(width)}  ${scalar(record[k])}`).join('\n');
}

/** A table of the given columns (all keys of the first row by default); long cells are cut at 60 characters. */
export function formatTable(rows: Array<Record<string, unknown>>, columns = Object.keys(rows[0] ?? {})): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => ((s) => (s.length > 60 ? `${s.slice(0, 59)}…` : s))(scalar(row[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Any result: a record whose values are records or lists is printed section by section. */
export function formatResult(result: unknown): string {
  if (Array.isArray(result)) return result.every(isRecord) ? formatTable(result) : result.map(scalar).join('\n');
  if (!isRecord(result)) return scalar(result);
  const flat: Record<string, unknown> = {};
  const sections: string[] = [];
  for (const [key, value] of Object.entries(result)) {
    if (isRecord(value)) sections.push(`${key}:\n${indent(formatRecord(value))}`);
    else if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) sections.push(`${key}:\n${indent(formatTable(value))}`);
    else flat[key] = value;
  }
  return [...(Object.keys(flat).length > 0 ? [formatRecord(flat)] : []), ...sections].join('\n\n');
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
