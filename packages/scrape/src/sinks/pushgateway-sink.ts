import { diag } from '@opentelemetry/api';
import type { ScrapeResult } from '../scrape/scraper.js';
import { selfMetricFamilies } from '../scrape/self-metrics.js';
import { writeExposition } from '../text/writer.js';
import type { RecordSink } from './sink.js';

export interface PushgatewaySinkOptions {
  /** Pushgateway base URL, e.g. `http://localhost:9091`. */
  url: string;
  /** `job` grouping label. @default 'tokenmeter' */
  job?: string;
  /** Per-push HTTP timeout. @default 5000 */
  timeoutMillis?: number;
  /** Delete this recorder's groups on close (otherwise the last values stay). @default false */
  deleteOnClose?: boolean;
  /** Extra request headers (auth). */
  headers?: Record<string, string>;
}

/** Encodes one grouping-key segment; values with `/` need the base64 form. */
function segment(name: string, value: string): string {
  if (value === '' || value.includes('/'))
    return `${name}@base64/${Buffer.from(value).toString('base64url') || '='}`;
  return `${name}/${encodeURIComponent(value)}`;
}

/**
 * PUTs each round to a Pushgateway, one group per target
 * (`/metrics/job/<job>/instance/<target>`), replacing that group's previous
 * push. Failures are logged and counted, never thrown: a down Pushgateway must
 * not stop a recording that also writes files.
 */
export class PushgatewaySink implements RecordSink {
  readonly name = 'pushgateway';
  /** Pushes that failed. */
  errors = 0;
  pushes = 0;
  lastError: string | undefined;
  private readonly groups = new Set<string>();

  constructor(private readonly options: PushgatewaySinkOptions) {
    new URL(options.url); // fail at construction on a bad URL
  }

  private groupUrl(target: string): string {
    const base = this.options.url.replace(/\/+$/, '');
    return `${base}/metrics/${segment('job', this.options.job ?? 'tokenmeter')}/${segment('instance', target)}`;
  }

  async write(results: readonly ScrapeResult[]): Promise<void> {
    await Promise.all(
      results.map(async (r) => {
        const url = this.groupUrl(r.target);
        this.groups.add(url);
        const body = writeExposition([...selfMetricFamilies(r), ...r.families]);
        try {
          const res = await fetch(url, {
            method: 'PUT',
            body,
            headers: { 'content-type': 'text/plain; version=0.0.4', ...this.options.headers },
            signal: AbortSignal.timeout(this.options.timeoutMillis ?? 5000),
          });
          if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
          await res.body?.cancel().catch(() => {});
          this.pushes++;
        } catch (error) {
          this.errors++;
          this.lastError = (error as Error).message;
          diag.warn(`tokenmeter scrape: push to ${url} failed: ${this.lastError}`);
        }
      }),
    );
  }

  async close(): Promise<void> {
    if (!this.options.deleteOnClose) return;
    await Promise.all(
      [...this.groups].map((url) =>
        fetch(url, {
          method: 'DELETE',
          signal: AbortSignal.timeout(this.options.timeoutMillis ?? 5000),
        }).catch((error: unknown) => diag.warn(`tokenmeter scrape: delete of ${url} failed`, error)),
      ),
    );
  }
}
