/**
 * One histogram series with its attributes fixed, for a loop that records into
 * it many times (a stream's per-chunk times).
 *
 * On the provider `@tokenmeter/setup` builds, histograms have `bind()`: the
 * series is resolved once and each record is a few additions. Any other
 * provider's histogram is wrapped so the call site looks the same; its record
 * costs what `record(value, attributes)` costs there.
 */
import type { Attributes, Histogram } from '@opentelemetry/api';

export interface RecordSeries {
  record(value: number): void;
}

interface Bindable {
  bind(attributes: Attributes): RecordSeries;
}

class UnboundSeries implements RecordSeries {
  constructor(
    private readonly histogram: Histogram,
    private readonly attributes: Attributes,
  ) {}

  record(value: number): void {
    this.histogram.record(value, this.attributes);
  }
}

/** `histogram`'s series for `attributes` (which must not change afterwards: pass a frozen set). */
export function recordSeries(histogram: Histogram, attributes: Attributes): RecordSeries {
  const bind = (histogram as Partial<Bindable>).bind;
  if (typeof bind === 'function') {
    const series = bind.call(histogram, attributes);
    if (series !== undefined && typeof series.record === 'function') return series;
  }
  return new UnboundSeries(histogram, attributes);
}
