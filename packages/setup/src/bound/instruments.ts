/**
 * The synchronous instruments of the bound-series path, implementing the
 * `@opentelemetry/api` interfaces, plus `bind()`: the series for a fixed
 * attribute set, resolved once, so a hot loop records with no lookup at all.
 */
import type { Attributes, Counter, Gauge, Histogram, UpDownCounter } from '@opentelemetry/api';
import type { HistogramCell } from './histogram-cell.js';
import type { LastValueCell } from './last-value-cell.js';
import type { SeriesTable } from './series-table.js';
import type { SumCell } from './sum-cell.js';

/** One series of a counter, bound to its attributes. */
export interface BoundCounterSeries {
  add(value: number): void;
}

/** One series of a histogram or gauge, bound to its attributes. */
export interface BoundRecordSeries {
  record(value: number): void;
}

export class BoundCounter<Cell extends SumCell = SumCell> implements Counter, UpDownCounter {
  constructor(protected readonly table: SeriesTable<Cell>) {}

  add(value: number, attributes?: Attributes): void {
    this.table.get(attributes).add(value);
  }

  /** The series for `attributes`; record into it with `add(value)`. */
  bind(attributes?: Attributes): BoundCounterSeries {
    return this.table.get(attributes);
  }
}

export class BoundHistogram<Cell extends HistogramCell = HistogramCell> implements Histogram {
  constructor(protected readonly table: SeriesTable<Cell>) {}

  record(value: number, attributes?: Attributes): void {
    this.table.get(attributes).record(value);
  }

  /** The series for `attributes`; record into it with `record(value)`. */
  bind(attributes?: Attributes): BoundRecordSeries {
    return this.table.get(attributes);
  }
}

export class BoundGauge implements Gauge {
  constructor(private readonly table: SeriesTable<LastValueCell>) {}

  record(value: number, attributes?: Attributes): void {
    this.table.get(attributes).record(value);
  }

  /** The series for `attributes`; record into it with `record(value)`. */
  bind(attributes?: Attributes): BoundRecordSeries {
    return this.table.get(attributes);
  }
}
