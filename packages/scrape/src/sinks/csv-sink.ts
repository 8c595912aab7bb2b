import { csvField, csvNumber } from '@tokenmeter/exposition';
import type { ScrapeResult } from '../scrape/scraper.js';
import { AppendFile } from './append-file.js';
import type { FileSinkOptions } from './jsonl-sink.js';
import { resultRows } from './recorded-sample.js';
import type { RecordSink } from './sink.js';

/** Header of recording CSVs; `labels` is a JSON object, `value` may be `NaN`/`+Inf`/`-Inf`. */
export const CSV_HEADER = ['timestamp_ms', 'target', 'family', 'type', 'name', 'labels', 'value'] as const;

/**
 * CSV, one row per sample, columns {@link CSV_HEADER}. Appends to an existing
 * recording with the same header; refuses a file with a different one.
 */
export class CsvSink implements RecordSink {
  readonly name = 'csv';
  private readonly file: AppendFile;

  constructor(options: FileSinkOptions) {
    this.file = new AppendFile(options.path, options.fsync);
    const header = CSV_HEADER.join(',');
    if (this.file.wasEmpty) {
      this.file.append(`${header}\n`);
    } else if (!this.file.head(header.length + 1).startsWith(header)) {
      this.file.close();
      throw new Error(`${options.path} exists and is not a tokenmeter CSV recording; choose another --out`);
    }
  }

  write(results: readonly ScrapeResult[]): void {
    let text = '';
    for (const r of results) {
      for (const row of resultRows(r)) {
        text += `${row.ts},${csvField(row.target)},${csvField(row.family)},${row.type},${csvField(row.name)},${csvField(JSON.stringify(row.labels))},${csvNumber(row.value)}\n`;
      }
    }
    this.file.append(text);
  }

  close(): void {
    this.file.close();
  }
}
