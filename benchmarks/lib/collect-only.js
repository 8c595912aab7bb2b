// A MeterProvider whose readers only aggregate (cumulative) and never export:
// what the record and stream benchmarks race, so the cost measured is the
// record path and nothing else.
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { bindMeterProvider, createBoundMeterProvider } from '@tokenmeter/setup';

class CollectOnlyReader extends MetricReader {
  constructor(options = {}) {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE, ...options });
  }
  async onForceFlush() {}
  async onShutdown() {}
}

/** A provider with `readers` collect-only readers (each hashes every record again, like a real second reader). */
export const collectOnlyProvider = (readers = 1) =>
  new MeterProvider({ readers: Array.from({ length: readers }, () => new CollectOnlyReader()) });

/** A collect-only reader whose limit is raised to `cardinalityLimit`, built with `metricProducers` when given. */
const limitedReader = (cardinalityLimit, metricProducers) =>
  new CollectOnlyReader({
    cardinalitySelector: () => cardinalityLimit,
    ...(metricProducers ? { metricProducers } : {}),
  });

/**
 * The same readers built by the application itself and handed to
 * `createBoundMeterProvider()`: the bound-series path without registerMetrics().
 * Their limit is raised as registerMetrics() is in the benchmarks, so no cell
 * records into the overflow series.
 */
export const ownReadersBoundProvider = (readers = 1, cardinalityLimit = 200_000) =>
  createBoundMeterProvider({
    cardinalityLimit,
    readers: Array.from(
      { length: readers },
      () => (metricProducers) => limitedReader(cardinalityLimit, metricProducers),
    ),
  });

/**
 * The stock provider of `collectOnlyProvider()`, built first and then given
 * to `bindMeterProvider()`, as an application (or NodeSDK) builds it: the
 * bound-series path on readers that were built without us. The readers'
 * limit is raised as above.
 */
export const boundLaterProvider = (readers = 1, cardinalityLimit = 200_000) =>
  bindMeterProvider(
    new MeterProvider({ readers: Array.from({ length: readers }, () => limitedReader(cardinalityLimit)) }),
  );
