/** Synchronous Gauge storage: the last value; a delta reader sees only series recorded since it last collected. */
import {
  type AggregationTemporality,
  type DataPoint,
  DataPointType,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { LastValueCell } from './last-value-cell.js';
import { type Collection, Storage } from './storage.js';

export class LastValueStorage extends Storage<LastValueCell> {
  protected toMetricData(
    temporality: AggregationTemporality,
    cells: readonly LastValueCell[],
    slot: number,
    c: Collection,
  ): MetricData | undefined {
    const dataPoints: DataPoint<number>[] = [];
    for (const cell of cells) {
      if (slot < 0) {
        if (cell.seq === 0) continue;
      } else {
        if (cell.seq === cell.reportedSeq[slot]) continue;
        cell.reportedSeq[slot] = cell.seq;
      }
      dataPoints.push({
        attributes: cell.attributes,
        startTime: this.startTime(cell, slot, c),
        endTime: c.endTime,
        value: cell.value,
      });
    }
    if (dataPoints.length === 0) return undefined;
    return {
      descriptor: this.core.descriptor,
      aggregationTemporality: temporality,
      dataPointType: DataPointType.GAUGE,
      dataPoints,
    };
  }
}
