import { diag } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type CollectionResult,
  type MetricProducer,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  type ExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROTOBUF_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
} from './exposition-format.js';
import { PrometheusSerializer, type PrometheusSerializerOptions } from './prometheus-serializer.js';
import { ProtobufSerializer } from './protobuf-serializer.js';
import { ScrapeBody } from './scrape-body.js';

export interface PrometheusReaderOptions extends PrometheusSerializerOptions {
  /** Upper bound on one `collect()`, observable callbacks included. @default 10000 */
  scrapeTimeoutMillis?: number;
  /** Per-metric attribute-set limit for every instrument kind. @default 2000 */
  cardinalityLimit?: number;
  /** External producers merged into every scrape. */
  metricProducers?: MetricProducer[];
}

const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: TEXT_CONTENT_TYPE,
  openmetrics: OPENMETRICS_CONTENT_TYPE,
  protobuf: PROTOBUF_CONTENT_TYPE,
};

/** One rendered scrape. */
export interface Scrape {
  /** The body in pieces, in order; `Buffer.concat(chunks)` is the body (UTF-8 text, or protobuf). */
  chunks: Buffer[];
  /** The `Content-Type` of the body. */
  contentType: string;
  /** Errors the SDK reported for this collection (e.g. an observable callback that timed out). */
  errors: unknown[];
  /**
   * Says this caller is done with `chunks` (the response is written). Once
   * every caller that shared the scrape has said so, the chunks are reused by
   * the next scrape. Idempotent; never calling it is safe (they are then
   * garbage-collected), calling it while still reading them is not.
   */
  release(): void;
}

/** A scrape while it is being rendered: what the endpoint sends chunk by chunk. */
export interface ScrapeStream {
  /** The body, growing; `body.read()` yields its chunks as they are rendered. */
  readonly body: ScrapeBody;
  /** As {@link Scrape.release}: call it once every chunk read is written. */
  release(): void;
}

/** One scrape in flight and how many callers share it. */
interface Shared {
  readonly body: ScrapeBody;
  holders: number;
}

/**
 * A pull reader that renders the Prometheus text format, OpenMetrics or the
 * Prometheus protobuf format with our serializers.
 *
 * It is a plain `MetricReader`, so the SDK does aggregation, views and
 * cardinality exactly as for any other reader; only rendering is ours. Scrapes
 * that arrive while one in the same format is in flight share it: ten
 * scrapers (or one abusive client) cost one collection, never ten.
 */
export class PrometheusReader extends MetricReader {
  private readonly serializer: PrometheusSerializer;
  private readonly protobuf: ProtobufSerializer;
  private readonly scrapeTimeoutMillis: number;
  private readonly inFlight = new Map<ExpositionFormat, Shared>();

  constructor(options: PrometheusReaderOptions = {}) {
    const limit = options.cardinalityLimit ?? 2000;
    super({
      // Prometheus needs cumulative data; delta would make every scrape reset.
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
      cardinalitySelector: () => limit,
      ...(options.metricProducers ? { metricProducers: options.metricProducers } : {}),
    });
    this.serializer = new PrometheusSerializer(options);
    this.protobuf = new ProtobufSerializer(options);
    this.scrapeTimeoutMillis = options.scrapeTimeoutMillis ?? 10_000;
  }

  /**
   * Collects and renders once in `format`; concurrent callers asking for the
   * same format share the same result. The endpoint picks the format from the
   * request's `Accept` header (`negotiateFormat`).
   */
  async scrape(format: ExpositionFormat = 'text'): Promise<Scrape> {
    const { body, release } = this.stream(format);
    // A failed scrape is not released: a caller may have written part of it.
    const errors = await body.done;
    return { chunks: body.chunks, contentType: body.contentType, errors, release };
  }

  /**
   * Like {@link scrape}, but hands the body over while it is being rendered,
   * so the endpoint can send each chunk at once. Callers asking for the same
   * format while a scrape is in flight share it, each reading it from the start.
   */
  stream(format: ExpositionFormat = 'text'): ScrapeStream {
    let shared = this.inFlight.get(format);
    // Only a body still being rendered is shared. One that has settled may
    // still be listed for a few microtasks (the render ends the body with its
    // last chunk, before it returns), and a caller that recorded after it
    // finished must get a collection that includes what it recorded.
    if (shared === undefined || shared.body.settled) {
      const started: Shared = { body: new ScrapeBody(CONTENT_TYPES[format]), holders: 0 };
      this.inFlight.set(format, started);
      void this.render(format, started.body).finally(() => {
        if (this.inFlight.get(format) === started) this.inFlight.delete(format);
      });
      shared = started;
    }
    // Counted now, synchronously: a caller that finishes first must not hand the
    // chunks back while one that joined later has yet to write them.
    const holder = shared;
    holder.holders++;
    let released = false;
    return {
      body: holder.body,
      release: () => {
        if (released) return;
        released = true;
        if (--holder.holders === 0 && format !== 'protobuf' && holder.body.complete) {
          this.serializer.release(holder.body.chunks);
        }
      },
    };
  }

  /** Cumulative collection without rendering (for snapshots): no side effects on scrapes. */
  collectNow(): Promise<CollectionResult> {
    return this.settledCollect();
  }

  /**
   * A collection whose resource has settled. Detectors deliver some attributes
   * as promises (`host.id`, `container.id`); until someone awaits
   * `waitForAsyncAttributes()` the SDK's resource leaves them out of
   * `attributes`, builds that object anew on every read and logs a `diag`
   * error each time. The SDK's push readers wait before exporting; a pull
   * reader has to as well, once.
   */
  private async settledCollect(): Promise<CollectionResult> {
    const result = await this.collect({ timeoutMillis: this.scrapeTimeoutMillis });
    const resource = result.resourceMetrics.resource;
    if (resource.asyncAttributesPending) {
      // A detector that fails leaves its attribute out; the scrape goes on.
      await resource.waitForAsyncAttributes?.().catch(() => {});
    }
    return result;
  }

  /** Collects and renders into `body`; never rejects (a failure fails the body). */
  private async render(format: ExpositionFormat, body: ScrapeBody): Promise<void> {
    try {
      const { resourceMetrics, errors } = await this.settledCollect();
      if (errors.length > 0) {
        diag.warn(
          `tokenmeter: ${errors.length} error(s) during Prometheus collection; serving partial data`,
          errors,
        );
      }
      if (format === 'protobuf') {
        for (const chunk of await this.protobuf.serializeChunks(resourceMetrics)) body.push(chunk);
      } else {
        // The body is complete in the same step as its last chunk: the handler,
        // woken by that chunk, then sends it whole with `Content-Length`.
        await this.serializer.serializeChunks(resourceMetrics, format, (chunk, last) => {
          body.push(chunk);
          if (last) body.end(errors);
        });
      }
      if (!body.complete) body.end(errors);
    } catch (error) {
      body.fail(error);
    }
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {}
}
