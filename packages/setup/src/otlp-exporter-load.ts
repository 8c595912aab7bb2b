import type { MeterProvider } from '@opentelemetry/api';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as OtlpHttpJsonExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpHttpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { ResolvedOtlp } from './resolve-config.js';

const TEMPORALITY: Record<ResolvedOtlp['temporality'], AggregationTemporalityPreference> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

/** An OTLP exporter that can report its own exports as `otel.sdk.exporter.*` metrics. */
export type OtlpExporter = PushMetricExporter & {
  setSelfObsMeterProvider(meterProvider: MeterProvider): void;
};

/**
 * Imported only when the first export happens (see LazyOtlpExporter).
 * Everything is passed explicitly: the exporters would otherwise read the
 * environment again on their own, with their own (silent) validation.
 */
export function createOtlpExporter(otlp: ResolvedOtlp): OtlpExporter {
  const config = {
    url: otlp.url,
    headers: otlp.headers,
    compression: otlp.compression,
    timeoutMillis: otlp.timeoutMillis,
    temporalityPreference: TEMPORALITY[otlp.temporality],
  } as const;
  // The exporters' option type names compression as an enum; its values are these strings.
  const options = config as unknown as ConstructorParameters<typeof OtlpHttpJsonExporter>[0];
  return otlp.protocol === 'http/json'
    ? new OtlpHttpJsonExporter(options)
    : new OtlpHttpProtoExporter(options);
}
