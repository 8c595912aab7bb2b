/**
 * One latency histogram summed over the series of a collection (all of a
 * model's series, say), and what it takes to compute its recent window
 * against an earlier collection.
 */
import type { Diagnostics } from '../diagnostics.js';
import { OTHER_VALUE } from '../semconv.js';
import {
  type DataPointLike,
  finiteOrUndefined,
  isExplicitHistogram,
  isExponentialHistogram,
} from './collection.js';
import type { LatencySummary, WindowLatency } from './llm-snapshot.js';
import { fillPercentiles } from './percentiles.js';
import { getOrCreate, stringAttribute } from './points.js';

/** A latency histogram's cumulative buckets as of one collection. */
export interface HistogramState {
  readonly boundaries: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export class HistogramAccumulator {
  boundaries: readonly number[] | undefined;
  counts: number[] = [];
  count = 0;
  sum = 0;
  min: number | undefined;
  max: number | undefined;

  /** Adds one data point's histogram value; other values are ignored. */
  add(value: unknown, diagnostics: Diagnostics): void {
    const histogram = toExplicit(value);
    if (!histogram) return;
    if (!this.boundaries) {
      this.boundaries = histogram.boundaries;
      this.counts = new Array<number>(histogram.counts.length).fill(0);
    } else if (!sameBoundaries(this.boundaries, histogram.boundaries)) {
      diagnostics.warn(
        'snapshot',
        'series of one metric have different bucket boundaries; some were skipped',
      );
      return;
    }
    for (let i = 0; i < histogram.counts.length; i++)
      this.counts[i] = (this.counts[i] ?? 0) + (histogram.counts[i] ?? 0);
    this.count += histogram.count;
    this.sum += histogram.sum;
    if (histogram.min !== undefined)
      this.min = this.min === undefined ? histogram.min : Math.min(this.min, histogram.min);
    if (histogram.max !== undefined)
      this.max = this.max === undefined ? histogram.max : Math.max(this.max, histogram.max);
  }

  summary(): LatencySummary {
    const summary: LatencySummary = { count: this.count, sum: this.sum };
    if (this.count === 0 || !this.boundaries) return summary;
    if (this.min !== undefined) summary.min = this.min;
    if (this.max !== undefined) summary.max = this.max;
    fillPercentiles(summary, this.boundaries, this.counts, this.min, this.max);
    return summary;
  }

  /** What a later collection needs to compute this histogram's window. */
  state(): HistogramState | undefined {
    if (this.count === 0 || !this.boundaries) return undefined;
    return { boundaries: this.boundaries, counts: this.counts, count: this.count, sum: this.sum };
  }

  /**
   * The values recorded since `base` was taken. Lifetime min/max still bound
   * the interpolation: every value of the window lies between them.
   * Undefined when the histogram was reset or re-bucketed since `base`.
   */
  since(base: HistogramState | undefined): WindowLatency | undefined {
    const count = this.count - (base?.count ?? 0);
    const sum = this.sum - (base?.sum ?? 0);
    if (count < 0) return undefined;
    const window: WindowLatency = { count, sum };
    if (count === 0 || !this.boundaries) return window;
    let counts = this.counts;
    if (base) {
      if (!sameBoundaries(base.boundaries, this.boundaries)) return undefined;
      counts = this.counts.map((bucketCount, i) => bucketCount - (base.counts[i] ?? 0));
      if (counts.some((bucketCount) => bucketCount < 0)) return undefined;
    }
    fillPercentiles(window, this.boundaries, counts, this.min, this.max);
    return window;
  }
}

/** A histogram value with explicit boundaries: `counts` has one more entry than `boundaries` (+Inf). */
interface ExplicitBuckets {
  boundaries: readonly number[];
  counts: readonly number[];
  count: number;
  sum: number;
  min?: number;
  max?: number;
}

/** Explicit-bucket histogram values as is; exponential ones converted to explicit boundaries. */
function toExplicit(value: unknown): ExplicitBuckets | undefined {
  const explicit = isExplicitHistogram(value);
  if (!explicit && !isExponentialHistogram(value)) return undefined;
  const count = finiteOrUndefined(value.count) ?? 0;
  const sum = finiteOrUndefined(value.sum) ?? 0;
  const min = finiteOrUndefined(value.min);
  const max = finiteOrUndefined(value.max);
  const stats = { count, sum, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  if (explicit) return { boundaries: value.buckets.boundaries, counts: value.buckets.counts, ...stats };
  // Bucket k covers (base^k, base^(k+1)]; the zero bucket goes below the first boundary.
  const base = 2 ** (2 ** -value.scale);
  const offset = finiteOrUndefined(value.positive.offset) ?? 0;
  const bucketCounts = value.positive.bucketCounts;
  const boundaries: number[] = [];
  for (let k = 0; k <= bucketCounts.length; k++) boundaries.push(base ** (offset + k));
  return { boundaries, counts: [finiteOrUndefined(value.zeroCount) ?? 0, ...bucketCounts, 0], ...stats };
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A histogram summarised from a collection: the ring keeps its state under `key`, its window goes to `out.recent`. */
export interface LatencyTarget {
  readonly key: string;
  readonly histogram: HistogramAccumulator;
  readonly out: LatencySummary;
}

/** Summarises `histogram`, noting it as a LatencyTarget under `key`. */
export type SummariseLatency = (key: string, histogram: HistogramAccumulator) => LatencySummary;

/** The field names of `A` that hold a HistogramAccumulator. */
export type HistogramField<A> = { [K in keyof A]-?: A[K] extends HistogramAccumulator ? K : never }[keyof A];

/** Adds a histogram point to the histogram of its value of `attribute` (a stage, a phase). */
export function addByAttribute(
  map: Map<string, HistogramAccumulator>,
  attribute: string,
  point: DataPointLike,
  diagnostics: Diagnostics,
): void {
  const key = stringAttribute(point.attributes, attribute) ?? OTHER_VALUE;
  getOrCreate(map, key, () => new HistogramAccumulator()).add(point.value, diagnostics);
}
