import type { ScrapeResult } from '../scrape/scraper.js';

/**
 * Where recorded scrapes go. `write` is called once per scrape round and must
 * persist the round before resolving (so a crash loses at most the round in
 * flight); `close` flushes and releases the file or connection.
 */
export interface RecordSink {
  readonly name: string;
  write(results: readonly ScrapeResult[]): void | Promise<void>;
  close(): void | Promise<void>;
}
