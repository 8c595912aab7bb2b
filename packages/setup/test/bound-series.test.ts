import { type Attributes, DiagLogLevel, diag, ValueType } from '@opentelemetry/api';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  type Histogram,
  MeterProvider,
  type MetricData,
  type MetricProducer,
  type MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundMeterProvider } from '../src/bound/bound-meter-provider.js';
import { BoundRegistry } from '../src/bound/bound-registry.js';
import { registerMetrics } from '../src/index.js';

/** A bound-series provider and a stock SDK provider, each with one cumulative and one delta reader. */
function pair(cardinalityLimit = 2000) {
  const registry = new BoundRegistry({ cardinalityLimit });
  const boundReaders = [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA].map((t) => {
    const producer = registry.producer();
    const reader = new TestMetricReader({ temporality: t, metricProducers: [producer] });
    producer.attach(reader);
    return reader;
  });
  const bound = new BoundMeterProvider({ readers: boundReaders }, registry);
  const sdkReaders = [
    new TestMetricReader({ temporality: AggregationTemporality.CUMULATIVE }),
    new TestMetricReader({ temporality: AggregationTemporality.DELTA }),
  ];
  const sdk = new MeterProvider({ readers: sdkReaders });
  return { bound, boundReaders, sdk, sdkReaders };
}

function canonical(attrs: Attributes): string {
  return JSON.stringify(
    Object.keys(attrs)
      .sort()
      .map((k) => [k, attrs[k]]),
  );
}

/** The data a backend would see, without timestamps and in a stable order. */
function normalize(rm: ResourceMetrics): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      const points: Record<string, unknown> = {};
      for (const p of m.dataPoints) {
        const v = p.value as number | Histogram;
        points[canonical(p.attributes)] =
          typeof v === 'number'
            ? v
            : {
                count: v.count,
                sum: v.sum,
                min: v.min,
                max: v.max,
                counts: [...v.buckets.counts],
                bounds: [...v.buckets.boundaries],
              };
      }
      const sum = m.dataPointType === DataPointType.SUM ? { monotonic: m.isMonotonic } : {};
      out[`${sm.scope.name}/${m.descriptor.name}`] = {
        type: m.dataPointType,
        temporality: m.aggregationTemporality,
        unit: m.descriptor.unit,
        valueType: m.descriptor.valueType,
        ...sum,
        points,
      };
    }
  }
  return out;
}

async function collectBoth(
  a: MetricReader,
  b: MetricReader,
): Promise<[Record<string, unknown>, Record<string, unknown>]> {
  const [x, y] = await Promise.all([a.collect(), b.collect()]);
  expect(x.errors).toEqual([]);
  return [normalize(x.resourceMetrics), normalize(y.resourceMetrics)];
}

const ATTRIBUTE_SETS: Attributes[] = [
  {},
  { 'gen_ai.request.model': 'a' },
  { 'gen_ai.request.model': 'b', 'server.port': 443 },
  // The same set as the one before, keys in another order: one series.
  { 'server.port': 443, 'gen_ai.request.model': 'b' },
  { ok: true, tags: ['x', 'y'] },
];

/** Values both paths treat the same way: dyadic fractions add up exactly in any order. */
const dyadic = fc.integer({ min: -400, max: 400 }).map((n) => n / 4);

type Command =
  | { kind: 'record'; instrument: number; value: number; set: number; frozen: boolean }
  | { kind: 'collect'; reader: 0 | 1 };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('record' as const),
      instrument: fc.nat(5),
      value: fc.oneof(dyadic, fc.constantFrom(0, 1, 10, -1, 2.5)),
      set: fc.nat(ATTRIBUTE_SETS.length - 1),
      frozen: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('collect' as const),
      reader: fc.constantFrom(0 as const, 1 as const),
    }),
  },
);

function instruments(provider: MeterProvider) {
  const m = provider.getMeter('diff', '1.0.0');
  const other = provider.getMeter('diff.other');
  const counter = m.createCounter('c', { unit: '{request}' });
  const intCounter = m.createCounter('c.int', { valueType: ValueType.INT });
  const upDown = m.createUpDownCounter('u', { unit: 'By' });
  const histogram = m.createHistogram('h', { unit: 's', advice: { explicitBucketBoundaries: [10, 0, 1] } });
  const intHistogram = other.createHistogram('h.int', { valueType: ValueType.INT });
  const gauge = other.createGauge('g', { unit: '1' });
  return [
    (v: number, a: Attributes) => counter.add(v, a),
    (v: number, a: Attributes) => intCounter.add(v, a),
    (v: number, a: Attributes) => upDown.add(v, a),
    (v: number, a: Attributes) => histogram.record(v, a),
    (v: number, a: Attributes) => intHistogram.record(v, a),
    (v: number, a: Attributes) => gauge.record(v, a),
  ];
}

describe('bound series vs the OTel SDK', () => {
  afterEach(() => diag.disable());

  it('export the same data, cumulative and delta, for any sequence of records and collections', async () => {
    // Both paths warn about the negative and fractional values the generator sends.
    diag.setLogger({ error() {}, warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.NONE);
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 120 }), async (commands) => {
        const { bound, boundReaders, sdk, sdkReaders } = pair();
        const ours = instruments(bound);
        const theirs = instruments(sdk);
        for (const c of commands) {
          if (c.kind === 'collect') {
            const [x, y] = await collectBoth(
              boundReaders[c.reader] as MetricReader,
              sdkReaders[c.reader] as MetricReader,
            );
            expect(x).toEqual(y);
            continue;
          }
          const set = ATTRIBUTE_SETS[c.set] as Attributes;
          const a = c.frozen ? Object.freeze({ ...set }) : { ...set };
          ours[c.instrument]?.(c.value, a);
          theirs[c.instrument]?.(c.value, { ...set });
        }
        for (const r of [0, 1]) {
          const [x, y] = await collectBoth(boundReaders[r] as MetricReader, sdkReaders[r] as MetricReader);
          expect(x).toEqual(y);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('take the bound path by default in registerMetrics(), and the SDK path when told not to', async () => {
    const on = registerMetrics({ exporters: [], snapshot: true, setGlobal: false, shutdownOnSignals: false });
    const off = registerMetrics({
      exporters: [],
      snapshot: true,
      setGlobal: false,
      shutdownOnSignals: false,
      env: { TOKENMETER_BOUND_SERIES: 'false' },
    });
    try {
      const a = on.meterProvider.getMeter('m').createHistogram('x');
      const b = off.meterProvider.getMeter('m').createHistogram('x');
      expect(typeof (a as { bind?: unknown }).bind).toBe('function');
      expect((b as { bind?: unknown }).bind).toBeUndefined();
      a.record(3, { k: 'v' });
      b.record(3, { k: 'v' });
      const [x, y] = await Promise.all([on.collect(), off.collect()]);
      expect(normalize(x.resourceMetrics)).toEqual(normalize(y.resourceMetrics));
    } finally {
      await Promise.all([on.shutdown(), off.shutdown()]);
    }
  });
});

describe('bound series: what stays on the SDK path', () => {
  it('an instrument a view selects keeps the view (rename, buckets, wildcard); others are bound', async () => {
    const h = registerMetrics({
      exporters: [],
      snapshot: true,
      setGlobal: false,
      shutdownOnSignals: false,
      views: [
        { instrumentName: 'gen_ai.client.duration', name: 'renamed.duration' },
        {
          instrumentName: 'gen_ai.*.latency',
          aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1, 2] } },
        },
      ],
    });
    try {
      const meter = h.meterProvider.getMeter('m');
      const renamed = meter.createHistogram('gen_ai.client.duration', {
        advice: { explicitBucketBoundaries: [5] },
      });
      const rebucketed = meter.createHistogram('gen_ai.server.latency', {
        advice: { explicitBucketBoundaries: [5] },
      });
      const plain = meter.createHistogram('gen_ai.client.tokens', {
        advice: { explicitBucketBoundaries: [5] },
      });
      expect((renamed as { bind?: unknown }).bind).toBeUndefined();
      expect((rebucketed as { bind?: unknown }).bind).toBeUndefined();
      expect(typeof (plain as { bind?: unknown }).bind).toBe('function');
      for (const i of [renamed, rebucketed, plain]) i.record(1.5);
      const rm = (await h.collect()).resourceMetrics;
      expect(metricOf(rm, 'gen_ai.client.duration')).toBeUndefined();
      expect(boundariesOf(rm, 'renamed.duration')).toEqual([5]);
      expect(boundariesOf(rm, 'gen_ai.server.latency')).toEqual([1, 2]);
      expect(boundariesOf(rm, 'gen_ai.client.tokens')).toEqual([5]);
    } finally {
      await h.shutdown();
    }
  });

  it('a reader that asks for exponential histograms gets them from the SDK', async () => {
    class ExponentialReader extends TestMetricReader {
      constructor(producers: MetricProducer[]) {
        super({ metricProducers: producers });
      }
      override selectAggregation() {
        return { type: AggregationType.EXPONENTIAL_HISTOGRAM } as never;
      }
    }
    const registry = new BoundRegistry({ cardinalityLimit: 100 });
    const producer = registry.producer();
    const reader = new ExponentialReader([producer]);
    producer.attach(reader);
    const provider = new BoundMeterProvider({ readers: [reader] }, registry);
    const hist = provider.getMeter('m').createHistogram('h');
    expect((hist as { bind?: unknown }).bind).toBeUndefined();
    hist.record(3);
    const [metric] = (await reader.collect()).resourceMetrics.scopeMetrics[0]?.metrics ?? [];
    expect(metric?.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
  });

  it('observable instruments are the SDK’s, and their data arrives next to the bound data', async () => {
    const h = registerMetrics({ exporters: [], snapshot: true, setGlobal: false, shutdownOnSignals: false });
    try {
      const meter = h.meterProvider.getMeter('m');
      meter.createObservableGauge('og').addCallback((r) => r.observe(7, { k: 'v' }));
      meter.createCounter('c').add(1);
      const names = (await h.collect()).resourceMetrics.scopeMetrics.flatMap((s) =>
        s.metrics.map((m) => m.descriptor.name),
      );
      expect(names.sort()).toEqual(['c', 'og']);
    } finally {
      await h.shutdown();
    }
  });
});

function metricOf(rm: ResourceMetrics, name: string): MetricData | undefined {
  return rm.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
}

function boundariesOf(rm: ResourceMetrics, name: string): number[] | undefined {
  return (metricOf(rm, name)?.dataPoints[0]?.value as Histogram | undefined)?.buckets.boundaries;
}

describe('bound series: limits and bad input', () => {
  afterEach(() => diag.disable());

  it('holds N − 1 series plus one overflow series, for good, and memory with it', async () => {
    const { bound, boundReaders } = pair(5);
    const counter = bound.getMeter('m').createCounter('c');
    for (let i = 0; i < 100; i++) counter.add(1, Object.freeze({ model: `m${i}` }));
    for (let i = 0; i < 10; i++) counter.add(1, { model: `m${i}` });
    const points =
      metricOf((await (boundReaders[0] as MetricReader).collect()).resourceMetrics, 'c')?.dataPoints ?? [];
    expect(points.map((p) => [p.attributes, p.value])).toEqual([
      [{ model: 'm0' }, 2],
      [{ model: 'm1' }, 2],
      [{ model: 'm2' }, 2],
      [{ model: 'm3' }, 2],
      [{ 'otel.metric.overflow': true }, 96 + 6],
    ]);
  });

  it('never throws on values or attributes that would crash or poison the SDK, and says so once', () => {
    const warnings: string[] = [];
    diag.setLogger(
      { error() {}, warn: (m: string) => warnings.push(m), info() {}, debug() {}, verbose() {} },
      DiagLogLevel.WARN,
    );
    const { bound } = pair();
    const meter = bound.getMeter('m');
    const counter = meter.createCounter('c');
    const upDown = meter.createUpDownCounter('u');
    const hist = meter.createHistogram('h');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const bad = [
      { big: 1n },
      { obj: circular },
      { fn: () => 1 },
      { sym: Symbol('s') },
      { mixed: ['a', 1] },
      'not an object',
      null,
      [1, 2],
    ];
    for (const a of bad) {
      expect(() => counter.add(1, a as never)).not.toThrow();
      expect(() => hist.record(1, a as never)).not.toThrow();
    }
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '3', undefined, 1n]) {
      expect(() => counter.add(v as never)).not.toThrow();
      expect(() => upDown.add(v as never)).not.toThrow();
      expect(() => hist.record(v as never)).not.toThrow();
    }
    for (let i = 0; i < 5; i++) counter.add(-1);
    // One line per instrument and reason, not one per call.
    expect(warnings.filter((w) => w.includes('c: negative'))).toHaveLength(1);
    expect(
      warnings.filter((w) => w.includes('u: Infinity') || w.includes('u: NaN') || w.includes('u: -Infinity')),
    ).toHaveLength(1);
    expect(warnings.some((w) => w.includes('attribute(s) big dropped'))).toBe(true);
  });

  it('keeps NaN and ±Infinity out of counter sums (the SDK would carry them for good)', async () => {
    diag.setLogger({ error() {}, warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.NONE);
    const { bound, boundReaders } = pair();
    const meter = bound.getMeter('m');
    const c = meter.createCounter('c');
    const u = meter.createUpDownCounter('u');
    for (const v of [1, Number.NaN, Number.POSITIVE_INFINITY, 2]) c.add(v);
    for (const v of [1, Number.NEGATIVE_INFINITY, Number.NaN, -3]) u.add(v);
    const rm = (await (boundReaders[0] as MetricReader).collect()).resourceMetrics;
    expect(metricOf(rm, 'c')?.dataPoints[0]?.value).toBe(3);
    expect(metricOf(rm, 'u')?.dataPoints[0]?.value).toBe(-2);
  });

  it('finds a mutated, unfrozen attributes object’s new series every time', async () => {
    const { bound, boundReaders } = pair();
    const c = bound.getMeter('m').createCounter('c');
    const attrs: Attributes = { route: '/a' };
    c.add(1, attrs);
    attrs.route = '/b';
    c.add(10, attrs);
    const points = metricOf(
      (await (boundReaders[0] as MetricReader).collect()).resourceMetrics,
      'c',
    )?.dataPoints;
    expect(points?.map((p) => [p.attributes, p.value])).toEqual([
      [{ route: '/a' }, 1],
      [{ route: '/b' }, 10],
    ]);
  });

  it('bind() resolves a series once; records through it land in the same series', async () => {
    const { bound, boundReaders } = pair();
    const hist = bound
      .getMeter('m')
      .createHistogram('h', { advice: { explicitBucketBoundaries: [1] } }) as unknown as {
      bind(a: Attributes): { record(v: number): void };
      record(v: number, a: Attributes): void;
    };
    const series = hist.bind({ k: 'v' });
    series.record(0.5);
    series.record(2);
    hist.record(0.25, { k: 'v' });
    const p = metricOf((await (boundReaders[0] as MetricReader).collect()).resourceMetrics, 'h')
      ?.dataPoints[0];
    expect(p?.attributes).toEqual({ k: 'v' });
    expect(p?.value).toEqual({
      buckets: { boundaries: [1], counts: [2, 1] },
      count: 3,
      sum: 2.75,
      min: 0.25,
      max: 2,
    });
  });

  it('hands readers a copy of the buckets, so recording during a slow render cannot break a histogram', async () => {
    const { bound, boundReaders } = pair();
    const hist = bound.getMeter('m').createHistogram('h', { advice: { explicitBucketBoundaries: [1, 2] } });
    hist.record(0.5);
    const point = metricOf((await (boundReaders[0] as MetricReader).collect()).resourceMetrics, 'h')
      ?.dataPoints[0];
    for (let i = 0; i < 10; i++) hist.record(0.5);
    expect(point?.value).toMatchObject({ count: 1, buckets: { counts: [1, 0, 0] } });
  });

  it('gives the event loop a turn during a large collection, and records made meanwhile are counted once', async () => {
    const registry = new BoundRegistry({ cardinalityLimit: 2000, yieldEvery: 10 });
    const readers = [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA].map((t) => {
      const producer = registry.producer();
      const reader = new TestMetricReader({ temporality: t, metricProducers: [producer] });
      producer.attach(reader);
      return reader;
    });
    const provider = new BoundMeterProvider({ readers }, registry);
    const counter = provider.getMeter('m').createCounter('c');
    const sets = Array.from({ length: 100 }, (_, i) => Object.freeze({ series: i }));
    for (const a of sets) counter.add(1, a);
    const cumulative = readers[0] as MetricReader;
    const delta = readers[1] as MetricReader;
    // Records land while the delta collection is half-way: series already read
    // keep theirs for the next interval, series not yet read report them now.
    let turns = 0;
    const meanwhile = new Promise<void>((resolve) =>
      setImmediate(() => {
        turns++;
        for (const a of sets) counter.add(1, a);
        resolve();
      }),
    );
    const first = await delta.collect();
    await meanwhile;
    expect(turns).toBe(1);
    const second = await delta.collect();
    const total = (rm: ResourceMetrics) => {
      const m = metricOf(rm, 'c');
      return (m?.dataPoints ?? []).reduce((sum, p) => sum + (p.value as number), 0);
    };
    const firstTotal = total(first.resourceMetrics);
    // The pause came after the first slice and before the last: both intervals hold part of the second round.
    expect(firstTotal).toBeGreaterThan(100);
    expect(firstTotal).toBeLessThan(200);
    expect(firstTotal + total(second.resourceMetrics)).toBe(200);
    expect(total((await cumulative.collect()).resourceMetrics)).toBe(200);
  });

  it('after shutdown hands out no-op meters, as the SDK does', async () => {
    const { bound } = pair();
    await bound.shutdown();
    diag.setLogger({ error() {}, warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.NONE);
    const c = bound.getMeter('late').createCounter('c');
    expect((c as { bind?: unknown }).bind).toBeUndefined();
    expect(() => c.add(1)).not.toThrow();
  });
});

describe('bound series: one series per attribute set', () => {
  afterEach(() => diag.disable());

  /** The set an exporter can write, worked out independently of the code under test. */
  function model(a: Record<string, unknown>): string {
    const valid = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);
    const entries = Object.keys(a)
      .filter((k) => {
        const v = a[k];
        if (valid(v)) return true;
        if (!Array.isArray(v)) return false;
        const types = new Set(v.filter((x) => x !== null && x !== undefined).map((x) => typeof x));
        return v.every((x) => x === null || x === undefined || valid(x)) && types.size <= 1;
      })
      .sort()
      .map((k) => [
        k,
        Array.isArray(a[k]) ? (a[k] as unknown[]).map((x) => String(x)) : `${typeof a[k]}:${String(a[k])}`,
      ]);
    return JSON.stringify(entries);
  }

  const value = fc.constantFrom<unknown>(
    'x',
    'null',
    '',
    1,
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    true,
    null,
    undefined,
    ['a', 'b'],
    ['a', 1],
    [null, 'a'],
    { nested: 1 },
    1n,
    () => 1,
  );

  it('records with equal exportable sets land in one series, whatever the key order, freezing or junk', async () => {
    diag.setLogger({ error() {}, warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.NONE);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.dictionary(fc.constantFrom('a', 'b', 'c'), value, { maxKeys: 3 }), fc.boolean()),
          {
            maxLength: 40,
          },
        ),
        async (records) => {
          const { bound, boundReaders } = pair();
          const c = bound.getMeter('m').createCounter('c');
          const expected = new Map<string, number>();
          for (const [attrs, frozen] of records) {
            const a = frozen ? Object.freeze(attrs) : { ...attrs };
            c.add(1, a as Attributes);
            const k = model(attrs);
            expected.set(k, (expected.get(k) ?? 0) + 1);
          }
          const points =
            metricOf((await (boundReaders[0] as MetricReader).collect()).resourceMetrics, 'c')?.dataPoints ??
            [];
          const actual = new Map(
            points.map((p) => [model(p.attributes as Record<string, unknown>), p.value]),
          );
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
