import type { RecordedSample } from '../sinks/recorded-sample.js';
import type { Analysis, AnalyzeOptions, IntervalRow, SeriesSummary } from './analysis.js';
import { summariseCounter } from './counter-summary.js';
import { summariseGauge } from './gauge-summary.js';
import { summariseHistogram } from './histogram-summary.js';
import { labelKey } from './label-key.js';
import { groupSeries } from './recorded-series.js';
import { TargetScrapes } from './target-scrapes.js';

/** Series by target, then name, then labels. */
function bySeries(a: SeriesSummary, b: SeriesSummary): number {
  return (
    a.target.localeCompare(b.target) ||
    a.name.localeCompare(b.name) ||
    labelKey(a.labels).localeCompare(labelKey(b.labels))
  );
}

/** First and last scrape time of the recording; 0 and 0 when it is empty. */
function timeSpan(rows: readonly RecordedSample[]): { start: number; end: number } {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    start = Math.min(start, row.ts);
    end = Math.max(end, row.ts);
  }
  return { start: Number.isFinite(start) ? start : 0, end: Number.isFinite(end) ? end : 0 };
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
  const scrapes = TargetScrapes.of(rows);
  const { gauges, counters, histograms } = groupSeries(rows, options.selfMetrics === true);
  const intervals: IntervalRow[] | undefined = options.intervals === true ? [] : undefined;
  const born = (s: { meta: { target: string }; points: { ts: number }[] }) =>
    scrapes.before(s.meta.target, (s.points[0] as { ts: number }).ts);
  const series = [
    ...gauges.map((s) => summariseGauge(s, intervals)),
    ...counters.map((s) => summariseCounter(s, born(s), intervals)),
    ...histograms.map((s) => summariseHistogram(s, born(s), intervals)),
  ].sort(bySeries);
  const analysis: Analysis = { ...timeSpan(rows), targets: scrapes.targets(), series };
  if (intervals) analysis.intervals = intervals.sort((a, b) => a.ts - b.ts);
  return analysis;
}
