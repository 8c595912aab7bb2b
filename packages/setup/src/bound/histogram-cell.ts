/**
 * One series of an explicit-bucket Histogram: count, sum, min, max and bucket
 * counts since the series began, plus interval sum/min/max per delta reader
 * (bucket counts and the count are integers, so a delta reader takes their
 * exact difference instead of keeping a second copy).
 */
import type { Attributes } from '@opentelemetry/api';
import { type InstrumentCore, Rejection } from './instrument-core.js';

const NO_SLOTS = new Float64Array(0);

export class HistogramCell {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** `counts[i]` values ≤ `boundaries[i]` (and > the one before); the last entry is the overflow bucket. */
  readonly counts: number[];
  /** Per delta reader: sum, min and max since its last collection. */
  readonly intervalSum: Float64Array;
  readonly intervalMin: Float64Array;
  readonly intervalMax: Float64Array;
  /** Per delta reader: `count` and `counts` at its last collection. */
  readonly reportedCount: number[];
  readonly reportedCounts: number[][];
  protected readonly int: boolean;

  constructor(
    readonly attributes: Readonly<Attributes>,
    readonly startMs: number,
    private readonly core: InstrumentCore,
    protected readonly boundaries: readonly number[],
  ) {
    this.int = core.int;
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
    const slots = core.slots;
    if (slots === 0) {
      this.intervalSum = this.intervalMin = this.intervalMax = NO_SLOTS;
      this.reportedCount = [];
      this.reportedCounts = [];
    } else {
      this.intervalSum = new Float64Array(slots);
      this.intervalMin = new Float64Array(slots).fill(Number.POSITIVE_INFINITY);
      this.intervalMax = new Float64Array(slots).fill(Number.NEGATIVE_INFINITY);
      this.reportedCount = new Array<number>(slots).fill(0);
      this.reportedCounts = Array.from({ length: slots }, () =>
        new Array<number>(boundaries.length + 1).fill(0),
      );
    }
  }

  /**
   * Histogram `record()` for this series. Never throws. Returns the index of
   * the bucket the value went to, or -1 when it was not recorded.
   */
  record(value: number): number {
    if (!(typeof value === 'number' && value >= 0)) {
      // NaN is ignored silently, as the SDK does; negatives and non-numbers are reported once.
      if (typeof value !== 'number') this.core.reject(Rejection.NotANumber, value);
      else if (value < 0) this.core.reject(Rejection.Negative, value);
      return -1;
    }
    let v = value;
    if (this.int && !Number.isInteger(v)) {
      // As in the SDK, an INT instrument drops what has no integer part (Infinity).
      if (v === Number.POSITIVE_INFINITY) return -1;
      this.core.reject(Rejection.Fraction, v);
      v = Math.trunc(v);
    }
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    // Upper-bound search: the first boundary >= v, as the SDK buckets (le semantics).
    const b = this.boundaries;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((b[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo] = (this.counts[lo] as number) + 1;
    const sums = this.intervalSum;
    for (let i = 0; i < sums.length; i++) {
      sums[i] = (sums[i] as number) + v;
      if (v < (this.intervalMin[i] as number)) this.intervalMin[i] = v;
      if (v > (this.intervalMax[i] as number)) this.intervalMax[i] = v;
    }
    return lo;
  }
}
