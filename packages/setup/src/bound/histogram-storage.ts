/**
 * Explicit-bucket histogram storage. Each collection copies the bucket
 * counts: the serializer renders asynchronously while the app keeps
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
import { histogramSamples } from '../yielding.js';
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

  protected override samplesPerSeries(): number {
    return histogramSamples(this.boundaries.length + 1);
  }

  protected cumulative(cell: HistogramCell): Histogram | undefined {
    if (cell.count === 0) return undefined;
    return {
      buckets: { boundaries: this.boundaries, counts: cell.counts.slice() },
      count: cell.count,
      sum: cell.sum,
      min: cell.min,
      max: cell.max,
    };
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
