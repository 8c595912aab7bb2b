import { histogramQuantile } from '@tokenmeter/exposition';
import { SELF_METRICS } from '../scrape/self-metrics.js';
import type { RecordedSample } from '../sinks/recorded-sample.js';
import type { Labels } from '../text/types.js';

/** How a series is summarised. */
export type SeriesKind = 'counter' | 'gauge' | 'histogram';

/** One series over the whole recording. Fields not meaningful for `kind` are absent. */
export interface SeriesSummary {
  target: string;
  /** Family name as recorded. */
  family: string;
  /** The sample name (differs from `family` for summaries' `_sum`/`_count` and OpenMetrics counters). */
  name: string;
  kind: SeriesKind;
  /** Without `le` (histograms). */
  labels: Labels;
  /** Scrapes in which the series was present. */
  points: number;
  /** Seconds between the series' first and last point. */
  seconds: number;
  /** counter, histogram: increase over the recording, reset-aware (histogram: observation count). */
  increase?: number;
  /** counter, histogram: `increase / seconds`. */
  rate?: number;
  /** counter: resets detected (value went down). */
  resets?: number;
  /** gauge: over the recorded points. */
  min?: number;
  max?: number;
  /** gauge: mean of the points; histogram: sum increase / count increase. */
  mean?: number;
  last?: number;
  /** histogram: sum increase over the recording. */
  sum?: number;
  p50?: number;
  p90?: number;
  p99?: number;
}

/** One series over one scrape interval (the change between two consecutive points). */
export interface IntervalRow {
  /** End of the interval, ms since the epoch. */
  ts: number;
  seconds: number;
  target: string;
  name: string;
  kind: SeriesKind;
  labels: Labels;
  /** counter/histogram: increase in the interval; gauge: the value at its end. */
  value: number;
  rate?: number;
  sum?: number;
  mean?: number;
  p50?: number;
  p90?: number;
  p99?: number;
}

/** Scrape health per target, from the `tokenmeter_scrape_up` series. */
export interface TargetHealth {
  target: string;
  scrapes: number;
  failed: number;
  first: number;
  last: number;
}

export interface Analysis {
  /** ms since the epoch. */
  start: number;
  end: number;
  targets: TargetHealth[];
  series: SeriesSummary[];
  /** Present when requested (`analyze(rows, { intervals: true })`). */
  intervals?: IntervalRow[];
}

export interface AnalyzeOptions {
  /** Also return per-interval rows. @default false */
  intervals?: boolean;
  /** Include the `tokenmeter_scrape_*` health series among the series. @default false */
  selfMetrics?: boolean;
}

const QUANTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
] as const;

export function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
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

interface Point {
  ts: number;
  value: number;
}

interface HistPoint {
  ts: number;
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

/** Increase from `prev` to `cur` of a cumulative value; a decrease is a reset (the server restarted). */
function increase(prev: number, cur: number): { delta: number; reset: boolean } {
  return cur < prev ? { delta: cur, reset: true } : { delta: cur - prev, reset: false };
}

/**
 * Turns recorded rows into per-series summaries (and optionally per-interval
 * rows): counters become reset-aware increases and rates; histograms become
 * count/sum/mean and p50/p90/p99 of the observations made *during the
 * recording* (bucket increases, not lifetime totals); gauges become
 * min/mean/max/last. A series that appears after its target's first scrape is
 * taken to have started from zero at the previous scrape (servers create
 * labelled series lazily on first use).
 */
export function analyze(rows: readonly RecordedSample[], options: AnalyzeOptions = {}): Analysis {
  const targetScrapes = new Map<string, number[]>();
  const health = new Map<string, TargetHealth>();
  const gauges = new Map<string, { meta: Omit<SeriesSummary, 'points' | 'seconds'>; points: Point[] }>();
  const counters = new Map<string, { meta: Omit<SeriesSummary, 'points' | 'seconds'>; points: Point[] }>();
  const hists = new Map<
    string,
    { meta: Omit<SeriesSummary, 'points' | 'seconds'>; points: Map<number, HistPoint> }
  >();
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;

  for (const row of rows) {
    start = Math.min(start, row.ts);
    end = Math.max(end, row.ts);
    if (row.family === SELF_METRICS.up) {
      const h = health.get(row.target) ?? {
        target: row.target,
        scrapes: 0,
        failed: 0,
        first: row.ts,
        last: row.ts,
      };
      h.scrapes++;
      if (row.value !== 1) h.failed++;
      h.first = Math.min(h.first, row.ts);
      h.last = Math.max(h.last, row.ts);
      health.set(row.target, h);
      // Only successful scrapes prove a series did not exist yet.
      if (row.value === 1) {
        const list = targetScrapes.get(row.target) ?? [];
        list.push(row.ts);
        targetScrapes.set(row.target, list);
      }
    }
    if (!options.selfMetrics && row.family.startsWith('tokenmeter_scrape_')) continue;
    const kind = kindOf(row);
    if (kind === 'skip') continue;
    if (kind === 'histogram') {
      const { le, ...labels } = row.labels;
      const key = `${row.target}\u0000${row.family}\u0000${labelKey(labels)}`;
      let h = hists.get(key);
      if (!h) {
        h = {
          meta: { target: row.target, family: row.family, name: row.family, kind, labels },
          points: new Map(),
        };
        hists.set(key, h);
      }
      let p = h.points.get(row.ts);
      if (!p) {
        p = { ts: row.ts, buckets: new Map(), sum: 0, count: 0 };
        h.points.set(row.ts, p);
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

  // Scrape times per target, sorted, to find "the scrape before this series appeared".
  for (const list of targetScrapes.values()) list.sort((a, b) => a - b);
  const previousScrape = (target: string, ts: number): number | undefined => {
    const list = targetScrapes.get(target);
    if (!list) return undefined;
    let prev: number | undefined;
    for (const t of list) {
      if (t >= ts) break;
      prev = t;
    }
    return prev;
  };

  const series: SeriesSummary[] = [];
  const intervals: IntervalRow[] = [];
  const wantIntervals = options.intervals === true;

  for (const { meta, points } of gauges.values()) {
    points.sort((a, b) => a.ts - b.ts);
    const values = points.map((p) => p.value).filter((v) => !Number.isNaN(v));
    const first = points[0] as Point;
    const lastP = points.at(-1) as Point;
    series.push({
      ...meta,
      points: points.length,
      seconds: (lastP.ts - first.ts) / 1000,
      min: values.length ? Math.min(...values) : Number.NaN,
      max: values.length ? Math.max(...values) : Number.NaN,
      mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN,
      last: lastP.value,
    });
    if (wantIntervals) {
      for (let i = 1; i < points.length; i++) {
        const p = points[i] as Point;
        const seconds = (p.ts - (points[i - 1] as Point).ts) / 1000;
        intervals.push({
          ts: p.ts,
          seconds,
          target: meta.target,
          name: meta.name,
          kind: 'gauge',
          labels: meta.labels,
          value: p.value,
        });
      }
    }
  }

  for (const { meta, points } of counters.values()) {
    points.sort((a, b) => a.ts - b.ts);
    const born = previousScrape(meta.target, (points[0] as Point).ts);
    if (born !== undefined) points.unshift({ ts: born, value: 0 });
    let total = 0;
    let resets = 0;
    for (let i = 1; i < points.length; i++) {
      const p = points[i] as Point;
      const prev = points[i - 1] as Point;
      const { delta, reset } = increase(prev.value, p.value);
      if (reset) resets++;
      total += delta;
      if (wantIntervals) {
        const seconds = (p.ts - prev.ts) / 1000;
        intervals.push({
          ts: p.ts,
          seconds,
          target: meta.target,
          name: meta.name,
          kind: 'counter',
          labels: meta.labels,
          value: delta,
          rate: seconds > 0 ? delta / seconds : Number.NaN,
        });
      }
    }
    const seconds = ((points.at(-1) as Point).ts - (points[0] as Point).ts) / 1000;
    series.push({
      ...meta,
      points: born === undefined ? points.length : points.length - 1,
      seconds,
      increase: total,
      rate: seconds > 0 ? total / seconds : Number.NaN,
      resets,
    });
  }

  for (const { meta, points: byTs } of hists.values()) {
    const points = [...byTs.values()].sort((a, b) => a.ts - b.ts);
    const born = previousScrape(meta.target, (points[0] as HistPoint).ts);
    if (born !== undefined) points.unshift({ ts: born, buckets: new Map(), sum: 0, count: 0 });
    const totalBuckets = new Map<number, number>();
    let totalSum = 0;
    let totalCount = 0;
    for (let i = 1; i < points.length; i++) {
      const p = points[i] as HistPoint;
      const prev = points[i - 1] as HistPoint;
      // One reset decision for the whole histogram, from its count.
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
      if (wantIntervals) {
        const seconds = (p.ts - prev.ts) / 1000;
        const cum = [...buckets].map(([le, count]) => ({ le, count }));
        const row: IntervalRow = {
          ts: p.ts,
          seconds,
          target: meta.target,
          name: meta.name,
          kind: 'histogram',
          labels: meta.labels,
          value: dc,
          rate: seconds > 0 ? dc / seconds : Number.NaN,
          sum: ds,
          mean: dc > 0 ? ds / dc : Number.NaN,
        };
        for (const [k, q] of QUANTILES) row[k] = histogramQuantile(q, cum);
        intervals.push(row);
      }
    }
    const seconds = ((points.at(-1) as HistPoint).ts - (points[0] as HistPoint).ts) / 1000;
    const cum = [...totalBuckets].map(([le, count]) => ({ le, count }));
    const summary: SeriesSummary = {
      ...meta,
      points: born === undefined ? points.length : points.length - 1,
      seconds,
      increase: totalCount,
      rate: seconds > 0 ? totalCount / seconds : Number.NaN,
      sum: totalSum,
      mean: totalCount > 0 ? totalSum / totalCount : Number.NaN,
    };
    for (const [k, q] of QUANTILES) summary[k] = histogramQuantile(q, cum);
    series.push(summary);
  }

  series.sort(
    (a, b) =>
      a.target.localeCompare(b.target) ||
      a.name.localeCompare(b.name) ||
      labelKey(a.labels).localeCompare(labelKey(b.labels)),
  );
  const analysis: Analysis = {
    start: Number.isFinite(start) ? start : 0,
    end: Number.isFinite(end) ? end : 0,
    targets: [...health.values()],
    series,
  };
  if (wantIntervals) analysis.intervals = intervals.sort((a, b) => a.ts - b.ts);
  return analysis;
}
