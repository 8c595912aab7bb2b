// A MeterProvider whose readers only aggregate (cumulative) and never export:
// what the record and stream benchmarks race, so the cost measured is the
// record path and nothing else.
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

class CollectOnlyReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  async onForceFlush() {}
  async onShutdown() {}
}

/** A provider with `readers` collect-only readers (each hashes every record again, like a real second reader). */
export const collectOnlyProvider = (readers = 1) =>
  new MeterProvider({ readers: Array.from({ length: readers }, () => new CollectOnlyReader()) });
