/**
 * Where each point of a bound instrument's collection sits in that
 * instrument's series table, handed from the bound storages to the
 * serializers beside the SDK's data.
 *
 * A series keeps its index for the life of its instrument (tables only
 * append), so a serializer can keep what it rendered for a series in an array
 * by that index and find it again on the next scrape with two array reads.
 * The `WeakMap` keyed by attributes object that every other point goes
 * through costs a hash lookup per series, and with tens of thousands of
 * series that lookup misses the CPU cache every time: measured 2026-12-07,
 * a 50k-series counter render spent most of its time there.
 *
 * The indexes are kept beside the `MetricData`, found by its identity once
 * per metric, so points and metrics keep the SDK's shape (fields added to a
 * short-lived object give it a hidden class that a full GC frees, and with
 * it the optimized collection code: see shape-anchor.ts). Anything that
 * filters or reorders `dataPoints` on the way breaks the alignment; a reader
 * must therefore check that the point's attributes object is the one it
 * rendered for that index, and fall back to its lookup by attributes when
 * it is not.
 */
import type { MetricData } from '@opentelemetry/sdk-metrics';

/** A bound instrument's series behind one collection's `dataPoints`. */
export interface SeriesIndexes {
  /** The instrument's series table: one identity for the life of the instrument. */
  readonly table: object;
  /** `indexes[j]` is the table index of `dataPoints[j]`. */
  readonly indexes: readonly number[];
}

const INDEXES = new WeakMap<MetricData, SeriesIndexes>();

/** Says which series of `table` `data.dataPoints` hold, in order. */
export function indexSeries(data: MetricData, table: object, indexes: readonly number[]): void {
  INDEXES.set(data, { table, indexes });
}

/** The series indexes of `metric` when it came from a bound storage. */
export function seriesIndexesOf(metric: MetricData): SeriesIndexes | undefined {
  return INDEXES.get(metric);
}
