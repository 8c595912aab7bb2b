/**
 * A typed view of what the SDK's `MetricReader.collect()` returns
 * (`CollectionResult`), so `snapshot()` can read the SDK's own aggregation
 * without this package depending on `@opentelemetry/sdk-metrics` at run
 * time. A source may be any function, so nothing here trusts the shape:
 * every step is checked before it is read.
 */
import type { Attributes } from '@opentelemetry/api';
import { METER_NAME } from '../semconv.js';

/**
 * The values of the SDK's `DataPointType` enum (a test holds them to the
 * SDK's): which kind of value a metric's data points carry.
 */
export const DATA_POINT_TYPE = Object.freeze({
  HISTOGRAM: 0,
  EXPONENTIAL_HISTOGRAM: 1,
  GAUGE: 2,
  SUM: 3,
} as const);

/** The values of the SDK's `AggregationTemporality` enum (held to the SDK's by the same test). */
export const AGGREGATION_TEMPORALITY = Object.freeze({
  DELTA: 0,
  CUMULATIVE: 1,
} as const);

export interface DataPointLike {
  readonly startTime: readonly [number, number];
  readonly endTime: readonly [number, number];
  readonly attributes: Attributes;
  /** A number (sum, gauge) or a histogram value (see `isExplicitHistogram`, `isExponentialHistogram`). */
  readonly value: unknown;
}

export interface MetricDataLike {
  readonly descriptor: { readonly name: string; readonly unit?: string };
  /** One of `DATA_POINT_TYPE`. */
  readonly dataPointType: number;
  /** One of `AGGREGATION_TEMPORALITY`. */
  readonly aggregationTemporality?: number;
  readonly dataPoints: readonly DataPointLike[];
}

export interface ScopeMetricsLike {
  readonly scope: { readonly name: string };
  readonly metrics: readonly MetricDataLike[];
}

export interface ResourceMetricsLike {
  readonly scopeMetrics: readonly ScopeMetricsLike[];
}

/** The shape of `MetricReader.collect()`'s result (`CollectionResult`). */
export interface CollectionLike {
  readonly resourceMetrics: ResourceMetricsLike | readonly ResourceMetricsLike[];
}

/**
 * Where snapshot() reads from: a function returning a (cumulative)
 * collection, or any object with `collect()` — an SDK `MetricReader`, or
 * the handle returned by `@tokenmeter/setup`'s `registerMetrics()`.
 */
export type SnapshotSource =
  | (() => Promise<CollectionLike> | CollectionLike)
  | { collect(): Promise<CollectionLike> | CollectionLike };

/** The value of a `DATA_POINT_TYPE.HISTOGRAM` point (the SDK's `Histogram`), as far as it is read. */
export interface ExplicitHistogramValue {
  readonly buckets: { readonly boundaries: readonly number[]; readonly counts: readonly number[] };
  readonly count?: unknown;
  readonly sum?: unknown;
  readonly min?: unknown;
  readonly max?: unknown;
}

/** The value of a `DATA_POINT_TYPE.EXPONENTIAL_HISTOGRAM` point (the SDK's `ExponentialHistogram`), as far as it is read. */
export interface ExponentialHistogramValue {
  readonly scale: number;
  readonly zeroCount?: unknown;
  readonly positive: { readonly offset?: unknown; readonly bucketCounts: readonly number[] };
  readonly count?: unknown;
  readonly sum?: unknown;
  readonly min?: unknown;
  readonly max?: unknown;
}

type Fields = Readonly<Record<string, unknown>>;
/** Anything a collection may hold where an object belongs. */
type Maybe = Fields | null | undefined;

/** `value` as a number when it is a finite one. */
export function finiteOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isFields(value: unknown): value is Fields {
  return value !== null && typeof value === 'object';
}

/** An explicit-bucket histogram value: `buckets.boundaries` and `buckets.counts` are arrays. */
export function isExplicitHistogram(value: unknown): value is ExplicitHistogramValue {
  if (!isFields(value)) return false;
  const buckets = value.buckets as Fields | undefined;
  return !!buckets && Array.isArray(buckets.boundaries) && Array.isArray(buckets.counts);
}

/** An exponential histogram value: a finite `scale` and an array of `positive.bucketCounts`. */
export function isExponentialHistogram(value: unknown): value is ExponentialHistogramValue {
  if (!isFields(value)) return false;
  const positive = value.positive as Fields | undefined;
  return finiteOrUndefined(value.scale) !== undefined && !!positive && Array.isArray(positive.bucketCounts);
}

/** Points of a delta collection cover one interval only; snapshot() needs cumulative totals. */
export function isDelta(metric: MetricDataLike): boolean {
  return metric.aggregationTemporality === AGGREGATION_TEMPORALITY.DELTA;
}

/**
 * The metrics `@tokenmeter/llm` recorded in a collection: those of the
 * scopes named `METER_NAME`, of every resource. Another instrumentation
 * (OTel contrib's openai) may use the same gen_ai names; mixing them in
 * would double count.
 */
export function* llmMetrics(collection: CollectionLike): Generator<MetricDataLike> {
  const resources = (
    Array.isArray(collection.resourceMetrics) ? collection.resourceMetrics : [collection.resourceMetrics]
  ) as readonly Maybe[];
  for (const resource of resources) {
    if (!resource || !Array.isArray(resource.scopeMetrics)) continue;
    for (const scope of resource.scopeMetrics as readonly Maybe[]) {
      if ((scope?.scope as Maybe)?.name !== METER_NAME || !Array.isArray(scope?.metrics)) continue;
      for (const metric of scope.metrics as readonly Maybe[])
        if (metric) yield metric as unknown as MetricDataLike;
    }
  }
}
