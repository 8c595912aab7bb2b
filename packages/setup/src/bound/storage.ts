/**
 * What the three storage kinds share: a series table, the instrument's
 * descriptor and delta slots, which slot (if any) each reader uses, and the
 * walk over the series that turns them into one reader's data points.
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { AggregationTemporality, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import type { Exemplar, ExemplarDataPoint } from '../exemplar.js';
import { indexSeries } from '../series-index.js';
import type { Slices } from '../yielding.js';
import type { InstrumentCore } from './instrument-core.js';
import type { SeriesTable } from './series-table.js';

export interface Collection {
  /** Index of the reader collecting. */
  readonly reader: number;
  /** When that reader last collected (ms since the epoch), or undefined the first time. */
  readonly sinceMs: number | undefined;
  readonly endTime: HrTime;
}

interface CellBase {
  readonly attributes: Readonly<Attributes>;
  readonly startMs: number;
}

export abstract class Storage<Cell extends CellBase, Value> {
  constructor(
    readonly core: InstrumentCore,
    readonly table: SeriesTable<Cell>,
    /** Per reader: its delta slot, or -1 for cumulative. */
    private readonly slotOf: readonly number[],
  ) {}

  /**
   * This instrument's data for one reader (undefined when it has no point to
   * report), as a walk that yields whenever `slices` says a slice of series is
   * done, so a collection of 50k series does not hold the event loop.
   */
  *collect(c: Collection, slices: Slices): Generator<void, MetricData | undefined, void> {
    const slot = this.slotOf[c.reader] ?? -1;
    const dataPoints: DataPoint<Value>[] = [];
    const indexes: number[] = [];
    // Cells are only ever appended, so reading by index stays right across yields.
    const cells = this.table.cells;
    let endTime = c.endTime;
    const samples = this.samplesPerSeries();
    for (let i = 0; i < cells.length; i++) {
      if (slices.due(samples)) {
        yield;
        // Series read after a pause hold what was recorded up to now: say so.
        endTime = millisToHrTime(Date.now());
      }
      const cell = cells[i] as Cell;
      // Before delta(), which starts the reader's next interval.
      const exemplars = this.exemplars(cell, slot);
      const value = slot < 0 ? this.cumulative(cell) : this.delta(cell, slot);
      if (value !== undefined) {
        // Cumulative points start with the series; delta points with the reader's interval.
        const startMs =
          slot < 0 || c.sinceMs === undefined || c.sinceMs < cell.startMs ? cell.startMs : c.sinceMs;
        const point: ExemplarDataPoint<Value> = {
          attributes: cell.attributes,
          startTime: millisToHrTime(startMs),
          endTime,
          value,
        };
        dataPoints.push(exemplars === undefined ? point : { ...point, exemplars });
        indexes.push(i);
      }
    }
    if (dataPoints.length === 0) return undefined;
    const data = this.metricData(
      slot < 0 ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA,
      dataPoints,
    );
    // Lets a serializer find what it rendered for each series by index (see series-index.ts).
    indexSeries(data, this.table, indexes);
    return data;
  }

  /**
   * The exemplars to hand over with the series' point (see `ExemplarDataPoint`):
   * none here; the storages of `registerMetrics({ exemplars: true })` override it.
   * A delta reader (`slot` ≥ 0) gets only those recorded since its last collection.
   */
  protected exemplars(_cell: Cell, _slot: number): readonly (Exemplar | undefined)[] | undefined {
    return undefined;
  }

  /** The samples one series makes, the unit collections are sliced in (see yielding.ts). */
  protected samplesPerSeries(): number {
    return 1;
  }

  /** The series' value since it began, or undefined when it holds nothing yet. */
  protected abstract cumulative(cell: Cell): Value | undefined;

  /** The series' value since `slot`'s reader last collected (and starts a new interval), or undefined when nothing was recorded. */
  protected abstract delta(cell: Cell, slot: number): Value | undefined;

  protected abstract metricData(
    temporality: AggregationTemporality,
    dataPoints: DataPoint<Value>[],
  ): MetricData;
}
