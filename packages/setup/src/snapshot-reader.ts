import { AggregationTemporality, type MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';

/**
 * The reader behind `collect()` when no Prometheus reader runs (`snapshot: true`):
 * cumulative, never exports, only answers `collect()`.
 */
export class SnapshotReader extends MetricReader {
  constructor(limit: number, metricProducers: MetricProducer[]) {
    super({
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
      cardinalitySelector: () => limit,
      metricProducers,
    });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}
