import { diag } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type CollectionResult,
  type MetricProducer,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer, type PrometheusSerializerOptions } from './prometheus-serializer.js';

export interface PrometheusReaderOptions extends PrometheusSerializerOptions {
  /** Upper bound on one `collect()`, observable callbacks included. @default 10000 */
  scrapeTimeoutMillis?: number;
  /** Per-metric attribute-set limit for every instrument kind. @default 2000 */
  cardinalityLimit?: number;
  /** External producers merged into every scrape. */
  metricProducers?: MetricProducer[];
}

/** One rendered scrape. */
export interface Scrape {
  /** The UTF-8 exposition body in pieces, in order; `Buffer.concat(chunks)` is the body. */
  chunks: Buffer[];
  /** Errors the SDK reported for this collection (e.g. an observable callback that timed out). */
  errors: unknown[];
}

/**
 * A pull reader that renders the Prometheus text format with our serializer.
 *
 * It is a plain `MetricReader`, so the SDK does aggregation, views and
 * cardinality exactly as for any other reader; only rendering is ours. Scrapes
 * that arrive while one is in flight share it: ten scrapers (or one abusive
 * client) cost one collection, never ten.
 */
export class PrometheusReader extends MetricReader {
  private readonly serializer: PrometheusSerializer;
  private readonly scrapeTimeoutMillis: number;
  private inFlight: Promise<Scrape> | undefined;

  constructor(options: PrometheusReaderOptions = {}) {
    const limit = options.cardinalityLimit ?? 2000;
    super({
      // Prometheus needs cumulative data; delta would make every scrape reset.
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
      cardinalitySelector: () => limit,
      ...(options.metricProducers ? { metricProducers: options.metricProducers } : {}),
    });
    this.serializer = new PrometheusSerializer(options);
    this.scrapeTimeoutMillis = options.scrapeTimeoutMillis ?? 10_000;
  }

  /** Collects and renders once; concurrent callers share the same result. */
  scrape(): Promise<Scrape> {
    if (this.inFlight) return this.inFlight;
    const run = this.collectAndRender().finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = run;
    return run;
  }

  /** Cumulative collection without rendering (for snapshots): no side effects on scrapes. */
  collectNow(): Promise<CollectionResult> {
    return this.collect({ timeoutMillis: this.scrapeTimeoutMillis });
  }

  private async collectAndRender(): Promise<Scrape> {
    const { resourceMetrics, errors } = await this.collect({ timeoutMillis: this.scrapeTimeoutMillis });
    if (errors.length > 0) {
      diag.warn(
        `tokenmeter: ${errors.length} error(s) during Prometheus collection; serving partial data`,
        errors,
      );
    }
    return { chunks: await this.serializer.serializeChunks(resourceMetrics), errors };
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {}
}
