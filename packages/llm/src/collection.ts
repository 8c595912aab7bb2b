/**
 * Structural types matching what the SDK's `MetricReader.collect()` returns,
 * so `snapshot()` can read the SDK's own aggregation without this package
 * depending on `@opentelemetry/sdk-metrics`.
 */
import type { Attributes } from '@opentelemetry/api';

export interface DataPointLike {
  readonly startTime: readonly [number, number];
  readonly endTime: readonly [number, number];
  readonly attributes: Attributes;
  /** A number (sum, gauge) or a histogram value; narrowed at runtime. */
  readonly value: unknown;
}

export interface MetricDataLike {
  readonly descriptor: { readonly name: string; readonly unit?: string };
  /** SDK DataPointType: 0 histogram, 1 exponential histogram, 2 gauge, 3 sum. */
  readonly dataPointType: number;
  /** SDK AggregationTemporality: 0 delta, 1 cumulative. */
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
