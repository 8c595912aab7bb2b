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
import type { HistogramCell } from './histogram-cell.js';
import type { InstrumentCore } from './instrument-core.js';
import type { SeriesTable } from './series-table.js';
import { type Collection, Storage } from './storage.js';

export class HistogramStorage extends Storage<HistogramCell> {
  constructor(
    core: InstrumentCore,
    table: SeriesTable<HistogramCell>,
    slotOf: readonly number[],
    private readonly boundaries: readonly number[],
  ) {
    super(core, table, slotOf);
  }

  protected toMetricData(
    temporality: AggregationTemporality,
    cells: readonly HistogramCell[],
    slot: number,
    c: Collection,
  ): MetricData | undefined {
    const dataPoints: DataPoint<Histogram>[] = [];
    for (const cell of cells) {
      let value: Histogram;
      if (slot < 0) {
        if (cell.count === 0) continue;
        value = {
          buckets: { boundaries: this.boundaries as number[], counts: cell.counts.slice() },
          count: cell.count,
          sum: cell.sum,
          min: cell.min,
          max: cell.max,
        };
      } else {
        const reportedCount = cell.reportedCount[slot] as number;
        if (cell.count === reportedCount) continue;
        const reported = cell.reportedCounts[slot] as number[];
        const counts = cell.counts.slice();
        const delta = counts.map((n, i) => n - (reported[i] as number));
        cell.reportedCounts[slot] = counts;
        cell.reportedCount[slot] = cell.count;
        value = {
          buckets: { boundaries: this.boundaries as number[], counts: delta },
          count: cell.count - reportedCount,
          sum: cell.intervalSum[slot] as number,
          min: cell.intervalMin[slot] as number,
          max: cell.intervalMax[slot] as number,
        };
        cell.intervalSum[slot] = 0;
        cell.intervalMin[slot] = Number.POSITIVE_INFINITY;
        cell.intervalMax[slot] = Number.NEGATIVE_INFINITY;
      }
      dataPoints.push({
        attributes: cell.attributes,
        startTime: this.startTime(cell, slot, c),
        endTime: c.endTime,
        value,
      });
    }
    if (dataPoints.length === 0) return undefined;
    return {
      descriptor: this.core.descriptor,
      aggregationTemporality: temporality,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints,
    };
  }
}
