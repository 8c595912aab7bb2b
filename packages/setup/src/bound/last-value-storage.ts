/** Synchronous Gauge storage: the last value; a delta reader sees only series recorded since it last collected. */
import {
  type AggregationTemporality,
  type DataPoint,
  DataPointType,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { LastValueCell } from './last-value-cell.js';
import { Storage } from './storage.js';

export class LastValueStorage extends Storage<LastValueCell, number> {
  protected cumulative(cell: LastValueCell): number | undefined {
    return cell.seq === 0 ? undefined : cell.value;
  }

  protected delta(cell: LastValueCell, slot: number): number | undefined {
    if (cell.seq === cell.reportedSeq[slot]) return undefined;
    cell.reportedSeq[slot] = cell.seq;
    return cell.value;
  }

  protected metricData(temporality: AggregationTemporality, dataPoints: DataPoint<number>[]): MetricData {
    return {
      descriptor: this.core.descriptor,
      aggregationTemporality: temporality,
      dataPointType: DataPointType.GAUGE,
      dataPoints,
    };
  }
}
