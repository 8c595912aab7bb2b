import type { ExponentialHistogram } from '@opentelemetry/sdk-metrics';

/** The SDK's default bucket count per sign (`ExponentialHistogram` aggregation `maxSize`). */
export const DEFAULT_MAX_SIZE = 160;
/** The most buckets per sign a reporter may send, and so the most a merge can keep. */
export const MAX_EXPONENTIAL_BUCKETS = 16_384;

type Buckets = ExponentialHistogram['positive'];

/** The lowest and highest bucket index holding a count, at the histogram's own scale; undefined when empty. */
function range(buckets: Buckets): [number, number] | undefined {
  const counts = buckets.bucketCounts;
  let first = 0;
  while (first < counts.length && counts[first] === 0) first++;
  if (first === counts.length) return undefined;
  let last = counts.length - 1;
  while (counts[last] === 0) last--;
  return [buckets.offset + first, buckets.offset + last];
}

/** Index `index` at a scale `shift` steps lower: bucket i of scale s lies in bucket i >> 1 of scale s - 1. */
function down(index: number, shift: number): number {
  return shift === 0 ? index : Math.floor(index / 2 ** shift);
}

/** The lowest and highest index holding a count across the parts' buckets of one sign, at `scale`. */
function unionRange(
  parts: readonly ExponentialHistogram[],
  sign: 'positive' | 'negative',
  scale: number,
): [number, number] | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const part of parts) {
    const r = range(part[sign]);
    if (r === undefined) continue;
    const shift = part.scale - scale;
    lo = Math.min(lo, down(r[0], shift));
    hi = Math.max(hi, down(r[1], shift));
  }
  return lo > hi ? undefined : [lo, hi];
}

/** The largest scale from `scale` down at which the parts' buckets of one sign fit in `maxSize`. */
function fittingScale(
  parts: readonly ExponentialHistogram[],
  sign: 'positive' | 'negative',
  scale: number,
  maxSize: number,
): number {
  const r = unionRange(parts, sign, scale);
  if (r === undefined) return scale;
  let [lo, hi] = r;
  let s = scale;
  while (hi - lo + 1 > maxSize) {
    lo = down(lo, 1);
    hi = down(hi, 1);
    s--;
  }
  return s;
}

function mergeSign(
  parts: readonly ExponentialHistogram[],
  sign: 'positive' | 'negative',
  scale: number,
): Buckets {
  const r = unionRange(parts, sign, scale);
  if (r === undefined) return { offset: 0, bucketCounts: [] };
  const [lo, hi] = r;
  const counts = new Array<number>(hi - lo + 1).fill(0);
  for (const part of parts) {
    const { offset, bucketCounts } = part[sign];
    const shift = part.scale - scale;
    for (let i = 0; i < bucketCounts.length; i++) {
      const c = bucketCounts[i] ?? 0;
      if (c === 0) continue;
      const at = down(offset + i, shift) - lo;
      counts[at] = (counts[at] ?? 0) + c;
    }
  }
  return { offset: lo, bucketCounts: counts };
}

/**
 * The exponential histogram of every value the parts hold, at the largest
 * scale no greater than any part's where each sign fits in `maxSize` buckets
 * (the larger of the SDK default and the widest part). Re-scaling is exact:
 * bucket i at scale s is the union of buckets 2i and 2i+1 at scale s + 1.
 */
export function mergeExponential(parts: readonly ExponentialHistogram[]): ExponentialHistogram {
  let scale = Number.POSITIVE_INFINITY;
  let maxSize = DEFAULT_MAX_SIZE;
  let count = 0;
  let zeroCount = 0;
  let sum: number | undefined = 0;
  let min: number | undefined;
  let max: number | undefined;
  let unknownMinMax = false;
  let anyBuckets = false;
  for (const part of parts) {
    // A part with no buckets (nothing but zeros) has no scale to speak of: the SDK reports 0.
    if (range(part.positive) !== undefined || range(part.negative) !== undefined) {
      scale = Math.min(scale, part.scale);
      anyBuckets = true;
    }
    maxSize = Math.max(maxSize, part.positive.bucketCounts.length, part.negative.bucketCounts.length);
    count += part.count;
    zeroCount += part.zeroCount;
    sum = sum === undefined || part.sum === undefined ? undefined : sum + part.sum;
    if (part.count === 0) continue;
    if (part.min === undefined || part.max === undefined) unknownMinMax = true;
    else {
      min = min === undefined ? part.min : Math.min(min, part.min);
      max = max === undefined ? part.max : Math.max(max, part.max);
    }
  }
  if (!anyBuckets) scale = parts.length > 0 ? Math.min(...parts.map((p) => p.scale)) : 0;
  maxSize = Math.min(maxSize, MAX_EXPONENTIAL_BUCKETS);
  scale = Math.min(
    fittingScale(parts, 'positive', scale, maxSize),
    fittingScale(parts, 'negative', scale, maxSize),
  );
  return {
    count,
    sum,
    min: unknownMinMax ? undefined : min,
    max: unknownMinMax ? undefined : max,
    scale,
    zeroCount,
    positive: mergeSign(parts, 'positive', scale),
    negative: mergeSign(parts, 'negative', scale),
  };
}
