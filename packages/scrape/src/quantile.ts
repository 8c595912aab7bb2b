/** A cumulative bucket: observations `<= le`. */
export interface CumulativeBucket {
  le: number;
  count: number;
}

/**
 * Prometheus' `histogram_quantile`: linear interpolation inside the bucket
 * holding the rank; the lowest bucket starts at 0; a rank in the `+Inf` bucket
 * returns the highest finite bound. NaN when there are no observations.
 */
export function histogramQuantile(q: number, buckets: readonly CumulativeBucket[]): number {
  if (Number.isNaN(q) || buckets.length === 0) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  // Cumulative counts must not decrease; scraped data sometimes does (races in the server).
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as CumulativeBucket;
    const cur = sorted[i] as CumulativeBucket;
    if (cur.count < prev.count) sorted[i] = { le: cur.le, count: prev.count };
  }
  const last = sorted.at(-1) as CumulativeBucket;
  if (last.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const total = last.count;
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let i = sorted.findIndex((b) => b.count >= rank);
  if (i < 0) i = sorted.length - 1;
  const bucket = sorted[i] as CumulativeBucket;
  if (bucket.le === Number.POSITIVE_INFINITY)
    return sorted.length >= 2 ? (sorted.at(-2) as CumulativeBucket).le : Number.NaN;
  if (i === 0 && bucket.le <= 0) return bucket.le;
  const lower = i === 0 ? 0 : (sorted[i - 1] as CumulativeBucket).le;
  const below = i === 0 ? 0 : (sorted[i - 1] as CumulativeBucket).count;
  const inBucket = bucket.count - below;
  if (inBucket <= 0) return bucket.le;
  return lower + (bucket.le - lower) * ((rank - below) / inBucket);
}
