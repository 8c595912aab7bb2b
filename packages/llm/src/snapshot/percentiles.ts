/**
 * Percentiles of a histogram, interpolated in its buckets.
 */
import { histogramQuantile as bucketQuantile, cumulativeBuckets } from '@tokenmeter/exposition';
import type { WindowLatency } from './llm-snapshot.js';

/**
 * The φ-quantile of an SDK explicit-bucket histogram: PromQL's
 * `histogram_quantile` (`@tokenmeter/exposition`, the one implementation every
 * tokenmeter package uses), narrowed by the min and max the SDK recorded.
 * `boundaries` has n entries, `counts` n+1 (the last is the +Inf bucket); `q`
 * is clamped to [0, 1]. Undefined for an empty histogram or a non-finite `q`.
 */
export function histogramQuantile(
  q: number,
  boundaries: readonly number[],
  counts: readonly number[],
  min?: number,
  max?: number,
): number | undefined {
  if (!Number.isFinite(q)) return undefined;
  const value = bucketQuantile(Math.min(Math.max(q, 0), 1), cumulativeBuckets(boundaries, counts), {
    min,
    max,
  });
  return Number.isNaN(value) ? undefined : value;
}

/** Sets the mean and p50/p90/p95/p99 of `into` (whose count is not 0) from the buckets. */
export function fillPercentiles(
  into: WindowLatency,
  boundaries: readonly number[],
  counts: readonly number[],
  min: number | undefined,
  max: number | undefined,
): void {
  into.mean = into.sum / into.count;
  into.p50 = histogramQuantile(0.5, boundaries, counts, min, max);
  into.p90 = histogramQuantile(0.9, boundaries, counts, min, max);
  into.p95 = histogramQuantile(0.95, boundaries, counts, min, max);
  into.p99 = histogramQuantile(0.99, boundaries, counts, min, max);
}
