import { histogramQuantile } from '@tokenmeter/exposition';
import type { IntervalRow, SeriesSummary } from './analysis.js';
import { intervalRow, perSecond } from './interval-row.js';
import type { HistogramPoint, RecordedSeries } from './recorded-series.js';

const QUANTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
] as const;

/** p50/p90/p99 of per-bound observation counts, by PromQL's `histogram_quantile`. */
function quantiles(into: SeriesSummary | IntervalRow, buckets: Map<number, number>): void {
  const cumulative = [...buckets].map(([le, count]) => ({ le, count }));
  for (const [k, q] of QUANTILES) into[k] = histogramQuantile(q, cumulative);
}

/**
 * A histogram over the recording: the observations made *during* it (bucket,
 * count and sum increases, not lifetime totals), their rate and mean, and
 * p50/p90/p99 of them; the same per interval. One reset decision per interval
 * for the whole histogram, from its count. `born`: the scrape before the
 * series first appeared, where it counts from zero.
 */
export function summariseHistogram(
  series: RecordedSeries<HistogramPoint>,
  born: number | undefined,
  intervals?: IntervalRow[],
): SeriesSummary {
  const { meta } = series;
  const points =
    born === undefined
      ? series.points
      : [{ ts: born, buckets: new Map<number, number>(), sum: 0, count: 0 }, ...series.points];
  const totalBuckets = new Map<number, number>();
  let totalSum = 0;
  let totalCount = 0;
  for (let i = 1; i < points.length; i++) {
    const p = points[i] as HistogramPoint;
    const prev = points[i - 1] as HistogramPoint;
    const reset = p.count < prev.count;
    const d = (cur: number, before: number) => (reset ? cur : Math.max(0, cur - before));
    const buckets = new Map<number, number>();
    for (const [le, c] of p.buckets) buckets.set(le, d(c, prev.buckets.get(le) ?? 0));
    const dc = d(p.count, prev.count);
    const ds = reset ? p.sum : p.sum - prev.sum;
    if (!buckets.has(Number.POSITIVE_INFINITY)) buckets.set(Number.POSITIVE_INFINITY, dc);
    for (const [le, c] of buckets) totalBuckets.set(le, (totalBuckets.get(le) ?? 0) + c);
    totalSum += ds;
    totalCount += dc;
    if (intervals) {
      const row = intervalRow(meta, prev, p, dc);
      row.rate = perSecond(dc, row.seconds);
      row.sum = ds;
      row.mean = dc > 0 ? ds / dc : Number.NaN;
      quantiles(row, buckets);
      intervals.push(row);
    }
  }
  const seconds = ((points.at(-1) as HistogramPoint).ts - (points[0] as HistogramPoint).ts) / 1000;
  const summary: SeriesSummary = {
    ...meta,
    points: series.points.length,
    seconds,
    increase: totalCount,
    rate: perSecond(totalCount, seconds),
    sum: totalSum,
    mean: totalCount > 0 ? totalSum / totalCount : Number.NaN,
  };
  quantiles(summary, totalBuckets);
  return summary;
}
