import type { Attributes } from '@opentelemetry/api';
import {
  type AggregationSelector,
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type Histogram,
  MeterProvider,
  type MetricData,
  type MetricProducer,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

export interface TestMetricReaderOptions {
  /** @default AggregationTemporality.CUMULATIVE (DELTA where a test needs a series to disappear) */
  temporality?: AggregationTemporality;
  /** Attribute sets per metric and collection. @default the SDK's 2000 */
  cardinalityLimit?: number;
  /** External producers added to every collection (e.g. a scrape bridge). @default none */
  metricProducers?: MetricProducer[];
  /** The aggregation per instrument type. @default the SDK's default for each */
  aggregationSelector?: AggregationSelector;
}

/**
 * A reader that only answers `collect()`: it never exports, so a test decides
 * exactly when a collection happens. The one collect-only reader of the tests.
 */
export class TestMetricReader extends MetricReader {
  constructor(options: TestMetricReaderOptions = {}) {
    const {
      temporality = AggregationTemporality.CUMULATIVE,
      cardinalityLimit,
      metricProducers,
      aggregationSelector,
    } = options;
    super({
      ...(aggregationSelector === undefined ? {} : { aggregationSelector }),
      aggregationTemporalitySelector: () => temporality,
      ...(cardinalityLimit === undefined ? {} : { cardinalitySelector: () => cardinalityLimit }),
      ...(metricProducers === undefined ? {} : { metricProducers }),
    });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A histogram point, flattened for assertions. */
export interface HistogramPoint {
  readonly attributes: Attributes;
  readonly count: number;
  readonly sum: number;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly boundaries: readonly number[];
  readonly counts: readonly number[];
}

/** A sum or gauge point, flattened. */
export interface NumberPoint {
  readonly attributes: Attributes;
  readonly value: number;
}

export interface TestMeterProvider {
  readonly meterProvider: MeterProvider;
  readonly reader: TestMetricReader;
  /** Collects everything recorded so far (cumulative). Throws if the SDK reported collection errors. */
  collect(): Promise<ResourceMetrics>;
  /** The metric named `name` from a fresh collection, or undefined. */
  find(name: string): Promise<MetricData | undefined>;
  /**
   * Histogram points of `name` whose attributes include every entry of `match`
   * (a `null` value in `match` requires the attribute to be absent).
   */
  histogram(name: string, match?: Record<string, unknown>): Promise<HistogramPoint[]>;
  /** Like `histogram`, summed into one point (count 0 when nothing matched). */
  histogramTotal(name: string, match?: Record<string, unknown>): Promise<Omit<HistogramPoint, 'attributes'>>;
  /** Counter / up-down counter / gauge points of `name` matching `match`. */
  points(name: string, match?: Record<string, unknown>): Promise<NumberPoint[]>;
  /** Sum of the values of `points(name, match)`. */
  sum(name: string, match?: Record<string, unknown>): Promise<number>;
  /** Names of every metric collected so far. */
  names(): Promise<string[]>;
  shutdown(): Promise<void>;
}

export function matches(attributes: Attributes, match: Record<string, unknown> | undefined): boolean {
  if (!match) return true;
  for (const [key, expected] of Object.entries(match)) {
    const actual = attributes[key];
    if (expected === null) {
      if (actual !== undefined) return false;
    } else if (actual !== expected) {
      return false;
    }
  }
  return true;
}

function allMetrics(rm: ResourceMetrics): MetricData[] {
  return rm.scopeMetrics.flatMap((sm) => sm.metrics);
}

/** Builds a MeterProvider with a collect-only reader and helpers to read what was recorded. */
export function createTestMeterProvider(): TestMeterProvider {
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const collect = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'metric collection reported errors');
    return resourceMetrics;
  };
  const find = async (name: string) => allMetrics(await collect()).find((m) => m.descriptor.name === name);
  const histogram = async (name: string, match?: Record<string, unknown>): Promise<HistogramPoint[]> => {
    const metric = await find(name);
    if (!metric) return [];
    if (metric.dataPointType !== DataPointType.HISTOGRAM) {
      throw new TypeError(`${name} is not an explicit-bucket histogram`);
    }
    return (metric.dataPoints as DataPoint<Histogram>[])
      .filter((p) => matches(p.attributes, match))
      .map((p) => ({
        attributes: p.attributes,
        count: p.value.count,
        sum: p.value.sum ?? 0,
        min: p.value.min,
        max: p.value.max,
        boundaries: p.value.buckets.boundaries,
        counts: p.value.buckets.counts,
      }));
  };
  const points = async (name: string, match?: Record<string, unknown>): Promise<NumberPoint[]> => {
    const metric = await find(name);
    if (!metric) return [];
    if (metric.dataPointType !== DataPointType.SUM && metric.dataPointType !== DataPointType.GAUGE) {
      throw new TypeError(`${name} is not a sum or gauge`);
    }
    return (metric.dataPoints as DataPoint<number>[])
      .filter((p) => matches(p.attributes, match))
      .map((p) => ({ attributes: p.attributes, value: p.value }));
  };
  return {
    meterProvider,
    reader,
    collect,
    find,
    histogram,
    async histogramTotal(name, match) {
      const ps = await histogram(name, match);
      const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
      const mins = defined(ps.map((p) => p.min));
      const maxs = defined(ps.map((p) => p.max));
      return {
        count: ps.reduce((a, p) => a + p.count, 0),
        sum: ps.reduce((a, p) => a + p.sum, 0),
        min: mins.length ? Math.min(...mins) : undefined,
        max: maxs.length ? Math.max(...maxs) : undefined,
        boundaries: ps[0]?.boundaries ?? [],
        counts: ps[0]
          ? ps.reduce((acc, p) => acc.map((c, i) => c + (p.counts[i] ?? 0)), [...ps[0].counts].fill(0))
          : [],
      };
    },
    points,
    async sum(name, match) {
      return (await points(name, match)).reduce((a, p) => a + p.value, 0);
    },
    async names() {
      return allMetrics(await collect()).map((m) => m.descriptor.name);
    },
    shutdown: () => meterProvider.shutdown(),
  };
}
