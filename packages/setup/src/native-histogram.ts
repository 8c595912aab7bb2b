/**
 * An OpenTelemetry exponential histogram as a Prometheus native histogram.
 *
 * Both are base-2 exponential bucket schemes with the same resolution
 * parameter (OTel `scale` = Prometheus `schema`: each power of two split into
 * 2^scale buckets), and both buckets are upper-inclusive. They differ in:
 * - index: OTel bucket `i` is (base^i, base^(i+1)], Prometheus bucket `j` is
 *   (base^(j-1), base^j], so j = i + 1;
 * - range: Prometheus takes schemas -4 to 8, OTel scales -10 to 20. A finer
 *   scale is merged down to 8 (bucket i of scale s falls in bucket
 *   floor(i / 2^(s-8)) of scale 8, exactly); a coarser one than -4 cannot be
 *   represented (it needs values spanning more than 2^2560, or a reservoir
 *   of a few buckets) and is left out;
 * - layout: Prometheus stores runs of buckets ("spans") and each count as the
 *   difference to the previous one. Gaps of up to two empty buckets stay
 *   inside a span (cheaper than a new span), as client_golang does.
 * The OTel zero bucket holds exact zeros only, so the zero threshold is 0.
 */
import type { ExponentialHistogram } from '@opentelemetry/sdk-metrics';

export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;

/** A run of consecutive buckets: `offset` is the first index (first span) or the gap since the previous span. */
export interface BucketSpan {
  readonly offset: number;
  readonly length: number;
}

export interface NativeHistogram {
  readonly schema: number;
  readonly count: number;
  readonly sum: number;
  readonly zeroCount: number;
  readonly positiveSpans: BucketSpan[];
  /** Each bucket's count minus the previous bucket's (the first: minus 0), across spans. */
  readonly positiveDeltas: number[];
  readonly negativeSpans: BucketSpan[];
  readonly negativeDeltas: number[];
}

/** Longest run of empty buckets kept inside a span rather than starting a new one. */
const MAX_GAP_IN_SPAN = 2;

function layout(
  offset: number,
  counts: readonly number[],
  shift: number,
): { spans: BucketSpan[]; deltas: number[] } {
  const spans: { offset: number; length: number }[] = [];
  const deltas: number[] = [];
  let previousCount = 0;
  let lastIndex = 0;
  const emit = (index: number, count: number): void => {
    if (count === 0) return;
    const span = spans[spans.length - 1];
    const gap = index - lastIndex - 1;
    if (span === undefined) {
      spans.push({ offset: index, length: 1 });
    } else if (gap <= MAX_GAP_IN_SPAN) {
      for (let g = 0; g < gap; g++) {
        deltas.push(-previousCount);
        previousCount = 0;
      }
      span.length += gap + 1;
    } else {
      spans.push({ offset: gap, length: 1 });
    }
    deltas.push(count - previousCount);
    previousCount = count;
    lastIndex = index;
  };
  const factor = 2 ** shift;
  let index: number | undefined;
  let merged = 0;
  for (let k = 0; k < counts.length; k++) {
    const j = Math.floor((offset + k) / factor) + 1;
    if (j !== index) {
      if (index !== undefined) emit(index, merged);
      index = j;
      merged = 0;
    }
    merged += counts[k] ?? 0;
  }
  if (index !== undefined) emit(index, merged);
  return { spans, deltas };
}

/** The native form of `h`, or undefined when its scale is below what Prometheus accepts. */
export function toNativeHistogram(h: ExponentialHistogram): NativeHistogram | undefined {
  if (!(h.scale >= MIN_SCHEMA)) return undefined;
  const schema = Math.min(h.scale, MAX_SCHEMA);
  const shift = h.scale - schema;
  const positive = layout(h.positive.offset, h.positive.bucketCounts, shift);
  const negative = layout(h.negative.offset, h.negative.bucketCounts, shift);
  return {
    schema,
    count: h.count,
    // The SDK leaves the sum out when a view aggregates a gauge or up-down counter
    // this way (values may be negative); NaN says "unknown" where 0 would be a lie.
    sum: h.sum ?? Number.NaN,
    zeroCount: h.zeroCount,
    positiveSpans: positive.spans,
    positiveDeltas: positive.deltas,
    negativeSpans: negative.spans,
    negativeDeltas: negative.deltas,
  };
}
