/**
 * Explicit-bucket histogram storage. A collection copies the bucket counts
 * of each series that changed since the last one: the serializer renders asynchronously while the app keeps
 * recording, and a point whose buckets moved under it could break the
 * histogram's invariants (a bucket above `_count`).
 */
import {
  type AggregationTemporality,
  type DataPoint,
  DataPointType,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { HistogramCell } from './histogram-cell.js';
import type { InstrumentCore } from './instrument-core.js';
import type { SeriesTable } from './series-table.js';
import { Storage } from './storage.js';

export class HistogramStorage extends Storage<HistogramCell, Histogram> {
  private readonly boundaries: number[];

  constructor(
    core: InstrumentCore,
    table: SeriesTable<HistogramCell>,
    slotOf: readonly number[],
    boundaries: readonly number[],
  ) {
    super(core, table, slotOf);
    // One frozen array shared by every point: exporters only read it, and the
    // serializer caches its rendered `le` labels by its identity.
    this.boundaries = boundaries as number[];
  }

  protected cumulative(cell: HistogramCell): Histogram | undefined {
    if (cell.count === 0) return undefined;
    // Every accepted record moves `count`, so an equal count is an unchanged
    // series. Exporters only read points, so every cumulative reader may share
    // the one value: at 50k series most are idle between scrapes, and their
    // copies were most of a scrape's garbage.
    if (cell.snapshotCount === cell.count && cell.snapshot !== undefined) return cell.snapshot;
    const value: Histogram = {
      buckets: { boundaries: this.boundaries, counts: cell.counts.slice() },
      count: cell.count,
      sum: cell.sum,
      min: cell.min,
      max: cell.max,
    };
    cell.snapshot = value;
    cell.snapshotCount = cell.count;
    return value;
  }

  protected delta(cell: HistogramCell, slot: number): Histogram | undefined {
    const reportedCount = cell.reportedCount[slot] as number;
    if (cell.count === reportedCount) return undefined;
    const reported = cell.reportedCounts[slot] as number[];
    const counts = cell.counts.slice();
    const value: Histogram = {
      buckets: { boundaries: this.boundaries, counts: counts.map((n, i) => n - (reported[i] as number)) },
      count: cell.count - reportedCount,
      sum: cell.intervalSum[slot] as number,
      min: cell.intervalMin[slot] as number,
      max: cell.intervalMax[slot] as number,
    };
    cell.reportedCounts[slot] = counts;
    cell.reportedCount[slot] = cell.count;
    cell.intervalSum[slot] = 0;
    cell.intervalMin[slot] = Number.POSITIVE_INFINITY;
    cell.intervalMax[slot] = Number.NEGATIVE_INFINITY;
    return value;
  }

  protected metricData(temporality: AggregationTemporality, dataPoints: DataPoint<Histogram>[]): MetricData {
    return {
      descriptor: this.core.descriptor,
      aggregationTemporality: temporality,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints,
    };
  }
}
