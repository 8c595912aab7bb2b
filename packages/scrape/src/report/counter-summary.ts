import type { IntervalRow, SeriesSummary } from './analysis.js';
import { intervalRow, perSecond } from './interval-row.js';
import type { Point, RecordedSeries } from './recorded-series.js';

/** Increase from `prev` to `cur` of a cumulative value; a decrease is a reset (the server restarted). */
function increase(prev: number, cur: number): { delta: number; reset: boolean } {
  return cur < prev ? { delta: cur, reset: true } : { delta: cur - prev, reset: false };
}

/**
 * A counter over the recording: the sum of its per-interval increases (a
 * reset counts the new value), their rate, and how many resets. `born`: the
 * scrape before the series first appeared, where it counts from zero.
 */
export function summariseCounter(
  series: RecordedSeries<Point>,
  born: number | undefined,
  intervals?: IntervalRow[],
): SeriesSummary {
  const { meta } = series;
  const points = born === undefined ? series.points : [{ ts: born, value: 0 }, ...series.points];
  let total = 0;
  let resets = 0;
  for (let i = 1; i < points.length; i++) {
    const p = points[i] as Point;
    const prev = points[i - 1] as Point;
    const { delta, reset } = increase(prev.value, p.value);
    if (reset) resets++;
    total += delta;
    if (intervals) {
      const row = intervalRow(meta, prev, p, delta);
      row.rate = perSecond(delta, row.seconds);
      intervals.push(row);
    }
  }
  const seconds = ((points.at(-1) as Point).ts - (points[0] as Point).ts) / 1000;
  return {
    ...meta,
    points: series.points.length,
    seconds,
    increase: total,
    rate: perSecond(total, seconds),
    resets,
  };
}
