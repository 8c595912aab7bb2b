import { diag } from '@opentelemetry/api';
import { formatFromContentType, parseExposition } from '../text/parser.js';
import type { ExpositionFormat, MetricFamily, ParseDiagnostic } from '../text/types.js';
import { type BackoffOptions, backoffDelay, sleep } from './backoff.js';
import { fetchExposition, ScrapeError } from './fetch-exposition.js';
import { compileSelection, type MetricSelection } from './select.js';

/** An endpoint to scrape. */
export interface ScrapeTarget {
  url: string;
  /** Identifies the target in recordings and attributes. @default `host:port` of `url` */
  name?: string;
  /** Extra request headers (e.g. `authorization`). */
  headers?: Record<string, string>;
}

export interface ScraperOptions {
  /** URLs or targets; at least one. */
  targets: ReadonlyArray<string | ScrapeTarget>;
  /** Time between scrape starts. @default 15000 */
  intervalMillis?: number;
  /** Deadline of one attempt, body included. @default 10000 (capped at the interval) */
  timeoutMillis?: number;
  /** Largest decoded response accepted. @default 16 MiB */
  maxResponseBytes?: number;
  /** Extra attempts after a retryable failure, never past the next scheduled scrape. @default 2 */
  retries?: number;
  /** Delays between attempts. */
  backoff?: BackoffOptions;
  /** Which families/series to keep. @default everything */
  selection?: MetricSelection;
  /** Rewrites families after selection (presets use this). @default none */
  transform?: (families: MetricFamily[]) => MetricFamily[];
  /** Headers sent to every target. */
  headers?: Record<string, string>;
}

/** The outcome of scraping one target once. */
export interface ScrapeResult {
  /** `ScrapeTarget.name` (or `host:port`). */
  target: string;
  url: string;
  /** When the scrape started, ms since the epoch. */
  timestampMs: number;
  /** Wall time of the scrape, retries included. */
  durationSeconds: number;
  up: boolean;
  /** Selected families (empty when down). */
  families: MetricFamily[];
  format?: ExpositionFormat;
  /** Samples kept after selection. */
  samples: number;
  malformed: number;
  diagnostics: ParseDiagnostic[];
  attempts: number;
  bytes: number;
  /** Why the scrape failed, when `up` is false. */
  error?: string;
}

export type ScrapeListener = (results: ScrapeResult[]) => void | Promise<void>;

/** `host:port` of a URL, the conventional Prometheus `instance`. */
export function targetName(url: string): string {
  try {
    const u = new URL(url);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return `${u.hostname}:${port}`;
  } catch {
    return url;
  }
}

function normalise(t: string | ScrapeTarget): Required<Pick<ScrapeTarget, 'url' | 'name'>> & ScrapeTarget {
  const target = typeof t === 'string' ? { url: t } : t;
  try {
    new URL(target.url);
  } catch {
    throw new TypeError(`invalid scrape URL '${target.url}' (expected e.g. http://localhost:8000/metrics)`);
  }
  return { ...target, name: target.name ?? targetName(target.url) };
}

/**
 * Scrapes Prometheus/OpenMetrics endpoints on an interval. Never throws from the
 * loop: failures become results with `up: false` (and `diag` messages).
 */
export class Scraper {
  readonly intervalMillis: number;
  private readonly targets: ReturnType<typeof normalise>[];
  private readonly timeoutMillis: number;
  private readonly select: (f: MetricFamily[]) => MetricFamily[];
  private readonly latestByTarget = new Map<string, ScrapeResult>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<ScrapeResult[]> | undefined;
  private running = false;
  /** Scrape rounds completed (one round scrapes every target). */
  rounds = 0;
  /** Target scrapes that ended with `up: false`. */
  failures = 0;

  constructor(private readonly options: ScraperOptions) {
    if (options.targets.length === 0) throw new TypeError('Scraper needs at least one target');
    this.targets = options.targets.map(normalise);
    const names = new Set(this.targets.map((t) => t.name));
    if (names.size !== this.targets.length) throw new TypeError('scrape targets must have distinct names');
    this.intervalMillis = options.intervalMillis ?? 15_000;
    if (!(this.intervalMillis > 0)) throw new TypeError('intervalMillis must be > 0');
    this.timeoutMillis = Math.min(options.timeoutMillis ?? 10_000, this.intervalMillis);
    this.select = compileSelection(options.selection);
  }

  /** The most recent result per target name. */
  get latest(): ReadonlyMap<string, ScrapeResult> {
    return this.latestByTarget;
  }

  get targetNames(): string[] {
    return this.targets.map((t) => t.name);
  }

  /** Scrapes every target once, concurrently. Concurrent callers share one round. */
  scrapeOnce(): Promise<ScrapeResult[]> {
    if (this.inFlight) return this.inFlight;
    const round = Promise.all(this.targets.map((t) => this.scrapeTarget(t))).then((results) => {
      this.rounds++;
      for (const r of results) {
        this.latestByTarget.set(r.target, r);
        if (!r.up) this.failures++;
      }
      return results;
    });
    this.inFlight = round.finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Scrapes now and then every `intervalMillis` (fixed rate: a slow scrape
   * skips slots rather than drifting), handing each round to `listener`.
   */
  start(listener?: ScrapeListener): void {
    if (this.running) return;
    this.running = true;
    const started = Date.now();
    const tick = async () => {
      if (!this.running) return;
      try {
        const results = await this.scrapeOnce();
        if (this.running || results.length > 0) await listener?.(results);
      } catch (error) {
        diag.error('tokenmeter scrape: listener failed', error);
      }
      if (!this.running) return;
      const elapsed = Date.now() - started;
      const next = Math.ceil((elapsed + 1) / this.intervalMillis) * this.intervalMillis;
      this.timer = setTimeout(() => {
        this.loop = tick();
      }, next - elapsed);
    };
    this.loop = tick();
  }

  /** The latest round with its listener call: what `stop()` waits for (a sink may still be writing). */
  private loop: Promise<void> | undefined;

  /**
   * Stops the loop. A round already in flight finishes (bounded by the
   * timeout) and is still handed to the listener, so nothing scraped is lost.
   */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.inFlight?.catch(() => {});
    await this.loop;
  }

  /** Stops and cancels requests in flight. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.stop();
  }

  private async scrapeTarget(target: ReturnType<typeof normalise>): Promise<ScrapeResult> {
    const timestampMs = Date.now();
    const t0 = performance.now();
    const retries = this.options.retries ?? 2;
    let attempts = 0;
    let lastError: ScrapeError | undefined;
    for (;;) {
      attempts++;
      try {
        const fetched = await fetchExposition(target.url, {
          timeoutMillis: this.timeoutMillis,
          maxBytes: this.options.maxResponseBytes ?? 16 * 1024 * 1024,
          headers: { ...this.options.headers, ...target.headers },
          signal: this.abort.signal,
        });
        const parsed = parseExposition(fetched.body, { format: formatFromContentType(fetched.contentType) });
        if (parsed.malformed > 0) {
          const first = parsed.diagnostics[0];
          diag.warn(
            `tokenmeter scrape: ${target.url}: skipped ${parsed.malformed} malformed line(s)` +
              (first ? `; first at line ${first.line}: ${first.message}` : ''),
          );
        }
        let families = this.select(parsed.families);
        if (this.options.transform) families = this.options.transform(families);
        return {
          target: target.name,
          url: target.url,
          timestampMs,
          durationSeconds: (performance.now() - t0) / 1000,
          up: true,
          families,
          format: parsed.format,
          samples: families.reduce((n, f) => n + f.samples.length, 0),
          malformed: parsed.malformed,
          diagnostics: parsed.diagnostics,
          attempts,
          bytes: fetched.bytes,
        };
      } catch (error) {
        lastError = error instanceof ScrapeError ? error : new ScrapeError(String(error), 'network', false);
      }
      if (!lastError.retryable || attempts > retries || this.abort.signal.aborted) break;
      const delay = backoffDelay(attempts, this.options.backoff);
      // A retry that would overlap the next scheduled scrape is pointless.
      const spent = performance.now() - t0;
      if (spent + delay >= this.intervalMillis) break;
      await sleep(delay, this.abort.signal);
    }
    diag.warn(`tokenmeter scrape: ${target.url} failed after ${attempts} attempt(s): ${lastError.message}`);
    return {
      target: target.name,
      url: target.url,
      timestampMs,
      durationSeconds: (performance.now() - t0) / 1000,
      up: false,
      families: [],
      samples: 0,
      malformed: 0,
      diagnostics: [],
      attempts,
      bytes: 0,
      error: lastError.message,
    };
  }
}
