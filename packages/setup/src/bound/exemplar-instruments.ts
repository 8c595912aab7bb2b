/**
 * The Counter and Histogram of `registerMetrics({ exemplars: true })`: the
 * bound instruments, passing the `context` argument of `add()`/`record()` on
 * to their series. Separate classes, so that with exemplars off the record
 * path is exactly the plain one.
 */
import type { Attributes, Context } from '@opentelemetry/api';
import type { ExemplarHistogramCell } from './exemplar-histogram-cell.js';
import type { ExemplarSumCell } from './exemplar-sum-cell.js';
import { BoundCounter, BoundHistogram } from './instruments.js';
import type { SeriesTable } from './series-table.js';

export class ExemplarCounter extends BoundCounter {
  constructor(private readonly series: SeriesTable<ExemplarSumCell>) {
    super(series);
  }

  override add(value: number, attributes?: Attributes, ctx?: Context): void {
    this.series.get(attributes).add(value, ctx);
  }
}

export class ExemplarHistogram extends BoundHistogram {
  constructor(private readonly series: SeriesTable<ExemplarHistogramCell>) {
    super(series);
  }

  override record(value: number, attributes?: Attributes, ctx?: Context): void {
    this.series.get(attributes).record(value, ctx);
  }
}
