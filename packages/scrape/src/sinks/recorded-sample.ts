import type { ScrapeResult } from '../scrape/scraper.js';
import { selfMetricFamilies } from '../scrape/self-metrics.js';
import type { Labels, MetricType } from '../text/types.js';

/**
 * One recorded sample: the unit every file sink writes and `readRecording`
 * reads back. Histograms and summaries stay as their raw `_bucket`/`_sum`/
 * `_count`/quantile samples so nothing is lost; postprocessing rebuilds them.
 */
export interface RecordedSample {
  /** Scrape start, ms since the epoch (the same for every sample of one scrape). */
  ts: number;
  /** Target name (`host:port` by default). */
  target: string;
  /** Family name as exposed (`vllm:prompt_tokens_total`, `vllm:e2e_request_latency_seconds`). */
  family: string;
  type: MetricType;
  /** Sample name (`..._bucket`, `..._sum`, ...). */
  name: string;
  labels: Labels;
  /** May be NaN or ±Infinity. */
  value: number;
}

/** Flattens one scrape (plus its health series) into rows. */
export function resultRows(r: ScrapeResult): RecordedSample[] {
  const rows: RecordedSample[] = [];
  for (const f of [...selfMetricFamilies(r), ...r.families]) {
    for (const s of f.samples) {
      rows.push({
        ts: r.timestampMs,
        target: r.target,
        family: f.name,
        type: f.type,
        name: s.name,
        labels: s.labels,
        value: s.value,
      });
    }
  }
  return rows;
}

/** JSON has no NaN/Infinity: those are written as the strings Prometheus uses. */
export function jsonValue(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

export function numberFromJson(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === null) return Number.NaN;
  if (v === '+Inf' || v === 'Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}
