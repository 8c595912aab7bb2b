import type { RecordedSample } from '../sinks/recorded-sample.js';
import type { SeriesKind, SeriesSummary } from './analysis.js';
import { labelKey } from './label-key.js';

/** What identifies a series in a summary. */
export type SeriesMeta = Omit<SeriesSummary, 'points' | 'seconds'>;

/** A counter or gauge value as recorded in one scrape. */
export interface Point {
  ts: number;
  value: number;
}

/** A histogram as recorded in one scrape: cumulative buckets by bound, sum and count. */
export interface HistogramPoint {
  ts: number;
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

/** One series and its points, sorted by time. */
export interface RecordedSeries<P> {
  meta: SeriesMeta;
  points: P[];
}

/** The recording's series by how they are summarised, each kind in order of first appearance. */
export interface SeriesByKind {
  gauges: RecordedSeries<Point>[];
  counters: RecordedSeries<Point>[];
  histograms: RecordedSeries<HistogramPoint>[];
}

function kindOf(row: RecordedSample): SeriesKind | 'skip' {
  switch (row.type) {
    case 'counter':
      return row.name.endsWith('_created') && row.name !== row.family ? 'skip' : 'counter';
    case 'histogram': {
      const suffix = row.name.slice(row.family.length);
      return suffix === '_created' ? 'skip' : 'histogram';
    }
    case 'summary':
      // Quantiles are gauges; `_sum`/`_count` only ever grow.
      if (row.name === `${row.family}_created`) return 'skip';
      return row.name === row.family ? 'gauge' : 'counter';
    default:
      return 'gauge';
  }
}

/**
 * Groups recorded rows into series: gauges and counters by sample name and
 * labels; a histogram's `_bucket`/`_sum`/`_count` rows by family and labels
 * without `le`, one point per scrape. `_created` rows are start times, not
 * series, and are left out; so are the `tokenmeter_scrape_*` health series
 * unless `selfMetrics`.
 */
export function groupSeries(rows: readonly RecordedSample[], selfMetrics: boolean): SeriesByKind {
  const gauges = new Map<string, RecordedSeries<Point>>();
  const counters = new Map<string, RecordedSeries<Point>>();
  const histograms = new Map<string, { meta: SeriesMeta; byTs: Map<number, HistogramPoint> }>();

  for (const row of rows) {
    if (!selfMetrics && row.family.startsWith('tokenmeter_scrape_')) continue;
    const kind = kindOf(row);
    if (kind === 'skip') continue;
    if (kind === 'histogram') {
      const { le, ...labels } = row.labels;
      const key = `${row.target}\u0000${row.family}\u0000${labelKey(labels)}`;
      let h = histograms.get(key);
      if (!h) {
        h = {
          meta: { target: row.target, family: row.family, name: row.family, kind, labels },
          byTs: new Map(),
        };
        histograms.set(key, h);
      }
      let p = h.byTs.get(row.ts);
      if (!p) {
        p = { ts: row.ts, buckets: new Map(), sum: 0, count: 0 };
        h.byTs.set(row.ts, p);
      }
      const suffix = row.name.slice(row.family.length);
      if (suffix === '_bucket' && le !== undefined) {
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
        if (!Number.isNaN(bound)) p.buckets.set(bound, row.value);
      } else if (suffix === '_sum') p.sum = row.value;
      else if (suffix === '_count') p.count = row.value;
      continue;
    }
    const map = kind === 'counter' ? counters : gauges;
    const key = `${row.target}\u0000${row.name}\u0000${labelKey(row.labels)}`;
    let s = map.get(key);
    if (!s) {
      s = {
        meta: { target: row.target, family: row.family, name: row.name, kind, labels: row.labels },
        points: [],
      };
      map.set(key, s);
    }
    s.points.push({ ts: row.ts, value: row.value });
  }

  const byTime = (a: { ts: number }, b: { ts: number }) => a.ts - b.ts;
  return {
    gauges: [...gauges.values()].map((s) => ({ meta: s.meta, points: s.points.sort(byTime) })),
    counters: [...counters.values()].map((s) => ({ meta: s.meta, points: s.points.sort(byTime) })),
    histograms: [...histograms.values()].map((h) => ({
      meta: h.meta,
      points: [...h.byTs.values()].sort(byTime),
    })),
  };
}
