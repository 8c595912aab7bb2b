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

export class ExemplarCounter extends BoundCounter<ExemplarSumCell> {
  override add(value: number, attributes?: Attributes, ctx?: Context): void {
    this.table.get(attributes).add(value, ctx);
  }
}

export class ExemplarHistogram extends BoundHistogram<ExemplarHistogramCell> {
  override record(value: number, attributes?: Attributes, ctx?: Context): void {
    this.table.get(attributes).record(value, ctx);
  }
}
