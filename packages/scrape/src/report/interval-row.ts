import type { IntervalRow } from './analysis.js';
import type { SeriesMeta } from './recorded-series.js';

/** `value / seconds`; NaN over no time. */
export function perSecond(value: number, seconds: number): number {
  return seconds > 0 ? value / seconds : Number.NaN;
}

/** The row of the interval from the scrape at `from` to the one at `to`, before kind-specific statistics. */
export function intervalRow(
  meta: SeriesMeta,
  from: { ts: number },
  to: { ts: number },
  value: number,
): IntervalRow {
  return {
    ts: to.ts,
    seconds: (to.ts - from.ts) / 1000,
    target: meta.target,
    name: meta.name,
    kind: meta.kind,
    labels: meta.labels,
    value,
  };
}
