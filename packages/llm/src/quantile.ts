/**
 * Quantiles from explicit-bucket histograms by linear interpolation inside
 * the bucket, as PromQL's histogram_quantile does, tightened by the
 * recorded min/max when the SDK kept them.
 */

/**
 * `boundaries` has n entries, `counts` n+1 (the last is the +Inf bucket).
 * Returns undefined for an empty histogram.
 */
export function histogramQuantile(
  q: number,
  boundaries: readonly number[],
  counts: readonly number[],
  min?: number,
  max?: number,
): number | undefined {
  let total = 0;
  for (const c of counts) total += c;
  if (!(total > 0) || !Number.isFinite(q)) return undefined;
  const qq = Math.min(Math.max(q, 0), 1);
  if (qq === 0 && min !== undefined) return min;
  if (qq === 1 && max !== undefined) return max;
  const rank = qq * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c <= 0) continue;
    cum += c;
    if (cum < rank) continue;
    const first = boundaries[0] ?? 0;
    let lower = i === 0 ? Math.min(0, first) : (boundaries[i - 1] ?? 0);
    let upper =
      i < boundaries.length ? (boundaries[i] ?? lower) : (boundaries[boundaries.length - 1] ?? lower);
    if (min !== undefined && min > lower) lower = min;
    if (max !== undefined && max < upper) upper = max;
    if (i >= boundaries.length && max !== undefined) upper = max;
    if (upper < lower) upper = lower;
    return lower + (upper - lower) * ((rank - (cum - c)) / c);
  }
  return max ?? boundaries[boundaries.length - 1];
}
