import type { IntervalRow, SeriesSummary } from './analysis.js';
import { intervalRow } from './interval-row.js';
import type { Point, RecordedSeries } from './recorded-series.js';

/**
 * A gauge over the recording: min, mean and max of its points (NaN points
 * left out) and its last value; each interval's row is the value at its end.
 */
export function summariseGauge(series: RecordedSeries<Point>, intervals?: IntervalRow[]): SeriesSummary {
  const { meta, points } = series;
  const values = points.map((p) => p.value).filter((v) => !Number.isNaN(v));
  const first = points[0] as Point;
  const last = points.at(-1) as Point;
  if (intervals) {
    for (let i = 1; i < points.length; i++) {
      const p = points[i] as Point;
      intervals.push(intervalRow(meta, points[i - 1] as Point, p, p.value));
    }
  }
  return {
    ...meta,
    points: points.length,
    seconds: (last.ts - first.ts) / 1000,
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN,
    last: last.value,
  };
}
