import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseCsv } from '@tokenmeter/exposition';
import type { Labels, MetricType } from '../text/types.js';
import { CSV_HEADER } from './csv-sink.js';
import { numberFromJson, type RecordedSample } from './recorded-sample.js';
import { openDatabase } from './sqlite-sink.js';

export type RecordingFormat = 'sqlite' | 'csv' | 'jsonl';

export interface Recording {
  path: string;
  format: RecordingFormat;
  /** Rows in recording order. */
  rows: RecordedSample[];
  /** Lines that could not be read (typically one torn line at the end after a crash). */
  skipped: number;
}

/** Picks the format from the file extension: `.sqlite`/`.db`/`.sqlite3`, `.csv`, `.jsonl`/`.ndjson`/`.json`. */
export function recordingFormat(path: string): RecordingFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.sqlite' || ext === '.db' || ext === '.sqlite3') return 'sqlite';
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return undefined;
}

function isRow(r: Partial<RecordedSample>): r is RecordedSample {
  return (
    typeof r.ts === 'number' &&
    typeof r.target === 'string' &&
    typeof r.family === 'string' &&
    typeof r.name === 'string' &&
    typeof r.labels === 'object' &&
    r.labels !== null
  );
}

/** Reads a recording written by any history sink (JSON lines, CSV or SQLite). */
export async function readRecording(path: string, format = recordingFormat(path)): Promise<Recording> {
  if (!format) throw new Error(`cannot tell the format of '${path}' (use .sqlite, .csv or .jsonl)`);
  const rows: RecordedSample[] = [];
  let skipped = 0;
  if (format === 'sqlite') {
    const db = await openDatabase(path, true);
    try {
      const stmt = db.prepare(
        'SELECT ts_ms, target, family, type, name, labels, value FROM samples ORDER BY ts_ms, rowid',
      );
      for (const r of stmt.iterate() as Iterable<Record<string, unknown>>) {
        rows.push({
          ts: Number(r.ts_ms),
          target: String(r.target),
          family: String(r.family),
          type: String(r.type) as MetricType,
          name: String(r.name),
          labels: JSON.parse(String(r.labels)) as Labels,
          value: r.value === null ? Number.NaN : Number(r.value),
        });
      }
    } finally {
      db.close();
    }
    return { path, format, rows, skipped };
  }
  const text = await readFile(path, 'utf8');
  if (format === 'jsonl') {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const r = JSON.parse(line) as Partial<RecordedSample> & { value?: unknown };
        const row = { ...r, value: numberFromJson(r.value) };
        if (isRow(row)) rows.push(row);
        else skipped++;
      } catch {
        skipped++;
      }
    }
    return { path, format, rows, skipped };
  }
  const table = parseCsv(text);
  const header = table.shift();
  if (!header || header.join(',') !== CSV_HEADER.join(',')) {
    throw new Error(`'${path}' is not a tokenmeter CSV recording (expected header ${CSV_HEADER.join(',')})`);
  }
  for (const cells of table) {
    if (cells.length === 1 && cells[0] === '') continue;
    try {
      if (cells.length !== CSV_HEADER.length) throw new Error('column count');
      const [ts, target, family, type, name, labels, value] = cells as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const row = {
        ts: Number(ts),
        target,
        family,
        type: type as MetricType,
        name,
        labels: JSON.parse(labels) as Labels,
        value: numberFromJson(value),
      };
      if (!Number.isFinite(row.ts)) throw new Error('timestamp');
      rows.push(row);
    } catch {
      skipped++;
    }
  }
  return { path, format, rows, skipped };
}
