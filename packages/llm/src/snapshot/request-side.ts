/**
 * One side of the requests, client or server: an accumulator for the total
 * and one per model, and the handlers both sides build the same way.
 */
import type { Diagnostics } from '../diagnostics.js';
import { ATTR_ERROR_TYPE, ATTR_TM_FINISH_REASON, OTHER_VALUE } from '../semconv.js';
import type { DataPointLike } from './collection.js';
import type { HistogramAccumulator, HistogramField } from './histogram.js';
import type { RequestSummary } from './llm-snapshot.js';
import {
  bump,
  getOrCreate,
  histogramCount,
  modelOf,
  type NumberField,
  type PointHandler,
  pointValue,
  stringAttribute,
} from './points.js';

/** What a side keeps per model: the summary, and the histograms its latencies are summarised from. */
export interface RequestAccumulator {
  readonly summary: RequestSummary;
  readonly duration: HistogramAccumulator;
}

export class PerModel<A extends RequestAccumulator> {
  readonly total: A;
  /** In the order models were first seen. */
  readonly byModel = new Map<string, A>();

  constructor(
    private readonly create: () => A,
    private readonly diagnostics: Diagnostics,
  ) {
    this.total = create();
  }

  /** Applies a point to the total and to its model's accumulator. */
  feed(point: DataPointLike, apply: (accumulator: A) => void): void {
    apply(this.total);
    apply(getOrCreate(this.byModel, modelOf(point.attributes), this.create));
  }

  /** A sum or gauge whose value adds to `field` of the summary. */
  add(field: NumberField<A['summary']>): PointHandler {
    return (point) =>
      this.feed(point, ({ summary }) => {
        (summary as Record<typeof field, number>)[field] += pointValue(point);
      });
  }

  /** A histogram folded into the accumulator's `field`. */
  fold(field: HistogramField<A>): PointHandler {
    return (point) =>
      this.feed(point, (accumulator) =>
        (accumulator[field] as HistogramAccumulator).add(point.value, this.diagnostics),
      );
  }

  /** A request duration histogram: each value recorded is one finished request. */
  durations(): PointHandler {
    return (point) =>
      this.feed(point, (accumulator) => {
        accumulator.summary.requests += histogramCount(point);
        accumulator.duration.add(point.value, this.diagnostics);
      });
  }

  /** A requests counter, counted by finish reason (`unknown` when a point has none). */
  finishReasons(): PointHandler {
    return (point) =>
      this.feed(point, ({ summary }) => {
        const reason = stringAttribute(point.attributes, ATTR_TM_FINISH_REASON) ?? 'unknown';
        bump(summary.finishReasons, reason, pointValue(point));
      });
  }

  /** An errors counter: counted, and counted by `error.type`. */
  errors(): PointHandler {
    return (point) =>
      this.feed(point, ({ summary }) => {
        summary.errors += pointValue(point);
        const type = stringAttribute(point.attributes, ATTR_ERROR_TYPE) ?? OTHER_VALUE;
        bump(summary.errorsByType, type, pointValue(point));
      });
  }
}
