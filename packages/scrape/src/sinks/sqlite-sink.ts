import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ScrapeResult } from '../scrape/scraper.js';
import { resultRows } from './recorded-sample.js';
import type { RecordSink } from './sink.js';

/** Bumped when the schema changes incompatibly. */
export const SQLITE_SCHEMA_VERSION = '1';

/** The recording schema (see README "SQLite"). */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scrapes (
  id INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  target TEXT NOT NULL,
  url TEXT NOT NULL,
  up INTEGER NOT NULL,
  duration_s REAL NOT NULL,
  samples INTEGER NOT NULL,
  malformed INTEGER NOT NULL,
  error TEXT
);
CREATE TABLE IF NOT EXISTS samples (
  scrape_id INTEGER NOT NULL REFERENCES scrapes(id),
  ts_ms INTEGER NOT NULL,
  target TEXT NOT NULL,
  family TEXT NOT NULL,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  labels TEXT NOT NULL,
  value REAL
);
CREATE INDEX IF NOT EXISTS samples_by_family ON samples (family, target, ts_ms);
`;

/** Loads `node:sqlite` lazily so importing this package never pulls it in (Node 22 prints a warning). */
export async function openDatabase(path: string, readOnly = false): Promise<DatabaseSync> {
  const { DatabaseSync } = await import('node:sqlite');
  return new DatabaseSync(path, { readOnly });
}

/**
 * SQLite via Node's built-in `node:sqlite`. One transaction per round in WAL
 * mode, so a crash loses at most the round being written and readers (a live
 * `tokenmeter report`) never block the recorder. NaN is stored as NULL.
 */
export class SqliteSink implements RecordSink {
  readonly name = 'sqlite';
  private readonly insertScrape: StatementSync;
  private readonly insertSample: StatementSync;

  private constructor(private readonly db: DatabaseSync) {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    db.exec(SQLITE_SCHEMA);
    const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    if (version && version.value !== SQLITE_SCHEMA_VERSION) {
      db.close();
      throw new Error(
        `recording schema version ${version.value} is not supported (expected ${SQLITE_SCHEMA_VERSION})`,
      );
    }
    const meta = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
    meta.run('format', 'tokenmeter-recording');
    meta.run('schema_version', SQLITE_SCHEMA_VERSION);
    meta.run('started_ms', String(Date.now()));
    this.insertScrape = db.prepare(
      'INSERT INTO scrapes (ts_ms, target, url, up, duration_s, samples, malformed, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertSample = db.prepare(
      'INSERT INTO samples (scrape_id, ts_ms, target, family, type, name, labels, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Opens (creating if needed) a recording database. */
  static async open(path: string): Promise<SqliteSink> {
    return new SqliteSink(await openDatabase(path));
  }

  write(results: readonly ScrapeResult[]): void {
    this.db.exec('BEGIN');
    try {
      for (const r of results) {
        const { lastInsertRowid } = this.insertScrape.run(
          r.timestampMs,
          r.target,
          r.url,
          r.up ? 1 : 0,
          r.durationSeconds,
          r.samples,
          r.malformed,
          r.error ?? null,
        );
        for (const row of resultRows(r)) {
          this.insertSample.run(
            lastInsertRowid,
            row.ts,
            row.target,
            row.family,
            row.type,
            row.name,
            JSON.stringify(row.labels),
            Number.isNaN(row.value) ? null : row.value,
          );
        }
      }
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
