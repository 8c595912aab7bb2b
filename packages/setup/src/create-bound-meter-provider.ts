/**
 * The bound-series path for an application that builds its own
 * MeterProvider and readers instead of calling `registerMetrics()`: an SDK
 * `NodeSDK`-style setup, an existing exporter, a reader we do not ship.
 *
 * A reader takes its `MetricProducer`s at construction only, so the caller
 * builds each reader from a factory that receives them; each reader gets its
 * own producer because temporality is per reader.
 */

import type { Resource } from '@opentelemetry/resources';
import type { IMetricReader, MeterProvider, MetricProducer, ViewOptions } from '@opentelemetry/sdk-metrics';
import { BoundMeterProvider } from './bound/bound-meter-provider.js';
import { BoundRegistry } from './bound/bound-registry.js';
import { selectedByAny } from './bound/eligibility.js';
import { ConfigurationError } from './errors.js';
import {
  booleanOption,
  DEFAULT_CARDINALITY_LIMIT,
  intOption,
  MAX_CARDINALITY_LIMIT,
  MIN_CARDINALITY_LIMIT,
} from './resolve-config.js';

/**
 * Builds one reader. Pass `metricProducers` as the reader's own
 * `metricProducers` option (add yours to the array if you have any): they
 * carry every bound series to that reader.
 */
export type ReaderFactory = (metricProducers: MetricProducer[]) => IMetricReader;

export interface BoundMeterProviderOptions {
  /** One factory per reader (see `ReaderFactory`). @default [] (no reader: nothing is exported) */
  readers?: readonly ReaderFactory[];
  /** As for the SDK's `MeterProvider`. @default the SDK's default resource */
  resource?: Resource;
  /**
   * As for the SDK's `MeterProvider`. An instrument a view selects stays on
   * the SDK's path, with the view applied. @default []
   */
  views?: readonly ViewOptions[];
  /**
   * Attribute sets per bound instrument, the overflow series included; a
   * reader's own lower `cardinalityLimits` wins. Unlike the SDK's per-collection
   * limit, it holds for the life of the instrument. An integer from 2 to
   * 10,000,000, as for `registerMetrics()`. @default 2000 (the SDK's)
   */
  cardinalityLimit?: number;
  /** Keep exemplars from sampled spans, as `registerMetrics({ exemplars: true })`. @default false */
  exemplars?: boolean;
}

function checkReader(reader: unknown, own: MetricProducer, setting: string): IMetricReader {
  const r = reader as Partial<Record<string, unknown>> | null | undefined;
  const methods = ['selectAggregation', 'selectAggregationTemporality', 'selectCardinalityLimit'];
  if (typeof r !== 'object' || r === null || !methods.every((m) => typeof r[m] === 'function')) {
    throw new ConfigurationError(setting, reader, 'a factory that returns a MetricReader');
  }
  // The SDK keeps the producers a reader was built with in this field; a
  // reader built without ours would silently miss every bound series.
  const producers = r._metricProducers;
  if (Array.isArray(producers) && !producers.includes(own)) {
    throw new ConfigurationError(
      setting,
      'a reader built without the metricProducers it was given',
      'a reader whose metricProducers option includes every producer the factory received',
    );
  }
  return reader as IMetricReader;
}

function closeQuietly(reader: unknown): void {
  try {
    const shutdown = (reader as { shutdown?: unknown } | null | undefined)?.shutdown;
    if (typeof shutdown === 'function') void Promise.resolve(shutdown.call(reader)).catch(() => {});
  } catch {
    // Construction is already failing; that error is the one to report.
  }
}

/**
 * The SDK `MeterProvider` (a subclass: `instanceof MeterProvider` holds) whose
 * meters' `Counter`, `UpDownCounter`, `Histogram` and `Gauge` record on the
 * bound-series path, read by the readers `options.readers` builds. Not set
 * as the global provider and no signal hooks: call
 * `metrics.setGlobalMeterProvider()` and `shutdown()` yourself.
 *
 * @throws ConfigurationError for a reader factory that is not a function,
 *   returns no reader, or builds its reader without the producers it was
 *   given; for a `cardinalityLimit`, `views` or `exemplars` it cannot use.
 */
export function createBoundMeterProvider(options: BoundMeterProviderOptions = {}): MeterProvider {
  const limit =
    intOption('cardinalityLimit', options.cardinalityLimit, MIN_CARDINALITY_LIMIT, MAX_CARDINALITY_LIMIT) ??
    DEFAULT_CARDINALITY_LIMIT;
  const factories = options.readers ?? [];
  if (!Array.isArray(factories)) {
    throw new ConfigurationError('readers', factories, 'an array of reader factories');
  }
  const views = options.views ?? [];
  if (!Array.isArray(views)) throw new ConfigurationError('views', views, 'an array of ViewOptions');
  const exemplars = booleanOption('exemplars', options.exemplars) ?? false;
  const registry = new BoundRegistry({
    cardinalityLimit: limit,
    selectedByView: selectedByAny(views),
    exemplars,
  });
  const readers: IMetricReader[] = [];
  /** Everything a factory returned, to close if construction fails. */
  const built: unknown[] = [];
  try {
    factories.forEach((factory: unknown, i) => {
      const setting = `readers[${i}]`;
      if (typeof factory !== 'function') {
        throw new ConfigurationError(setting, factory, 'a function (metricProducers) => MetricReader');
      }
      const own = registry.producer();
      const reader = factory([own]);
      built.push(reader);
      const checked = checkReader(reader, own, setting);
      own.attach(checked);
      readers.push(checked);
    });
    // The SDK checks views and refuses a reader another provider already has.
    return new BoundMeterProvider({ resource: options.resource, views: [...views], readers }, registry);
  } catch (error) {
    // A reader may have started something already (the stock Prometheus exporter listens).
    for (const r of built) closeQuietly(r);
    throw error;
  }
}
