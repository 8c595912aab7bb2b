/**
 * What `analyze()` makes of a recording: one summary per series over the whole
 * run and, on request, one row per series per scrape interval.
 */
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
