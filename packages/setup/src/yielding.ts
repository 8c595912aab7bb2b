/**
 * Long synchronous walks over every series (rendering a scrape, merging a
 * cluster's collections) cut into slices, with a turn of the application's
 * event loop between them: at 10k series one pass blocks the application
 * for hundreds of milliseconds, a slice of a few hundred series for a few.
 * The walks are generators that yield where they may pause.
 */
import { anchorShape } from '@tokenmeter/exposition';

/**
 * Samples per slice when nothing else is configured: 500 series of a
 * histogram with the 14 GenAI duration buckets (17 samples each), or 8,500
 * counter series.
 */
export const DEFAULT_YIELD_EVERY = 8500;

/** The slice length for a `yieldEvery` option: its default when absent, `Infinity` (one pass) for 0. */
export function sliceLength(yieldEvery: number | undefined): number {
  const every = yieldEvery ?? DEFAULT_YIELD_EVERY;
  return every > 0 ? every : Number.POSITIVE_INFINITY;
}

/**
 * The samples (lines of the text format) of a histogram series with
 * `buckets` buckets, `+Inf` included: one per bucket, `_sum` and `_count`.
 */
export function histogramSamples(buckets: number): number {
  return buckets + 2;
}

/**
 * The samples a series' value makes, the unit slices are counted in: one for
 * a number (a counter's or gauge's value), {@link histogramSamples} for an
 * explicit-bucket histogram (`{ buckets: { counts } }`, or `{ counts }`), and
 * one per bucket on either side plus the zero bucket, `_sum` and `_count` for
 * an exponential one (`{ positive, negative }`).
 */
export function samplesOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 1;
  const v = value as {
    buckets?: { counts?: readonly number[] };
    counts?: readonly number[];
    positive?: { bucketCounts?: readonly number[] };
    negative?: { bucketCounts?: readonly number[] };
  };
  const counts = v.buckets?.counts ?? v.counts;
  if (counts !== undefined) return histogramSamples(counts.length);
  return (v.positive?.bucketCounts?.length ?? 0) + (v.negative?.bucketCounts?.length ?? 0) + 3;
}

/**
 * Counts a walk's work in samples and says when a slice is full. Counting
 * samples, not series, keeps a slice's cost about the same whatever the
 * instrument: a histogram series is 17 lines of the text format where a
 * counter series is one, and a slice of 500 counter series (~0.1 ms) gave
 * the loop a turn far more often than any block bound needs; at 1k counter
 * series those turns were a measurable part of an HTTP scrape after a full
 * GC (2026-12-07). The walk asks before each unit, not after: a walk that
 * ends exactly on a slice boundary then never yields after its last unit, a
 * turn that would only delay its result (after a full GC the first turn of
 * the loop also runs the collector's follow-up tasks: ~45 µs on the
 * benchmark VM, against ~4 µs).
 */
export class Slices {
  private left: number;

  constructor(private readonly length: number) {
    this.left = length;
  }

  /**
   * Called before each unit of `samples` samples: true when the units since
   * the last pause fill a slice, and the walk should yield first.
   */
  due(samples = 1): boolean {
    if (this.left > 0) {
      this.left -= samples;
      return false;
    }
    this.left = this.length - samples;
    return true;
  }
}

// Each walk's counter dies with it; its shape must not (see anchorShape).
anchorShape(new Slices(1));

/** Runs a walk to the end, giving the event loop a turn wherever it yields; resolves with what it returns. */
export async function runYielding<T>(steps: Generator<void, T, void>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
