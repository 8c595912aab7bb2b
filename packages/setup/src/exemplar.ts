/**
 * Exemplars: one recorded measurement kept with the trace it happened in, so
 * a dashboard can jump from a slow bucket to the trace that landed there.
 *
 * The OTel JS SDK has no exemplars, so the bound-series path records them
 * itself (with `registerMetrics({ exemplars: true })`) and hands them to
 * readers on the data point, in an extra field that the SDK's exporters do
 * not read. The OTLP transformer of `@opentelemetry/otlp-transformer` 0.301
 * never fills OTLP's `exemplars` field, so OTLP pushes carry none; the
 * Prometheus endpoint writes them in OpenMetrics and protobuf scrapes.
 */
import type { DataPoint } from '@opentelemetry/sdk-metrics';

/** One measurement and the sampled span it was recorded in. */
export interface Exemplar {
  /** The recorded value. */
  readonly value: number;
  /** When it was recorded, in milliseconds since the epoch. */
  readonly timeMs: number;
  /** The span's trace id (32 lowercase hex characters). */
  readonly traceId: string;
  /** The span's id (16 lowercase hex characters). */
  readonly spanId: string;
}

/**
 * A data point with exemplars. For a histogram `exemplars[i]` is the latest
 * exemplar of bucket `i` (the bucket of `buckets.counts[i]`; the last is the
 * overflow bucket), for a counter `exemplars[0]` is the latest one; a slot
 * with none is `undefined`.
 */
export type ExemplarDataPoint<T> = DataPoint<T> & {
  readonly exemplars?: readonly (Exemplar | undefined)[];
};

/** The exemplars of a data point, when it carries any. */
export function exemplarsOf(point: DataPoint<unknown>): readonly (Exemplar | undefined)[] | undefined {
  return (point as ExemplarDataPoint<unknown>).exemplars;
}
