import type { ScrapeResult } from '../scrape/scraper.js';
import { AppendFile } from './append-file.js';
import { jsonValue, resultRows } from './recorded-sample.js';
import type { RecordSink } from './sink.js';

export interface FileSinkOptions {
  path: string;
  /** fsync after every round (survives power loss; slower). @default false */
  fsync?: boolean;
}

/**
 * JSON lines, one object per sample:
 * `{"ts":1700000000000,"target":"127.0.0.1:8000","family":"vllm:num_requests_running","type":"gauge","name":"vllm:num_requests_running","labels":{"model_name":"m"},"value":3}`.
 * NaN/±Inf are the strings `"NaN"`, `"+Inf"`, `"-Inf"`. Appends to an existing file.
 */
export class JsonlSink implements RecordSink {
  readonly name = 'jsonl';
  private readonly file: AppendFile;

  constructor(options: FileSinkOptions) {
    this.file = new AppendFile(options.path, options.fsync);
  }

  write(results: readonly ScrapeResult[]): void {
    let text = '';
    for (const r of results) {
      for (const row of resultRows(r)) text += `${JSON.stringify({ ...row, value: jsonValue(row.value) })}\n`;
    }
    this.file.append(text);
  }

  close(): void {
    this.file.close();
  }
}
