/**
 * What the three storage kinds share: a series table, the instrument's
 * descriptor and delta slots, and which slot (if any) each reader uses.
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { AggregationTemporality, type MetricData } from '@opentelemetry/sdk-metrics';
import type { InstrumentCore } from './instrument-core.js';
import type { SeriesTable } from './series-table.js';

export interface Collection {
  /** Index of the reader collecting. */
  readonly reader: number;
  /** When that reader last collected (ms since the epoch), or undefined the first time. */
  readonly sinceMs: number | undefined;
  readonly endTime: HrTime;
}

export abstract class Storage<
  Cell extends { readonly attributes: Readonly<Attributes>; readonly startMs: number },
> {
  constructor(
    readonly core: InstrumentCore,
    readonly table: SeriesTable<Cell>,
    /** Per reader: its delta slot, or -1 for cumulative. */
    private readonly slotOf: readonly number[],
  ) {}

  /** This instrument's data for one reader, or undefined when it has no point to report. */
  collect(c: Collection): MetricData | undefined {
    const slot = this.slotOf[c.reader] ?? -1;
    const cells = this.table.cells;
    if (slot < 0) return this.toMetricData(AggregationTemporality.CUMULATIVE, cells, -1, c);
    return this.toMetricData(AggregationTemporality.DELTA, cells, slot, c);
  }

  protected abstract toMetricData(
    temporality: AggregationTemporality,
    cells: readonly Cell[],
    slot: number,
    c: Collection,
  ): MetricData | undefined;

  /** Cumulative points start with the series; delta points with the reader's interval. */
  protected startTime(cell: Cell, slot: number, c: Collection): HrTime {
    if (slot < 0 || c.sinceMs === undefined || c.sinceMs < cell.startMs) return millisToHrTime(cell.startMs);
    return millisToHrTime(c.sinceMs);
  }
}
