/**
 * The one CSV dialect every tokenmeter CSV is written in (recordings, the file
 * exporter, run reports) and read back with: RFC 4180 fields, a header row,
 * `\n` line ends, numbers as the text formats write them (`NaN`, `+Inf`,
 * `-Inf`), and a label or attribute set as a JSON object in one field.
 */
import { formatValue } from './format-value.js';

const NEEDS_QUOTES = /[",\r\n]/;

/** A field, quoted (quotes doubled) only when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A number field as {@link formatValue} writes it; empty for anything that is not a number. */
export function csvNumber(value: unknown): string {
  return typeof value === 'number' ? formatValue(value) : '';
}

/**
 * Splits RFC 4180 text into rows of fields: quoted fields may hold commas,
 * doubled quotes and line breaks; `\r\n` and `\n` both end a row.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
