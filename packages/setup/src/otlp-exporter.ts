import type { MeterProvider } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { TemporalityPreference } from './options.js';
import type { ResolvedOtlp } from './resolve-config.js';

/**
 * Temporality per instrument kind for each OTLP preference, as the spec (and
 * the OTLP exporters) define them: `delta` makes counters, histograms and
 * gauges delta but keeps up-down counters cumulative; `lowmemory` makes only
 * synchronous counters and histograms delta.
 */
export function temporalityFor(
  preference: TemporalityPreference,
  type: InstrumentType,
): AggregationTemporality {
  if (preference === 'delta') {
    return type === InstrumentType.UP_DOWN_COUNTER || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
      ? AggregationTemporality.CUMULATIVE
      : AggregationTemporality.DELTA;
  }
  if (preference === 'lowmemory') {
    return type === InstrumentType.COUNTER || type === InstrumentType.HISTOGRAM
      ? AggregationTemporality.DELTA
      : AggregationTemporality.CUMULATIVE;
  }
  return AggregationTemporality.CUMULATIVE;
}

/**
 * The OTLP exporter, loaded on its first export. The exporter packages (and
 * the protobuf serializer under them) take ~40 ms to import; an app that
 * configures only Prometheus, or starts with `--import register`, should not
 * pay that at boot. Temporality is known up front, so readers can be built
 * synchronously.
 */
export class LazyOtlpExporter implements PushMetricExporter {
  private loaded: PushMetricExporter | undefined;
  private loading: Promise<PushMetricExporter> | undefined;
  private selfObs: MeterProvider | undefined;

  constructor(private readonly otlp: ResolvedOtlp) {}

  /** Let the exporter report `otel.sdk.exporter.*` metrics on this provider once loaded. */
  setSelfObsMeterProvider(meterProvider: MeterProvider): void {
    this.selfObs = meterProvider;
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return temporalityFor(this.otlp.temporality, type);
  }

  /**
   * Loads the exporter now rather than on the first export: `shutdown()` does
   * this before it shuts the provider down, so the exporter can still get the
   * meter for its self-metrics from it.
   */
  async preload(): Promise<void> {
    await this.load();
  }

  private load(): Promise<PushMetricExporter> {
    this.loading ??= import('./otlp-exporter-load.js').then(({ createOtlpExporter }) => {
      const exporter = createOtlpExporter(this.otlp);
      if (this.selfObs) exporter.setSelfObsMeterProvider(this.selfObs);
      this.loaded = exporter;
      return exporter;
    });
    return this.loading;
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (this.loaded) {
      this.loaded.export(metrics, resultCallback);
      return;
    }
    this.load().then(
      (exporter) => exporter.export(metrics, resultCallback),
      (error: unknown) =>
        resultCallback({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
    );
  }

  async forceFlush(): Promise<void> {
    await this.loaded?.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.loaded?.shutdown();
  }
}
