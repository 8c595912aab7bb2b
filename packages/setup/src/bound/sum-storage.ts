/** Counter and UpDownCounter storage: monotonic or not, cumulative or delta per reader. */
import {
  type AggregationTemporality,
  type DataPoint,
  DataPointType,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { InstrumentCore } from './instrument-core.js';
import type { SeriesTable } from './series-table.js';
import { Storage } from './storage.js';
import type { SumCell } from './sum-cell.js';

export class SumStorage extends Storage<SumCell, number> {
  constructor(
    core: InstrumentCore,
    table: SeriesTable<SumCell>,
    slotOf: readonly number[],
    private readonly monotonic: boolean,
  ) {
    super(core, table, slotOf);
  }

  protected cumulative(cell: SumCell): number | undefined {
    return cell.seq === 0 ? undefined : cell.value;
  }

  protected delta(cell: SumCell, slot: number): number | undefined {
    if (cell.seq === cell.reportedSeq[slot]) return undefined;
    const value = cell.interval[slot] as number;
    cell.interval[slot] = 0;
    cell.reportedSeq[slot] = cell.seq;
    return value;
  }

  protected metricData(temporality: AggregationTemporality, dataPoints: DataPoint<number>[]): MetricData {
    return {
      descriptor: this.core.descriptor,
      aggregationTemporality: temporality,
      dataPointType: DataPointType.SUM,
      dataPoints,
      isMonotonic: this.monotonic,
    };
  }
}
