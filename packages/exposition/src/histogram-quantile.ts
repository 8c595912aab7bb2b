/**
 * PromQL's `histogram_quantile`, for every tokenmeter reader of explicit-bucket
 * histograms: run reports over scraped `_bucket` series and the live snapshot of
 * the SDK's own histograms. One function, so a p99 in a report, on the dashboard
 * and in Grafana is the same number for the same buckets.
 */

/** A cumulative bucket as the text formats expose it: the observations `<= le`. */
export interface CumulativeBucket {
  le: number;
  count: number;
}

/**
 * What an OpenTelemetry histogram knows beyond its buckets (the SDK records the
 * smallest and largest observation; the Prometheus text formats carry neither).
 */
export interface ObservedRange {
  min?: number | undefined;
  max?: number | undefined;
}

/**
 * The φ-quantile of one histogram's cumulative buckets, as PromQL computes it:
 * buckets sorted by `le`, a count lower than the one before it raised to it
 * (scraped data races), the rank `q · total` found in the first bucket that
 * reaches it, and linear interpolation inside that bucket; the lowest bucket
 * starts at 0 (or is its bound when that is ≤ 0); a rank in the `+Inf` bucket
 * returns the highest finite bound. NaN for a NaN `q`, no buckets, no `+Inf`
 * bucket or no observations, and −Inf / +Inf for `q` below 0 / above 1.
 *
 * One deliberate difference: at `q = 0` with an empty lowest bucket PromQL
 * divides 0 by 0 and returns NaN; here the rank goes to the first bucket that
 * holds observations, and the answer is its lower edge.
 *
 * With `observed` (an OTel histogram's min and max): `q = 0` is the min and
 * `q = 1` the max; the lowest bucket starts at the min, every bucket's edges
 * are narrowed to [min, max], and a rank in the `+Inf` bucket interpolates up
 * to the max instead of stopping at the highest bound, so the answer never
 * leaves [min, max].
 */
export function histogramQuantile(
  q: number,
  buckets: readonly CumulativeBucket[],
  observed: ObservedRange = {},
): number {
  if (Number.isNaN(q) || buckets.length === 0) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as CumulativeBucket;
    const cur = sorted[i] as CumulativeBucket;
    if (cur.count < prev.count) sorted[i] = { le: cur.le, count: prev.count };
  }
  const last = sorted.at(-1) as CumulativeBucket;
  if (last.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const total = last.count;
  if (!(total > 0)) return Number.NaN;
  const { min, max } = observed;
  if (q === 0 && min !== undefined) return min;
  if (q === 1 && max !== undefined) return max;

  const rank = q * total;
  const countBelow = (i: number) => (i === 0 ? 0 : (sorted[i - 1] as CumulativeBucket).count);
  let i = sorted.findIndex((b, j) => b.count >= rank && b.count > countBelow(j));
  if (i < 0) i = sorted.length - 1;
  const bucket = sorted[i] as CumulativeBucket;
  const below = countBelow(i);

  let lower = i === 0 ? (min ?? Math.min(0, bucket.le)) : (sorted[i - 1] as CumulativeBucket).le;
  let upper = bucket.le;
  if (upper === Number.POSITIVE_INFINITY) {
    // Nothing bounds the observations from above but the max, when there is one.
    if (max !== undefined) upper = max;
    else if (i === 0) return Number.NaN;
    else upper = lower;
  } else if (max !== undefined && max < upper) {
    upper = max;
  }
  if (min !== undefined && min > lower) lower = min;
  if (upper < lower) upper = lower;
  return lower + (upper - lower) * ((rank - below) / (bucket.count - below));
}

/**
 * An OpenTelemetry explicit-bucket histogram (`boundaries`, and one count per
 * bucket, the last for `+Inf`) as cumulative buckets. Counts past the last
 * boundary all belong to the `+Inf` bucket.
 */
export function cumulativeBuckets(
  boundaries: readonly number[],
  counts: readonly number[],
): CumulativeBucket[] {
  const out: CumulativeBucket[] = [];
  let cumulative = 0;
  for (let i = 0; i < boundaries.length; i++) {
    cumulative += counts[i] ?? 0;
    out.push({ le: boundaries[i] as number, count: cumulative });
  }
  for (let i = boundaries.length; i < counts.length; i++) cumulative += counts[i] ?? 0;
  out.push({ le: Number.POSITIVE_INFINITY, count: cumulative });
  return out;
}
