import { type Attributes, diag, type HrTime, ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  type MetricCollectOptions,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { ScrapeResult, Scraper } from '../scrape/scraper.js';
import type { Labels, MetricFamily, Sample } from '../text/types.js';
import { ucumUnit } from './ucum-unit.js';

export interface ScrapeProducerOptions {
  /**
   * `'cached'` serves the latest results of a scraper started elsewhere
   * (`scraper.start()`): collection never waits on the network. `'on-collect'`
   * scrapes during each collection (a pull reader's scrape then reaches
   * through to the targets; no loop needed).
   * @default 'cached'
   */
  mode?: 'cached' | 'on-collect';
  /**
   * Attribute naming the target on every point (`false`: none), so several
   * servers stay apart once merged into one reader.
   * @default 'scrape.target'
   */
  targetAttribute?: string | false;
  /** Emit `tokenmeter.scrape.up` / `.duration` / `.samples` / `.malformed_lines` per target. @default true */
  selfMetrics?: boolean;
  /** Instrumentation scope name of the bridged metrics. @default '@tokenmeter/scrape' */
  scopeName?: string;
  /**
   * Rewrites families before conversion, on top of the scraper's own `transform`
   * (e.g. `presetTransform('auto', { semconv: true })` to add semconv names only
   * on the OTel side while recordings keep the server's names). @default none
   */
  transform?: (families: MetricFamily[]) => MetricFamily[];
}

const SCOPE_VERSION = '0.1.0';

function hr(ms: number): HrTime {
  return millisToHrTime(ms);
}

function seriesKey(name: string, labels: Labels): string {
  return `${name}\u0000${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`;
}

function without(labels: Labels, key: string): Labels {
  const { [key]: _, ...rest } = labels;
  return rest;
}

/**
 * An OpenTelemetry `MetricProducer` that turns scraped families into OTel
 * metric data: counters → monotonic cumulative sums (start time from
 * `_created`, else first sight, moved on a reset), gauges/unknown → gauges,
 * histograms → explicit-bucket histograms with the server's own bounds,
 * summaries → a gauge per quantile (`quantile` attribute) plus `_sum`/`_count`
 * gauges (the JS SDK has no summary type). Pass it in any reader's
 * `metricProducers` (or `registerMetrics({ prometheus: { metricProducers } })`).
 * Points are always cumulative, whatever the reader's temporality preference.
 */
export class ScrapeMetricProducer implements MetricProducer {
  private readonly startTimes = new Map<string, { start: number; last: number }>();
  private readonly mode: 'cached' | 'on-collect';
  private readonly targetAttribute: string | false;
  private readonly firstSeen = Date.now();

  constructor(
    private readonly scraper: Scraper,
    private readonly options: ScrapeProducerOptions = {},
  ) {
    this.mode = options.mode ?? 'cached';
    this.targetAttribute = options.targetAttribute ?? 'scrape.target';
  }

  async collect(_options?: MetricCollectOptions): Promise<CollectionResult> {
    const errors: unknown[] = [];
    let results: ScrapeResult[];
    if (this.mode === 'on-collect') {
      results = await this.scraper.scrapeOnce();
    } else {
      results = [...this.scraper.latest.values()];
    }
    const metrics: MetricData[] = [];
    for (const r of results) {
      try {
        metrics.push(...this.convert(r));
      } catch (error) {
        diag.error(`tokenmeter scrape: could not convert the scrape of ${r.url}`, error);
        errors.push(error);
      }
    }
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [
          {
            scope: { name: this.options.scopeName ?? '@tokenmeter/scrape', version: SCOPE_VERSION },
            metrics,
          },
        ],
      },
      errors,
    };
  }

  private attrs(r: ScrapeResult, labels: Labels): Attributes {
    return this.targetAttribute ? { ...labels, [this.targetAttribute]: r.target } : { ...labels };
  }

  /** Start time of a cumulative series; moves forward when the value goes down (a reset). */
  private start(r: ScrapeResult, key: string, value: number, created: number | undefined): number {
    const k = `${r.target}\u0000${key}`;
    const seen = this.startTimes.get(k);
    let start = created ?? seen?.start ?? Math.min(this.firstSeen, r.timestampMs);
    if (created === undefined && seen && value < seen.last) start = r.timestampMs;
    this.startTimes.set(k, { start, last: value });
    return start;
  }

  private convert(r: ScrapeResult): MetricData[] {
    const out: MetricData[] = [];
    const end = hr(r.timestampMs);
    if (this.options.selfMetrics !== false) {
      const gauge = (name: string, unit: string, value: number, description: string) =>
        out.push({
          descriptor: { name, unit, description, valueType: ValueType.DOUBLE },
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.GAUGE,
          dataPoints: [{ startTime: end, endTime: end, attributes: this.attrs(r, {}), value }],
        });
      gauge('tokenmeter.scrape.up', '', r.up ? 1 : 0, '1 if the last scrape of the target succeeded');
      gauge('tokenmeter.scrape.duration', 's', r.durationSeconds, 'Duration of the last scrape');
      gauge('tokenmeter.scrape.samples', '{sample}', r.samples, 'Samples kept from the last scrape');
      gauge('tokenmeter.scrape.malformed_lines', '{line}', r.malformed, 'Lines skipped as malformed');
    }
    // `_created` samples (the parser folds Prometheus text's separate `x_created`
    // gauge families in) become start times of their series, not metrics.
    const families = this.options.transform ? this.options.transform(r.families) : r.families;
    for (const f of families) {
      switch (f.type) {
        case 'counter':
          out.push(this.counter(r, f));
          break;
        case 'histogram':
          out.push(...this.histogram(r, f));
          break;
        case 'summary':
          out.push(...this.gaugesBySampleName(r, f, true));
          break;
        default:
          out.push(...this.gaugesBySampleName(r, f, false));
      }
    }
    return out;
  }

  private counter(r: ScrapeResult, f: MetricFamily): MetricData {
    const base = f.name.endsWith('_total') ? f.name.slice(0, -'_total'.length) : f.name;
    const created = new Map<string, number>();
    for (const s of f.samples) {
      if (s.name.endsWith('_created') && s.name !== f.name)
        created.set(seriesKey('', s.labels), s.value * 1000);
    }
    const points: DataPoint<number>[] = [];
    for (const s of f.samples) {
      if (s.name.endsWith('_created') && s.name !== f.name) continue;
      const start = this.start(r, seriesKey(base, s.labels), s.value, created.get(seriesKey('', s.labels)));
      points.push({
        startTime: hr(start),
        endTime: hr(s.timestampMs ?? r.timestampMs),
        attributes: this.attrs(r, s.labels),
        value: s.value,
      });
    }
    return {
      descriptor: {
        name: base,
        unit: ucumUnit(f.name, f.unit),
        description: f.help ?? '',
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints: points,
    };
  }

  private histogram(r: ScrapeResult, f: MetricFamily): MetricData[] {
    interface Acc {
      labels: Labels;
      buckets: [number, number][];
      sum?: number;
      count?: number;
      created?: number;
      ts?: number;
    }
    const series = new Map<string, Acc>();
    const acc = (labels: Labels): Acc => {
      const k = seriesKey('', labels);
      let a = series.get(k);
      if (!a) {
        a = { labels, buckets: [] };
        series.set(k, a);
      }
      return a;
    };
    for (const s of f.samples) {
      const suffix = s.name.slice(f.name.length);
      if (suffix === '_bucket') {
        const le = Number(s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : s.labels.le);
        if (s.labels.le === undefined || Number.isNaN(le)) continue;
        const a = acc(without(s.labels, 'le'));
        a.buckets.push([le, s.value]);
        a.ts = s.timestampMs ?? a.ts;
      } else if (suffix === '_sum') acc(s.labels).sum = s.value;
      else if (suffix === '_count') acc(s.labels).count = s.value;
      else if (suffix === '_created') acc(s.labels).created = s.value * 1000;
    }
    const points: DataPoint<Histogram>[] = [];
    for (const [k, a] of series) {
      a.buckets.sort((x, y) => x[0] - y[0]);
      const inf = a.buckets.find(([le]) => le === Number.POSITIVE_INFINITY)?.[1];
      const count = a.count ?? inf ?? a.buckets.at(-1)?.[1] ?? 0;
      const finite = a.buckets.filter(([le]) => le !== Number.POSITIVE_INFINITY);
      const boundaries = finite.map(([le]) => le);
      const counts: number[] = [];
      let prev = 0;
      for (const [, cumulative] of finite) {
        // Servers expose cumulative buckets; OTel wants per-bucket counts.
        counts.push(Math.max(0, cumulative - prev));
        prev = Math.max(prev, cumulative);
      }
      counts.push(Math.max(0, count - prev));
      const start = this.start(r, `${f.name}\u0000${k}`, count, a.created);
      const value: Histogram = { buckets: { boundaries, counts }, count };
      if (a.sum !== undefined) value.sum = a.sum;
      points.push({
        startTime: hr(start),
        endTime: hr(a.ts ?? r.timestampMs),
        attributes: this.attrs(r, a.labels),
        value,
      });
    }
    return [
      {
        descriptor: {
          name: f.name,
          unit: ucumUnit(f.name, f.unit),
          description: f.help ?? '',
          valueType: ValueType.DOUBLE,
        },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: points,
      },
    ];
  }

  /** One gauge per distinct sample name (a summary's quantiles, `_sum`, `_count`; gauges; unknowns). */
  private gaugesBySampleName(r: ScrapeResult, f: MetricFamily, isSummary: boolean): MetricData[] {
    const byName = new Map<string, Sample[]>();
    for (const s of f.samples) {
      if (isSummary && s.name === `${f.name}_created`) continue;
      const list = byName.get(s.name) ?? [];
      list.push(s);
      byName.set(s.name, list);
    }
    const out: MetricData[] = [];
    for (const [name, samples] of byName) {
      const unit = name === `${f.name}_count` ? '' : ucumUnit(f.name, f.unit);
      out.push({
        descriptor: { name, unit, description: f.help ?? '', valueType: ValueType.DOUBLE },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.GAUGE,
        dataPoints: samples.map((s) => {
          const t = hr(s.timestampMs ?? r.timestampMs);
          return { startTime: t, endTime: t, attributes: this.attrs(r, s.labels), value: s.value };
        }),
      });
    }
    return out;
  }
}
