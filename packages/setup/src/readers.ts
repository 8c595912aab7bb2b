import {
  ConsoleMetricExporter,
  type IMetricReader,
  type MetricProducer,
  type MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { BoundRegistry } from './bound/bound-registry.js';
import { selectedByAny } from './bound/eligibility.js';
import { createPrometheusReader } from './cluster/cluster-prometheus-reader.js';
import { FileMetricExporter } from './file-metric-exporter.js';
import type { ExporterName } from './options.js';
import { LazyOtlpExporter } from './otlp-exporter.js';
import type { PrometheusReader } from './prometheus-reader.js';
import type { ResolvedConfig } from './resolve-config.js';
import { SnapshotReader } from './snapshot-reader.js';
import { TrackedExporter } from './tracked-exporter.js';

/** The readers of one registration, by role. */
export interface Readers {
  /** Every reader, in the order the MeterProvider gets them. */
  readonly all: readonly IMetricReader[];
  /** The Prometheus pull reader, when that exporter is on. */
  readonly prometheus: PrometheusReader | undefined;
  /** What `collect()` reads when there is no Prometheus reader (`snapshot: true`). */
  readonly snapshot: SnapshotReader | undefined;
  /** Every push exporter, wrapped so that flush and shutdown can tell whether it failed. */
  readonly pushed: readonly TrackedExporter[];
  /** The OTLP exporter, when on: it is told the provider to report its own exports on. */
  readonly otlp: LazyOtlpExporter | undefined;
  /** The bound-series aggregation every reader also reads (unless `boundSeries: false`). */
  readonly bound: BoundRegistry | undefined;
}

/**
 * One reader per running exporter: the Prometheus pull reader, a periodic
 * reader per push exporter (OTLP, console, file, extras), and the snapshot
 * reader when `collect()` would otherwise have nothing to read.
 */
export function createReaders(config: ResolvedConfig, exporters: readonly ExporterName[]): Readers {
  const limit = config.cardinalityLimit;
  const all: IMetricReader[] = [];
  const pushed: TrackedExporter[] = [];
  const bound =
    config.boundSeries && !config.disabled
      ? new BoundRegistry({
          cardinalityLimit: limit,
          selectedByView: selectedByAny(config.views),
          exemplars: config.exemplars,
        })
      : undefined;
  /** Builds a reader with `producers` plus, on the bound-series path, that reader's own producer. */
  const withBound = <R extends MetricReader>(
    producers: MetricProducer[],
    make: (p: MetricProducer[]) => R,
  ): R => {
    const own = bound?.producer();
    const reader = make(own ? [...producers, own] : producers);
    own?.attach(reader);
    return reader;
  };

  let prometheus: PrometheusReader | undefined;
  if (exporters.includes('prometheus')) {
    const p = config.prometheus;
    prometheus = withBound([...config.metricProducers, ...p.metricProducers], (metricProducers) =>
      createPrometheusReader(config, {
        naming: p.naming,
        withoutScopeInfo: p.withoutScopeInfo,
        withoutTargetInfo: p.withoutTargetInfo,
        withoutCreated: p.withoutCreated,
        scrapeTimeoutMillis: p.scrapeTimeoutMillis,
        cardinalityLimit: limit,
        metricProducers,
      }),
    );
    all.push(prometheus);
  }

  const push = (name: string, exporter: PushMetricExporter, interval: number, timeout: number) => {
    const tracked = new TrackedExporter(name, exporter);
    pushed.push(tracked);
    all.push(
      withBound(
        config.metricProducers,
        (metricProducers) =>
          new PeriodicExportingMetricReader({
            exporter: tracked,
            exportIntervalMillis: interval,
            // The SDK requires timeout <= interval.
            exportTimeoutMillis: Math.min(timeout, interval),
            cardinalityLimits: { default: limit },
            metricProducers,
          }),
      ),
    );
  };
  const exportTimeout = config.otlp.exportTimeoutMillis;
  let otlp: LazyOtlpExporter | undefined;
  if (exporters.includes('otlp')) {
    otlp = new LazyOtlpExporter(config.otlp);
    push('otlp', otlp, config.otlp.intervalMillis, exportTimeout);
  }
  if (exporters.includes('console')) {
    push('console', new ConsoleMetricExporter(), config.consoleIntervalMillis, exportTimeout);
  }
  if (exporters.includes('file')) {
    const f = config.file;
    push(
      'file',
      new FileMetricExporter({ path: f.path, format: f.format, maxBytes: f.maxBytes, maxFiles: f.maxFiles }),
      f.intervalMillis,
      exportTimeout,
    );
  }
  if (!config.disabled) {
    for (const extra of config.extraExporters)
      push(extra.name, extra.exporter, extra.intervalMillis, exportTimeout);
  }

  const snapshot =
    prometheus || config.disabled || !config.snapshot
      ? undefined
      : withBound(config.metricProducers, (metricProducers) => new SnapshotReader(limit, metricProducers));
  if (snapshot) all.push(snapshot);

  return { all, prometheus, snapshot, pushed, otlp, bound };
}
