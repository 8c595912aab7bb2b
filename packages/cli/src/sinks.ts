import {
  CsvSink,
  JsonlSink,
  PromFileSink,
  type RecordSink,
  recordingFormat,
  SqliteSink,
} from '@tokenmeter/scrape';
import { CliError, EXIT, usage } from './exit-codes.js';

/** Opens the sink an `--out` path asks for, by extension. */
export async function openSink(path: string): Promise<RecordSink> {
  const isProm = /\.prom$/i.test(path);
  const format = recordingFormat(path);
  if (!isProm && !format) {
    throw usage(`--out ${path}: unknown extension; use .sqlite, .csv, .jsonl or .prom`);
  }
  try {
    if (isProm) return new PromFileSink({ path });
    if (format === 'sqlite') return await SqliteSink.open(path);
    if (format === 'csv') return new CsvSink({ path });
    return new JsonlSink({ path });
  } catch (error) {
    throw new CliError(`cannot open ${path} for writing: ${(error as Error).message}`, EXIT.IO);
  }
}
