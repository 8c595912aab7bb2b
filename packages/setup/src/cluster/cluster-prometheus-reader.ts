import { diag } from '@opentelemetry/api';
import type { CollectionResult, MetricReader } from '@opentelemetry/sdk-metrics';
import { PrometheusReader, type PrometheusReaderOptions } from '../prometheus-reader.js';
import type { ResolvedConfig } from '../resolve-config.js';
import { ClusterAggregator, type ClusterAggregatorOptions } from './cluster-aggregator.js';

/**
 * The Prometheus reader of a cluster primary: every collection (a scrape,
 * `collect()`, what the dashboard reads) is this process's own, merged with
 * what its workers and threads report. Rendering is the plain reader's, so
 * names and escaping stay one implementation.
 */
export class ClusterPrometheusReader extends PrometheusReader {
  readonly aggregator: ClusterAggregator;
  private failed = false;

  constructor(options: PrometheusReaderOptions, cluster: ClusterAggregatorOptions) {
    super(options);
    this.aggregator = new ClusterAggregator(cluster);
  }

  override async collect(options?: Parameters<MetricReader['collect']>[0]): Promise<CollectionResult> {
    const own = await super.collect(options);
    try {
      return { resourceMetrics: await this.aggregator.collect(own.resourceMetrics), errors: own.errors };
    } catch (error) {
      if (!this.failed) {
        this.failed = true;
        diag.error(
          "tokenmeter: merging the cluster workers' metrics failed; serving this process's own",
          error,
        );
      }
      return own;
    }
  }
}

/** The gauges of a primary's own process carry `tokenmeter.worker.id="primary"`. */
export const PRIMARY_LABEL = 'primary';

/** The registration's Prometheus reader: the merging one when this process is a cluster primary. */
export function createPrometheusReader(
  config: ResolvedConfig,
  options: PrometheusReaderOptions,
): PrometheusReader {
  if (config.cluster.role !== 'primary') return new PrometheusReader(options);
  return new ClusterPrometheusReader(options, {
    cardinalityLimit: config.cardinalityLimit,
    timeoutMillis: config.cluster.timeoutMillis,
    maxSeries: config.cluster.maxSeriesPerWorker,
    ownLabel: PRIMARY_LABEL,
    yieldEvery: options.yieldEvery,
  });
}
