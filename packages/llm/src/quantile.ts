import { histogramQuantile as bucketQuantile, cumulativeBuckets } from '@tokenmeter/exposition';

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
