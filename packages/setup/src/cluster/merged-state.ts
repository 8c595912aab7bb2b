import type { Attributes, HrTime, ValueType } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import type { Exemplar, ExemplarDataPoint } from '../exemplar.js';
import { WarnOnce } from '../warn-once.js';
import { histogramSamples, runYielding, Slices, samplesOf } from '../yielding.js';
import { mergeExponential } from './exponential-merge.js';
import { Kind, metricKey } from './wire.js';

/** The attribute that tells one reporter's gauge series from another's. */
export const REPORTER_ATTRIBUTE = 'tokenmeter.worker.id';
const OVERFLOW_KEY = '\u0000overflow';
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

export interface HistogramValue {
  count: number;
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
  /** One count per bucket: boundaries + 1. */
  counts: number[];
}

/** A reporter's cumulative value of one series: a number for sums and gauges. */
export type SeriesValue = number | HistogramValue | ExponentialHistogram;

export interface MetricIdentity {
  readonly scopeName: string;
  readonly scopeVersion: string;
  readonly schemaUrl: string;
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly kind: Kind;
  readonly valueType: ValueType;
}

/** One attribute set of a merged metric. */
export class MergedSeries {
  /**
   * What reporters that left (or restarted their counts) had reported, for
   * monotonic kinds: kept so that the merged total never goes backwards.
   */
  departed: SeriesValue | undefined;
  /** Slots of live reporters that refer to this series. */
  refs = 0;
  /** The merge that last wrote `sum`/`histogram`/`parts`. */
  stamp = 0;
  sum = 0;
  histogram: HistogramValue | undefined;
  parts: ExponentialHistogram[] = [];
  /** The latest exemplar per bucket across the reporters of this merge. */
  exemplars: (Exemplar | undefined)[] | undefined;

  constructor(
    readonly key: string,
    readonly attributes: Attributes,
    public startTime: HrTime,
  ) {}
}

export class MergedMetric {
  readonly series = new Map<string, MergedSeries>();
  overflow: MergedSeries | undefined;
  /** Explicit-bucket histograms: the boundaries every merged series uses (the first reporter's). */
  boundaries: number[] | undefined;
  /** Per-reporter points of the merge in progress, by attributes object, in the SDK's shape. */
  readonly own = new Map<Attributes, DataPoint<number | Histogram | ExponentialHistogram>>();

  constructor(
    readonly key: string,
    readonly scope: InstrumentationScope,
    readonly identity: MetricIdentity,
  ) {}

  get monotonic(): boolean {
    const k = this.identity.kind;
    return k === Kind.Counter || k === Kind.Histogram || k === Kind.Exponential;
  }
}

/** One reporter's view of one merged series: its latest value. */
export interface Slot {
  readonly metric: MergedMetric;
  readonly series: MergedSeries;
  /**
   * Emitted as the reporter's own series (gauges; histograms whose boundaries
   * differ from the merged series'), never summed, dropped when it leaves.
   */
  readonly perReporter: boolean;
  /** The attributes of its own point when per reporter. */
  readonly attributes: Attributes;
  /** When the reporter's series started counting: a later one means it started again from 0. */
  startTime: HrTime;
  /** Explicit-bucket histograms: the reporter's boundaries (those of the merged series unless per reporter). */
  readonly boundaries: readonly number[] | undefined;
  value: SeriesValue | undefined;
  /** The latest exemplar per bucket (one for a counter) the reporter sent with the value. */
  exemplars: (Exemplar | undefined)[] | undefined;
  /** In the reporter's latest collection (a gauge or up-down series that stopped being observed is not). */
  present: boolean;
}

/** What {@link MergedState.build} needs of a reporter. */
export interface SlotSource {
  slots(): Iterable<Slot>;
}

export function earlier(a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function addOptional(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

function copyHistogram(h: HistogramValue): HistogramValue {
  return { count: h.count, sum: h.sum, min: h.min, max: h.max, counts: h.counts.slice() };
}

/** `into += h`, bucket-wise; both have the same boundaries. */
function addHistogram(into: HistogramValue, h: HistogramValue): void {
  if (h.count > 0) {
    if (into.count === 0) {
      into.min = h.min;
      into.max = h.max;
    } else {
      into.min = into.min === undefined || h.min === undefined ? undefined : Math.min(into.min, h.min);
      into.max = into.max === undefined || h.max === undefined ? undefined : Math.max(into.max, h.max);
    }
  }
  into.count += h.count;
  into.sum = addOptional(into.sum, h.sum);
  for (let i = 0; i < into.counts.length; i++) into.counts[i] = (into.counts[i] ?? 0) + (h.counts[i] ?? 0);
}

/** `a + b` for two cumulative values of one monotonic series. */
function combine(kind: Kind, a: SeriesValue | undefined, b: SeriesValue): SeriesValue {
  if (a === undefined)
    return typeof b === 'number' ? b : kind === Kind.Histogram ? copyHistogram(b as HistogramValue) : b;
  if (kind === Kind.Counter) return (a as number) + (b as number);
  if (kind === Kind.Histogram) {
    const sum = copyHistogram(a as HistogramValue);
    addHistogram(sum, b as HistogramValue);
    return sum;
  }
  return mergeExponential([a as ExponentialHistogram, b as ExponentialHistogram]);
}

/** Per bucket, the more recent of two exemplars. */
function latest(
  into: (Exemplar | undefined)[] | undefined,
  from: readonly (Exemplar | undefined)[],
): (Exemplar | undefined)[] {
  const out = into ?? new Array<Exemplar | undefined>(from.length).fill(undefined);
  for (let i = 0; i < from.length; i++) {
    const e = from[i];
    const have = out[i];
    if (e !== undefined && (have === undefined || e.timeMs > have.timeMs)) out[i] = e;
  }
  return out;
}

/** The point with its exemplars in the field the serializers read (`ExemplarDataPoint`). */
function withExemplars<T>(
  point: DataPoint<T>,
  exemplars: readonly (Exemplar | undefined)[] | undefined,
): DataPoint<T> {
  return exemplars === undefined ? point : ({ ...point, exemplars } as ExemplarDataPoint<T>);
}

/** A merged value as the SDK's `MetricData` carries it. */
function toSdkValue(
  value: SeriesValue,
  boundaries: readonly number[] | undefined,
): number | Histogram | ExponentialHistogram {
  if (typeof value === 'number' || !('counts' in value)) return value;
  return {
    // The same array on every scrape, so the serializer's cache of rendered `le` labels holds.
    buckets: { boundaries: (boundaries ?? []) as number[], counts: value.counts.slice() },
    count: value.count,
    sum: value.sum,
    min: value.min,
    max: value.max,
  };
}

/** A merged metric's points as the SDK's `MetricData`. */
function metricData(
  metric: MergedMetric,
  points: DataPoint<number | Histogram | ExponentialHistogram>[],
): MetricData {
  const { name, description, unit, valueType, kind } = metric.identity;
  const base = {
    descriptor: { name, description, unit, valueType },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
  };
  switch (kind) {
    case Kind.Counter:
    case Kind.UpDown:
      return {
        ...base,
        dataPointType: DataPointType.SUM,
        isMonotonic: kind === Kind.Counter,
        dataPoints: points as DataPoint<number>[],
      };
    case Kind.Gauge:
      return { ...base, dataPointType: DataPointType.GAUGE, dataPoints: points as DataPoint<number>[] };
    case Kind.Histogram:
      return {
        ...base,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: points as DataPoint<Histogram>[],
      };
    default:
      return {
        ...base,
        dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
        dataPoints: points as DataPoint<ExponentialHistogram>[],
      };
  }
}

/** The samples of one merged series, the unit its walk is sliced in (see yielding.ts). */
function seriesSamples(metric: MergedMetric, series: MergedSeries): number {
  if (metric.boundaries !== undefined) return histogramSamples(metric.boundaries.length + 1);
  return series.parts.length > 0 ? samplesOf(series.parts[0]) : 1;
}

/**
 * Every metric merged from every reporter: the series they share, what
 * departed reporters left behind, and the rules that turn the reporters'
 * latest values into one cumulative collection (`build`).
 */
export class MergedState {
  private readonly metrics = new Map<string, MergedMetric>();
  private readonly scopes = new Map<string, InstrumentationScope>();
  private readonly warnings = new WarnOnce();
  private generation = 0;

  constructor(private readonly cardinalityLimit: number) {}

  metric(identity: MetricIdentity): MergedMetric {
    const { scopeName, scopeVersion, schemaUrl, name, unit, kind } = identity;
    const key = metricKey(scopeName, scopeVersion, schemaUrl, name, unit, kind);
    let metric = this.metrics.get(key);
    if (metric === undefined) {
      const scopeKey = JSON.stringify([scopeName, scopeVersion, schemaUrl]);
      let scope = this.scopes.get(scopeKey);
      if (scope === undefined) {
        scope = { name: scopeName, version: scopeVersion || undefined, schemaUrl: schemaUrl || undefined };
        this.scopes.set(scopeKey, scope);
      }
      metric = new MergedMetric(key, scope, identity);
      this.metrics.set(key, metric);
    }
    return metric;
  }

  /**
   * The slot through which a reporter contributes the series `key` of
   * `metric`; undefined when its data cannot be merged and is left out (said
   * once per metric). `label`: the reporter's value of {@link REPORTER_ATTRIBUTE}
   * on its own series; undefined leaves them unlabelled.
   */
  slot(
    metric: MergedMetric,
    key: string,
    attributes: Attributes,
    startTime: HrTime,
    boundaries: readonly number[] | undefined,
    labelled: (series: MergedSeries) => Attributes,
    label: string | undefined,
  ): Slot | undefined {
    const kind = metric.identity.kind;
    let series = metric.series.get(key);
    if (series === undefined) {
      if (metric.series.size >= this.cardinalityLimit - 1) {
        series = metric.overflow ??= new MergedSeries(OVERFLOW_KEY, OVERFLOW_ATTRIBUTES, startTime);
        this.warnings.warn(
          `overflow:${metric.key}`,
          `tokenmeter: metric "${metric.identity.name}" has more than ${this.cardinalityLimit - 1} attribute sets across the cluster; the rest are merged into one otel.metric.overflow=true series`,
        );
      } else {
        series = new MergedSeries(key, Object.freeze({ ...attributes }), startTime);
        metric.series.set(key, series);
      }
    }
    let perReporter = kind === Kind.Gauge;
    if (kind === Kind.Histogram && boundaries !== undefined) {
      if (metric.boundaries === undefined) metric.boundaries = boundaries.slice();
      else if (!sameNumbers(metric.boundaries, boundaries)) {
        const cannot = label === undefined || series === metric.overflow;
        this.warnings.warn(
          `bounds:${metric.key}`,
          `tokenmeter: histogram "${metric.identity.name}" has bucket boundaries [${boundaries.join(', ')}] in one reporter and [${metric.boundaries.join(', ')}] in another; ${cannot ? 'the series that cannot be merged are left out' : `those are served per reporter (label ${REPORTER_ATTRIBUTE}), not summed`}`,
        );
        if (cannot) return this.dropIfUnused(metric, series);
        perReporter = true;
      }
    }
    series.refs++;
    if (earlier(startTime, series.startTime)) series.startTime = startTime;
    return {
      metric,
      series,
      perReporter,
      attributes: perReporter ? labelled(series) : series.attributes,
      startTime,
      boundaries: boundaries === undefined ? undefined : Object.freeze(boundaries.slice()),
      value: undefined,
      exemplars: undefined,
      present: false,
    };
  }

  /**
   * A reporter's cumulative value went down: it restarted its counts (a new
   * provider in the same process). What it had reported is kept as departed,
   * so the merged total goes on from there.
   */
  keepBeforeReset(slot: Slot): void {
    if (slot.value === undefined || slot.perReporter || !slot.metric.monotonic) return;
    slot.series.departed = combine(slot.metric.identity.kind, slot.series.departed, slot.value);
  }

  /** The reporter of `slot` left: monotonic totals keep its share; everything else of it goes. */
  release(slot: Slot): void {
    this.keepBeforeReset(slot);
    slot.series.refs--;
    this.dropIfUnused(slot.metric, slot.series);
  }

  private dropIfUnused(metric: MergedMetric, series: MergedSeries): undefined {
    if (series.refs === 0 && series.departed === undefined) {
      if (series === metric.overflow) metric.overflow = undefined;
      else metric.series.delete(series.key);
    }
    return undefined;
  }

  /**
   * One cumulative collection: every reporter's latest values merged by the
   * rules of each kind. It walks every slot and every merged series, in
   * slices of `yieldEvery` samples with a turn of the event loop between
   * (see yielding.ts): one pass over 4 workers × 10k histogram series
   * blocked the application for 30-200 ms on the development VM, and up to
   * 0.7 s on a loaded machine. Nothing may change the state or the
   * reporters' slots until it resolves (`ClusterAggregator` holds the
   * reporters' messages meanwhile), and builds run one at a time.
   */
  build(
    resource: Resource,
    reporters: readonly SlotSource[],
    endTime: HrTime,
    yieldEvery = Number.POSITIVE_INFINITY,
  ): Promise<ResourceMetrics> {
    return runYielding(this.steps(resource, reporters, endTime, new Slices(yieldEvery)));
  }

  private *steps(
    resource: Resource,
    reporters: readonly SlotSource[],
    endTime: HrTime,
    slices: Slices,
  ): Generator<void, ResourceMetrics, void> {
    const gen = ++this.generation;
    for (const metric of this.metrics.values()) metric.own.clear();
    for (const reporter of reporters) {
      for (const slot of reporter.slots()) {
        if (slices.due(samplesOf(slot.value))) yield;
        this.take(slot, gen, endTime);
      }
    }
    const byScope = new Map<InstrumentationScope, MetricData[]>();
    for (const metric of this.metrics.values()) {
      const points: DataPoint<number | Histogram | ExponentialHistogram>[] = [];
      if (metric.identity.kind !== Kind.Gauge) {
        for (const series of metric.series.values()) {
          if (slices.due(seriesSamples(metric, series))) yield;
          this.pushPoint(points, metric, series, gen, endTime);
        }
        if (metric.overflow) this.pushPoint(points, metric, metric.overflow, gen, endTime);
      }
      for (const point of metric.own.values()) points.push(point);
      if (points.length === 0) continue;
      const data = metricData(metric, points);
      const list = byScope.get(metric.scope);
      if (list === undefined) byScope.set(metric.scope, [data]);
      else list.push(data);
    }
    const scopeMetrics: ScopeMetrics[] = [];
    for (const [scope, metrics] of byScope) scopeMetrics.push({ scope, metrics });
    return { resource, scopeMetrics };
  }

  /** Adds one slot's latest value to this merge: into its merged series, or as its own point. */
  private take(slot: Slot, gen: number, endTime: HrTime): void {
    const value = slot.value;
    if (value === undefined) return;
    // Monotonic values stand until replaced; the others only while the reporter still reports them.
    if (!slot.metric.monotonic && !slot.present) return;
    if (slot.perReporter) {
      slot.metric.own.set(
        slot.attributes,
        withExemplars(
          {
            startTime: slot.startTime,
            endTime,
            attributes: slot.attributes,
            value: toSdkValue(value, slot.boundaries),
          },
          slot.exemplars,
        ),
      );
    } else {
      this.accumulate(slot.metric, slot.series, value, gen);
      if (slot.exemplars) slot.series.exemplars = latest(slot.series.exemplars, slot.exemplars);
    }
  }

  private accumulate(metric: MergedMetric, series: MergedSeries, value: SeriesValue, gen: number): void {
    const kind = metric.identity.kind;
    const fresh = series.stamp !== gen;
    series.stamp = gen;
    if (fresh) series.exemplars = undefined;
    if (kind === Kind.Counter || kind === Kind.UpDown) {
      series.sum = (fresh ? ((series.departed as number | undefined) ?? 0) : series.sum) + (value as number);
    } else if (kind === Kind.Histogram) {
      if (fresh) series.histogram = this.emptyOrDeparted(metric, series);
      addHistogram(series.histogram as HistogramValue, value as HistogramValue);
    } else if (kind === Kind.Exponential) {
      if (fresh)
        series.parts = series.departed === undefined ? [] : [series.departed as ExponentialHistogram];
      series.parts.push(value as ExponentialHistogram);
    }
  }

  private emptyOrDeparted(metric: MergedMetric, series: MergedSeries): HistogramValue {
    if (series.departed !== undefined) return copyHistogram(series.departed as HistogramValue);
    const buckets = (metric.boundaries?.length ?? 0) + 1;
    return { count: 0, sum: 0, min: undefined, max: undefined, counts: new Array<number>(buckets).fill(0) };
  }

  /** The merged series' value: this merge's sum, or only what departed reporters left. */
  private seriesValue(metric: MergedMetric, series: MergedSeries, gen: number): SeriesValue | undefined {
    const kind = metric.identity.kind;
    if (series.stamp === gen) {
      if (kind === Kind.Histogram) return series.histogram;
      if (kind === Kind.Exponential) return mergeExponential(series.parts);
      return series.sum;
    }
    // Read only: the point gets its own copy of the bucket counts (toSdkValue).
    return series.departed;
  }

  /** The merged series' point, when it has a value. */
  private pushPoint(
    points: DataPoint<number | Histogram | ExponentialHistogram>[],
    metric: MergedMetric,
    series: MergedSeries,
    gen: number,
    endTime: HrTime,
  ): void {
    const value = this.seriesValue(metric, series, gen);
    if (value === undefined) return;
    const point = {
      startTime: series.startTime,
      endTime,
      attributes: series.attributes,
      value: toSdkValue(value, metric.boundaries),
    };
    // Exemplars come from live reporters only: a departed one's are samples, not totals.
    points.push(series.stamp === gen ? withExemplars(point, series.exemplars) : point);
  }
}
