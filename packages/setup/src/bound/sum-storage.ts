/** Counter and UpDownCounter storage: monotonic or not, cumulative or delta per reader. */
import {
  type AggregationTemporality,
  type DataPoint,
  DataPointType,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { InstrumentCore } from './instrument-core.js';
import type { SeriesTable } from './series-table.js';
import { type Collection, Storage } from './storage.js';
import type { SumCell } from './sum-cell.js';

export class SumStorage extends Storage<SumCell> {
  constructor(
    core: InstrumentCore,
    table: SeriesTable<SumCell>,
    slotOf: readonly number[],
    private readonly monotonic: boolean,
  ) {
    super(core, table, slotOf);
  }

  protected toMetricData(
    temporality: AggregationTemporality,
    cells: readonly SumCell[],
    slot: number,
    c: Collection,
  ): MetricData | undefined {
    const dataPoints: DataPoint<number>[] = [];
    for (const cell of cells) {
      let value: number;
      if (slot < 0) {
        if (cell.seq === 0) continue;
        value = cell.value;
      } else {
        if (cell.seq === cell.reportedSeq[slot]) continue;
        value = cell.interval[slot] as number;
        cell.interval[slot] = 0;
        cell.reportedSeq[slot] = cell.seq;
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
      dataPointType: DataPointType.SUM,
      dataPoints,
      isMonotonic: this.monotonic,
    };
  }
}
