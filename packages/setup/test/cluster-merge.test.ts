/**
 * The merge rules, in-process: each "worker" is a real registerMetrics()
 * provider whose collections reach a ClusterAggregator as node:cluster's IPC
 * would carry them (JSON). The expected values come from one stock SDK
 * MeterProvider that recorded everything every worker recorded: the merge
 * must equal it (counters, histograms, exponential histograms), keep gauges
 * per worker, and never let a total step back when a worker goes.
 */
import { type Attributes, context, DiagLogLevel, diag, ValueType } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  MeterProvider,
  type MetricData,
  type MetricProducer,
  type ResourceMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { TestMetricReader } from '@tokenmeter/testkit';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterAggregator } from '../src/cluster/cluster-aggregator.js';
import type { ClusterPrometheusReader } from '../src/cluster/cluster-prometheus-reader.js';
import { CollectionEncoder } from '../src/cluster/collection-encoder.js';
import { mergeExponential } from '../src/cluster/exponential-merge.js';
import { type MetricsHandle, registerMetrics } from '../src/index.js';
import { parseOpenMetrics } from './helpers/openmetrics-text.js';
import { decodeFamilies, nativeBuckets } from './helpers/prometheus-protobuf.js';

const BOUNDS = [1, 5, 10, 100];
/** Exactly representable, so sums do not depend on the order of addition. */
const HIST_VALUES = [0.5, 3, 7, 20, 150];
/** Seven orders of magnitude apart: merging forces re-scaling. */
const EXP_VALUES = [0, 2 ** -10, 0.75, 3, 1000, 2 ** 20];
const ROUTES = [0, 1, 2].map((i) => Object.freeze({ 'http.route': `/r${i}` }));
const VIEWS: ViewOptions[] = [
  { instrumentName: 'app.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
];
const RESOURCE = resourceFromAttributes({ 'service.name': 'primary' });
const EMPTY: ResourceMetrics = { resource: RESOURCE, scopeMetrics: [] };

type Op =
  | { kind: 'count'; route: number; value: number }
  | { kind: 'hist'; route: number; value: number }
  | { kind: 'exp'; route: number; value: number }
  | { kind: 'updown'; route: number; value: number }
  | { kind: 'gauge'; route: number; value: number };

/** The instruments an app records with, on one provider. */
function instrumentsOf(meterProvider: MeterProvider) {
  const meter = meterProvider.getMeter('app', '1.0.0');
  return {
    count: meter.createCounter('app.requests', { description: 'Requests.' }),
    hist: meter.createHistogram('app.latency', { unit: 's', advice: { explicitBucketBoundaries: BOUNDS } }),
    exp: meter.createHistogram('app.size', { unit: 'By' }),
    updown: meter.createUpDownCounter('app.open'),
    gauge: meter.createGauge('app.queue'),
  };
}

function record(inst: ReturnType<typeof instrumentsOf>, op: Op): void {
  const attrs = ROUTES[op.route] as Attributes;
  if (op.kind === 'count') inst.count.add(op.value, attrs);
  else if (op.kind === 'hist') inst.hist.record(op.value, attrs);
  else if (op.kind === 'exp') inst.exp.record(op.value, attrs);
  else if (op.kind === 'updown') inst.updown.add(op.value, attrs);
  else inst.gauge.record(op.value, attrs);
}

interface WorkerOptions {
  /** Other bucket boundaries for `app.latency`. */
  bounds?: number[];
  metricProducers?: MetricProducer[];
  exemplars?: boolean;
}

/** How a test worker answers the aggregator's requests. */
type Behaviour =
  | 'answer'
  | 'silent'
  | ((request: { id: number; full: boolean }, resourceMetrics: ResourceMetrics) => unknown);

/** A worker: its own registerMetrics() provider, joined to `aggregator` over a JSON "channel". */
class TestWorker {
  handle!: MetricsHandle;
  inst!: ReturnType<typeof instrumentsOf>;
  behaviour: Behaviour = 'answer';
  /** Every request it got. */
  readonly requests: { id: number; full: boolean }[] = [];
  private encoder = new CollectionEncoder();

  constructor(
    readonly aggregator: ClusterAggregator,
    readonly label: string,
    private readonly options: WorkerOptions = {},
  ) {
    this.start();
  }

  /** A new provider in the same worker (a second registerMetrics() after shutdown): its counts start from 0. */
  async restart(): Promise<void> {
    await this.handle.shutdown();
    this.encoder = new CollectionEncoder();
    this.start();
  }

  private start(): void {
    const { aggregator, label } = this;
    this.handle = registerMetrics({
      exporters: [],
      snapshot: true,
      setGlobal: false,
      shutdownOnSignals: false,
      detectResources: false,
      metricProducers: this.options.metricProducers ?? [],
      exemplars: this.options.exemplars ?? false,
      views: this.options.bounds
        ? [
            ...VIEWS,
            {
              instrumentName: 'app.latency',
              aggregation: {
                type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
                options: { boundaries: this.options.bounds },
              },
            },
          ]
        : VIEWS,
    });
    live.push(this.handle);
    this.inst = instrumentsOf(this.handle.meterProvider);
    aggregator.join(label, `test worker ${label}`, label, (request) => {
      this.requests.push({ id: request.id, full: request.full });
      const b = this.behaviour;
      if (b === 'silent') return true;
      void this.handle.collect().then(({ resourceMetrics }) => {
        const message =
          b === 'answer'
            ? this.encoder.encode(resourceMetrics, 'collection', request.id, request.full)
            : b(request, resourceMetrics);
        aggregator.receive(label, JSON.parse(JSON.stringify(message)));
      });
      return true;
    });
  }

  leave(): Promise<unknown> {
    this.aggregator.leave(this.label);
    return this.handle.shutdown();
  }
}

function metric(rm: ResourceMetrics, name: string): MetricData | undefined {
  for (const s of rm.scopeMetrics) for (const m of s.metrics) if (m.descriptor.name === name) return m;
  return undefined;
}

function point<T>(m: MetricData | undefined, attrs: Record<string, unknown>): T | undefined {
  const match = (m?.dataPoints as { attributes: Attributes; value: T }[] | undefined)?.find((p) => {
    const keys = Object.keys(p.attributes);
    return keys.length === Object.keys(attrs).length && keys.every((k) => p.attributes[k] === attrs[k]);
  });
  return match?.value;
}

/** Buckets without the zero runs at either end, so two histograms of the same values compare equal. */
function trimmed(b: ExponentialHistogram['positive']): { offset: number; counts: number[] } {
  let first = 0;
  let last = b.bucketCounts.length - 1;
  while (first <= last && b.bucketCounts[first] === 0) first++;
  while (last >= first && b.bucketCounts[last] === 0) last--;
  return first > last
    ? { offset: 0, counts: [] }
    : { offset: b.offset + first, counts: b.bucketCounts.slice(first, last + 1) };
}

/** Positive bucket counts by index at a scale at most the histogram's own. */
function atScale(h: ExponentialHistogram, scale: number): [number, number][] {
  const counts = new Map<number, number>();
  h.positive.bucketCounts.forEach((c, i) => {
    if (c === 0) return;
    const index = Math.floor((h.positive.offset + i) / 2 ** (h.scale - scale));
    counts.set(index, (counts.get(index) ?? 0) + c);
  });
  return [...counts].sort((a, b) => a[0] - b[0]);
}

/** The merged collection must equal the oracle's for every monotonic series. */
function expectMonotonicEqual(merged: ResourceMetrics, oracle: ResourceMetrics): void {
  for (const name of ['app.requests', 'app.latency', 'app.size']) {
    const want = metric(oracle, name);
    const got = metric(merged, name);
    expect(got?.dataPoints.length ?? 0, name).toBe(want?.dataPoints.length ?? 0);
    for (const p of want?.dataPoints ?? []) {
      const g = point<unknown>(got, p.attributes);
      if (want?.dataPointType === DataPointType.SUM) expect(g, name).toBe(p.value);
      if (want?.dataPointType === DataPointType.HISTOGRAM) {
        const w = p.value as Histogram;
        const h = g as Histogram;
        expect([h.count, h.sum, h.min, h.max, h.buckets.counts], name).toEqual([
          w.count,
          w.sum,
          w.min,
          w.max,
          w.buckets.counts,
        ]);
        expect(h.buckets.boundaries).toEqual(BOUNDS);
      }
      if (want?.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
        const w = p.value as ExponentialHistogram;
        const h = g as ExponentialHistogram;
        expect([h.count, h.sum, h.min, h.max, h.zeroCount], name).toEqual([
          w.count,
          w.sum,
          w.min,
          w.max,
          w.zeroCount,
        ]);
        // The oracle's own scale depends on when it was collected (the SDK merges a zeros-only
        // delta as scale 0 and loses resolution), so the two compare at the coarser scale.
        const scale = Math.min(h.scale, w.scale);
        expect(atScale(h, scale), name).toEqual(atScale(w, scale));
      }
    }
  }
}

const live: { shutdown(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const h of live.splice(0)) await h.shutdown();
  diag.disable();
});

function aggregator(
  options: Partial<ConstructorParameters<typeof ClusterAggregator>[0]> = {},
): ClusterAggregator {
  return new ClusterAggregator({
    cardinalityLimit: 2000,
    timeoutMillis: 2000,
    maxSeries: 100_000,
    ownLabel: 'primary',
    ...options,
  });
}

function worker(agg: ClusterAggregator, label: string, options: WorkerOptions = {}): TestWorker {
  return new TestWorker(agg, label, options);
}

/** One stock SDK provider that records what every worker records: what the merge must equal. */
function oracle(): { meterProvider: MeterProvider; collect(): Promise<ResourceMetrics> } {
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader], views: VIEWS });
  live.push(meterProvider);
  return { meterProvider, collect: async () => (await reader.collect()).resourceMetrics };
}

/** Diagnostics, as a list of messages. */
function captureDiag(): string[] {
  const lines: string[] = [];
  const log = (m: string) => lines.push(m);
  diag.setLogger(
    { error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} },
    DiagLogLevel.WARN,
  );
  return lines;
}

describe('cluster merge', () => {
  it('sums counters and histograms bucket-wise, re-scales exponential histograms, keeps gauges per worker: equal to one provider that recorded everything', async () => {
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('count' as const),
        route: fc.nat(2),
        value: fc.integer({ min: 0, max: 1000 }),
      }),
      fc.record({
        kind: fc.constant('hist' as const),
        route: fc.nat(2),
        value: fc.constantFrom(...HIST_VALUES),
      }),
      fc.record({
        kind: fc.constant('exp' as const),
        route: fc.nat(2),
        value: fc.constantFrom(...EXP_VALUES),
      }),
      fc.record({
        kind: fc.constant('updown' as const),
        route: fc.nat(2),
        value: fc.integer({ min: -50, max: 50 }),
      }),
      fc.record({
        kind: fc.constant('gauge' as const),
        route: fc.nat(2),
        value: fc.integer({ min: -50, max: 50 }),
      }),
    );
    // Steps: a worker records, everyone is scraped, or a worker leaves (right after a scrape, so
    // nothing it recorded is unreported) and a fresh one takes its place.
    const stepArb = fc.oneof(
      { weight: 8, arbitrary: fc.record({ step: fc.constant('op' as const), worker: fc.nat(3), op: opArb }) },
      { weight: 2, arbitrary: fc.record({ step: fc.constant('scrape' as const) }) },
      { weight: 1, arbitrary: fc.record({ step: fc.constant('replace' as const), worker: fc.nat(3) }) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(stepArb, { maxLength: 60 }),
        async (n, steps) => {
          const agg = aggregator();
          const all = oracle();
          const allInst = instrumentsOf(all.meterProvider);
          let next = 0;
          const workers = Array.from({ length: n }, () => worker(agg, String(++next)));
          // What live workers hold: up-down sums and last gauge values, per worker and route.
          const updown = new Map<TestWorker, Map<number, number>>();
          const gauges = new Map<TestWorker, Map<number, number>>();
          let previous = new Map<string, number>();
          const scrape = async () => {
            const merged = await agg.collect(EMPTY);
            expectMonotonicEqual(merged, await all.collect());
            for (const r of [0, 1, 2]) {
              const holders = [...updown.values()].filter((sums) => sums.has(r));
              const total = holders.reduce((a, sums) => a + (sums.get(r) ?? 0), 0);
              expect(point(metric(merged, 'app.open'), ROUTES[r] as Attributes)).toBe(
                holders.length ? total : undefined,
              );
            }
            const queue = metric(merged, 'app.queue');
            expect(queue?.dataPoints.length ?? 0).toBe([...gauges.values()].reduce((a, g) => a + g.size, 0));
            for (const [w, values] of gauges) {
              for (const [r, v] of values) {
                expect(point(queue, { ...ROUTES[r], 'tokenmeter.worker.id': w.label })).toBe(v);
              }
            }
            // No total ever steps back.
            const now = new Map<string, number>();
            for (const p of metric(merged, 'app.requests')?.dataPoints ?? []) {
              const key = JSON.stringify(p.attributes);
              expect(p.value as number).toBeGreaterThanOrEqual(previous.get(key) ?? 0);
              now.set(key, p.value as number);
            }
            previous = now;
          };
          for (const s of steps) {
            if (s.step === 'scrape') await scrape();
            else if (s.step === 'op') {
              const w = workers[s.worker % n] as TestWorker;
              record(w.inst, s.op);
              const held = s.op.kind === 'updown' ? updown : s.op.kind === 'gauge' ? gauges : undefined;
              if (held) {
                const values = held.get(w) ?? new Map<number, number>();
                values.set(
                  s.op.route,
                  (s.op.kind === 'updown' ? (values.get(s.op.route) ?? 0) : 0) + s.op.value,
                );
                held.set(w, values);
              }
              if (s.op.kind === 'count' || s.op.kind === 'hist' || s.op.kind === 'exp') record(allInst, s.op);
            } else {
              await scrape();
              const i = s.worker % n;
              const gone = workers[i] as TestWorker;
              await gone.leave();
              updown.delete(gone);
              gauges.delete(gone);
              workers[i] = worker(agg, String(++next));
            }
          }
          await scrape();
          for (const w of workers) await w.leave();
          // Every worker gone: the totals stand, gauges and up-down sums are gone with them.
          const after = await agg.collect(EMPTY);
          expectMonotonicEqual(after, await all.collect());
          expect(metric(after, 'app.queue')).toBeUndefined();
          expect(metric(after, 'app.open')).toBeUndefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('merging exponential histograms gives the histogram of all their values, however they were split', async () => {
    // m · 2^k: sums stay exact; k from −12 to 24 spans far more than 160 buckets at scale 20.
    const valueArb = fc.oneof(
      fc.constant(0),
      fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: -12, max: 24 })).map(([m, k]) => m * 2 ** k),
    );
    const histogramOf = async (values: number[]) => {
      const { meterProvider, collect } = oracle();
      const h = meterProvider.getMeter('m').createHistogram('app.size');
      for (const v of values) h.record(v);
      const m = metric(await collect(), 'app.size');
      return m?.dataPoints[0]?.value as ExponentialHistogram | undefined;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(valueArb, { maxLength: 12 }), { minLength: 1, maxLength: 5 }),
        async (split) => {
          const parts = (await Promise.all(split.map(histogramOf))).filter((h) => h !== undefined);
          const want = await histogramOf(split.flat());
          live.splice(0).forEach((p) => void p.shutdown());
          if (want === undefined) return;
          const got = mergeExponential(parts);
          expect([got.count, got.sum, got.min, got.max, got.zeroCount, got.scale]).toEqual([
            want.count,
            want.sum,
            want.min,
            want.max,
            want.zeroCount,
            want.scale,
          ]);
          expect(trimmed(got.positive)).toEqual(trimmed(want.positive));
          expect(got.positive.bucketCounts.length).toBeLessThanOrEqual(160);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a worker whose counts restart (a new provider) never takes a total back', async () => {
    // Both providers' series start in the same millisecond (as on a fast machine), so
    // their start times cannot tell the new counts from the old: the encoder's
    // incarnation must. Neither count goes down here (1 then 1, 10 then 10).
    const clock = vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    try {
      const agg = aggregator();
      const w = worker(agg, '1');
      w.inst.count.add(10, ROUTES[0]);
      w.inst.hist.record(3, ROUTES[0]);
      expect(point(metric(await agg.collect(EMPTY), 'app.requests'), ROUTES[0] as Attributes)).toBe(10);
      await w.restart();
      w.inst.count.add(10, ROUTES[0]);
      w.inst.hist.record(7, ROUTES[0]);
      const merged = await agg.collect(EMPTY);
      expect(point(metric(merged, 'app.requests'), ROUTES[0] as Attributes)).toBe(20);
      const latency = point<Histogram>(metric(merged, 'app.latency'), ROUTES[0] as Attributes);
      expect([latency?.count, latency?.sum]).toEqual([2, 10]);
      expect(w.requests.at(-1)?.full).toBe(true); // the second hello asked for every definition again
    } finally {
      clock.mockRestore();
    }
  });

  it('an incremental collection from another provider than the last full one is refused', async () => {
    const lines = captureDiag();
    const agg = aggregator();
    const w = worker(agg, '1');
    w.inst.count.add(4, ROUTES[0]);
    expect(point(metric(await agg.collect(EMPTY), 'app.requests'), ROUTES[0] as Attributes)).toBe(4);
    const stranger = new CollectionEncoder();
    w.behaviour = (request, resourceMetrics) =>
      stranger.encode(resourceMetrics, 'collection', request.id, false);
    w.inst.count.add(1, ROUTES[0]);
    expect(point(metric(await agg.collect(EMPTY), 'app.requests'), ROUTES[0] as Attributes)).toBe(4);
    expect(lines.some((l) => l.includes('another provider'))).toBe(true);
  });

  it('a worker that does not answer costs the scrape its timeout once, is served at its last state and named once', async () => {
    const lines = captureDiag();
    const agg = aggregator({ timeoutMillis: 150 });
    const [a, b] = [worker(agg, '1'), worker(agg, '2')];
    a.inst.count.add(4, ROUTES[0]);
    b.inst.count.add(6, ROUTES[0]);
    expect(point(metric(await agg.collect(EMPTY), 'app.requests'), ROUTES[0] as Attributes)).toBe(10);
    b.behaviour = 'silent';
    b.inst.count.add(100, ROUTES[0]); // recorded, but b never reports it while silent
    a.inst.count.add(1, ROUTES[0]);
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const merged = await agg.collect(EMPTY);
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(point(metric(merged, 'app.requests'), ROUTES[0] as Attributes)).toBe(11);
    }
    expect(lines.filter((l) => l.includes('test worker 2'))).toEqual([
      'tokenmeter: test worker 2 did not answer within 150 ms; its last reported state is served',
    ]);
    b.behaviour = 'answer';
    const merged = await agg.collect(EMPTY);
    expect(point(metric(merged, 'app.requests'), ROUTES[0] as Attributes)).toBe(111);
    expect(b.requests.at(-1)?.full).toBe(true); // after a lost answer, every definition again
  });

  it('garbage from a worker: nothing thrown, one diagnostic for that worker, its last good state kept', async () => {
    const valid = fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7);
    const corruption = fc.oneof(
      fc.anything(),
      fc.record({ at: valid, with: fc.anything() }),
      fc.record({ at: valid, with: fc.array(fc.anything(), { maxLength: 12 }) }),
      fc.record({
        at: valid,
        with: fc.array(fc.oneof(fc.integer(), fc.double(), fc.string()), { maxLength: 30 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(corruption, async (bad) => {
        const lines = captureDiag();
        const agg = aggregator({ timeoutMillis: 50 });
        const w = worker(agg, '1');
        for (const op of [0, 1, 2]) {
          w.inst.count.add(op + 1, ROUTES[op]);
          w.inst.hist.record(HIST_VALUES[op] as number, ROUTES[op]);
          w.inst.exp.record(EXP_VALUES[op + 2] as number, ROUTES[op]);
          w.inst.gauge.record(op, ROUTES[op]);
        }
        const before = await agg.collect(EMPTY);
        w.inst.count.add(1000, ROUTES[0]);
        const encoder = new CollectionEncoder();
        w.behaviour = (request, resourceMetrics) => {
          // The worker's real answer, with one part replaced (or another message altogether).
          const message = encoder.encode(
            resourceMetrics,
            'collection',
            request.id,
            true,
          ) as unknown as Record<string, unknown>;
          if (typeof bad !== 'object' || bad === null || !('at' in bad) || !('with' in bad)) {
            return { $tokenmeter: 1, type: 'collection', id: request.id, ...(bad as object) };
          }
          const keys = ['full', 'metrics', 'series', 'values', 'type', 'id', 'gone', 'exemplars'];
          message[keys[bad.at as number] as string] = bad.with;
          return message;
        };
        const after = await agg.collect(EMPTY);
        const said = lines.filter((l) => l.includes('test worker 1'));
        expect(said.length).toBeLessThanOrEqual(1);
        if (said.length === 1) {
          // Rejected (or, with a broken id, never recognised as the answer): the last good state.
          expect(said[0]).toMatch(
            /^tokenmeter: test worker 1 (sent a malformed collection|sent a message of unknown type|did not answer)/,
          );
          expect(strip(after)).toEqual(strip(before));
        }
        await agg.collect(EMPTY);
        expect(lines.filter((l) => l.includes('test worker 1')).length).toBeLessThanOrEqual(1);
        await w.leave();
      }),
      { numRuns: 150 },
    );
  });

  it('histograms whose boundaries differ across workers stay per worker, with one diagnostic', async () => {
    const lines = captureDiag();
    const agg = aggregator();
    const a = worker(agg, '1');
    const b = worker(agg, '2', { bounds: [2, 4] });
    a.inst.hist.record(3, ROUTES[0]);
    b.inst.hist.record(3, ROUTES[0]);
    b.inst.hist.record(5, ROUTES[0]);
    const latency = metric(await agg.collect(EMPTY), 'app.latency');
    const merged = point<Histogram>(latency, ROUTES[0] as Attributes);
    const own = point<Histogram>(latency, { ...ROUTES[0], 'tokenmeter.worker.id': '2' });
    expect([merged?.count, merged?.buckets.boundaries, merged?.buckets.counts]).toEqual([
      1,
      BOUNDS,
      [0, 1, 0, 0, 0],
    ]);
    expect([own?.count, own?.buckets.boundaries, own?.buckets.counts]).toEqual([2, [2, 4], [0, 1, 1]]);
    expect(lines.filter((l) => l.includes('bucket boundaries'))).toHaveLength(1);
    await b.leave(); // its own series goes with it
    expect(metric(await agg.collect(EMPTY), 'app.latency')?.dataPoints).toHaveLength(1);
  });

  it('keeps the cardinality limit across workers: the rest goes to one overflow series', async () => {
    const lines = captureDiag();
    const agg = aggregator({ cardinalityLimit: 3 });
    const [a, b] = [worker(agg, '1'), worker(agg, '2')];
    a.inst.count.add(1, ROUTES[0]);
    a.inst.count.add(2, ROUTES[1]);
    b.inst.count.add(4, ROUTES[1]);
    b.inst.count.add(8, ROUTES[2]);
    b.inst.count.add(16, { 'http.route': '/r3' });
    const requests = metric(await agg.collect(EMPTY), 'app.requests');
    expect(point(requests, ROUTES[0] as Attributes)).toBe(1);
    expect(point(requests, ROUTES[1] as Attributes)).toBe(6);
    expect(point(requests, { 'otel.metric.overflow': true })).toBe(24);
    expect(requests?.dataPoints).toHaveLength(3);
    expect(lines.filter((l) => l.includes('otel.metric.overflow'))).toHaveLength(1);
  });

  it('what a worker recorded after its last report is lost when it dies without a final push', async () => {
    const agg = aggregator();
    const w = worker(agg, '1');
    w.inst.count.add(5, ROUTES[0]);
    await agg.collect(EMPTY);
    w.inst.count.add(7, ROUTES[0]); // never reported
    await w.leave();
    expect(point(metric(await agg.collect(EMPTY), 'app.requests'), ROUTES[0] as Attributes)).toBe(5);
  });
});

describe('cluster merge, in slices', () => {
  const SERIES = 1500;

  /** This process's own collection: one request on `/r0`, then SERIES counter series. */
  async function ownCollection(): Promise<ResourceMetrics> {
    const handle = registerMetrics({
      exporters: [],
      snapshot: true,
      setGlobal: false,
      shutdownOnSignals: false,
      detectResources: false,
      cardinalityLimit: SERIES + 10,
    });
    live.push(handle);
    const inst = instrumentsOf(handle.meterProvider);
    inst.count.add(1, ROUTES[0]);
    const wide = handle.meterProvider.getMeter('app', '1.0.0').createCounter('app.wide');
    for (let i = 0; i < SERIES; i++) wide.add(i + 1, { i });
    return (await handle.collect()).resourceMetrics;
  }

  /** How many times the event loop got round while `work` ran. */
  async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
    let turns = 0;
    let running = true;
    const probe = () => {
      if (!running) return;
      turns++;
      setImmediate(probe);
    };
    setImmediate(probe);
    const result = await work();
    running = false;
    return { result, turns };
  }

  it('a merge of many series gives the event loop turns while it runs, and the same collection as one pass', async () => {
    const own = await ownCollection();
    const sliced = await turnsDuring(() =>
      aggregator({ cardinalityLimit: SERIES + 10, yieldEvery: 100 }).collect(own),
    );
    const onePass = await turnsDuring(() =>
      aggregator({ cardinalityLimit: SERIES + 10, yieldEvery: 0 }).collect(own),
    );
    // No reporter to wait for: without slices the merge runs to the end in one turn.
    expect(onePass.turns).toBe(0);
    expect(sliced.turns).toBeGreaterThanOrEqual(Math.floor(SERIES / 100));
    expect(strip(sliced.result)).toEqual(strip(onePass.result));
    const wide = metric(sliced.result, 'app.wide');
    expect(wide?.dataPoints).toHaveLength(SERIES);
    expect(point(wide, { i: 7 })).toBe(8);
  });

  it('a worker that leaves during a merge is merged as it was when the merge began; its leaving applies after', async () => {
    const own = await ownCollection();
    const agg = aggregator({ cardinalityLimit: SERIES + 10, yieldEvery: 100 });
    const w = worker(agg, '1');
    w.inst.count.add(10, ROUTES[0]);
    w.inst.gauge.record(5, ROUTES[0]);
    const requests = (rm: ResourceMetrics) => point(metric(rm, 'app.requests'), ROUTES[0] as Attributes);
    const queue = (rm: ResourceMetrics) => metric(rm, 'app.queue')?.dataPoints.length ?? 0;
    let merged = await agg.collect(own);
    expect([requests(merged), queue(merged)]).toEqual([11, 1]);

    // The worker answers, and leaves at the next turn of the loop: the merge has begun by then
    // (it starts as soon as the answer is in) and is walking this process's own series.
    const encoder = new CollectionEncoder();
    let leftDuringMerge = false;
    w.behaviour = (request, resourceMetrics) => {
      setImmediate(() => {
        agg.leave('1');
        leftDuringMerge = true;
      });
      return encoder.encode(resourceMetrics, 'collection', request.id, request.full);
    };
    const { result, turns } = await turnsDuring(() => agg.collect(own));
    expect(leftDuringMerge).toBe(true);
    expect(turns).toBeGreaterThan(1);
    expect([requests(result), queue(result)]).toEqual([11, 1]);
    merged = await agg.collect(own);
    expect([requests(merged), queue(merged)]).toEqual([11, 0]); // its total stays, its gauge went with it
  });

  it('concurrent merges run one after the other: each is whole', async () => {
    const own = await ownCollection();
    const agg = aggregator({ cardinalityLimit: SERIES + 10, yieldEvery: 100 });
    const [a, b] = [worker(agg, '1'), worker(agg, '2')];
    a.inst.count.add(10, ROUTES[0]);
    b.inst.count.add(100, ROUTES[0]);
    b.inst.gauge.record(5, ROUTES[1]);
    const results = await Promise.all([agg.collect(own), agg.collect(own), agg.collect(own)]);
    for (const rm of results) {
      expect(point(metric(rm, 'app.requests'), ROUTES[0] as Attributes)).toBe(111);
      expect(metric(rm, 'app.wide')?.dataPoints).toHaveLength(SERIES);
      expect(point(metric(rm, 'app.queue'), { ...ROUTES[1], 'tokenmeter.worker.id': '2' })).toBe(5);
    }
  });
});

describe('cluster merge, what crosses', () => {
  it('sends only what changed; a series no longer observed leaves the merge, and comes back', async () => {
    const agg = aggregator();
    // A producer (what @tokenmeter/scrape's bridge is) whose series come and go with its source;
    // the SDK's own cumulative gauges never drop a series once seen.
    let observed: { value: number; attrs: Attributes }[] = [];
    const producer: MetricProducer = {
      collect: async () => ({
        errors: [],
        resourceMetrics: {
          resource: RESOURCE,
          scopeMetrics: [
            {
              scope: { name: 'bridge' },
              metrics: [
                {
                  descriptor: {
                    name: 'app.temperature',
                    description: '',
                    unit: 'Cel',
                    valueType: ValueType.DOUBLE,
                  },
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPointType: DataPointType.GAUGE,
                  dataPoints: observed.map((o) => ({
                    startTime: [1, 0],
                    endTime: [2, 0],
                    attributes: o.attrs,
                    value: o.value,
                  })),
                },
              ],
            },
          ],
        },
      }),
    };
    const w = worker(agg, '1', { metricProducers: [producer] });
    const sizes: number[] = [];
    const encoder = new CollectionEncoder();
    w.behaviour = (request, resourceMetrics) => {
      const message = encoder.encode(resourceMetrics, 'collection', request.id, request.full);
      sizes.push(message.values.length);
      return message;
    };
    const temps = async () =>
      Object.fromEntries(
        (metric(await agg.collect(EMPTY), 'app.temperature')?.dataPoints ?? []).map((p) => [
          String(p.attributes['http.route']),
          p.value,
        ]),
      );
    observed = [
      { value: 40, attrs: ROUTES[0] as Attributes },
      { value: 50, attrs: ROUTES[1] as Attributes },
    ];
    w.inst.count.add(1, ROUTES[0]);
    expect(await temps()).toEqual({ '/r0': 40, '/r1': 50 });
    expect(await temps()).toEqual({ '/r0': 40, '/r1': 50 });
    expect(sizes.at(-1)).toBe(0); // nothing changed: no numbers crossed
    observed = [{ value: 41, attrs: ROUTES[0] as Attributes }];
    expect(await temps()).toEqual({ '/r0': 41 });
    expect(sizes.at(-1)).toBe(2); // one id, one value
    observed = [
      { value: 41, attrs: ROUTES[0] as Attributes },
      { value: 50, attrs: ROUTES[1] as Attributes },
    ];
    expect(await temps()).toEqual({ '/r0': 41, '/r1': 50 });
    expect(point(metric(await agg.collect(EMPTY), 'app.requests'), ROUTES[0] as Attributes)).toBe(1);
  });
});

describe('cluster merge, exemplars', () => {
  const tracer = new TracerProvider().getTracer('test');
  const contextManager = new AsyncLocalStorageContextManager();
  const inSpan = (fn: () => void) =>
    tracer.startActiveSpan('op', (span) => {
      fn();
      span.end();
      return span.spanContext().spanId;
    });

  it('each bucket keeps the latest exemplar of any worker; a worker that leaves takes its exemplars along', async () => {
    context.setGlobalContextManager(contextManager.enable());
    try {
      const agg = aggregator();
      const [a, b] = [worker(agg, '1', { exemplars: true }), worker(agg, '2', { exemplars: true })];
      const aLow = inSpan(() => a.inst.hist.record(3, ROUTES[0]));
      await new Promise((r) => setTimeout(r, 5));
      const bLow = inSpan(() => b.inst.hist.record(4, ROUTES[0]));
      const aHigh = inSpan(() => a.inst.hist.record(20, ROUTES[0]));
      const bCount = inSpan(() => b.inst.count.add(2, ROUTES[0]));
      const exemplarsOf = (rm: ResourceMetrics, name: string) =>
        (
          metric(rm, name)?.dataPoints.find((p) => p.attributes['http.route'] === '/r0') as
            | { exemplars?: ({ spanId: string; value: number } | undefined)[] }
            | undefined
        )?.exemplars?.map((e) => e && [e.spanId, e.value]);
      let merged = await agg.collect(EMPTY);
      // Buckets of [1, 5, 10, 100]: 3 and 4 share (1, 5], b's is later; 20 is in (10, 100].
      expect(exemplarsOf(merged, 'app.latency')).toEqual([
        undefined,
        [bLow, 4],
        undefined,
        [aHigh, 20],
        undefined,
      ]);
      expect(exemplarsOf(merged, 'app.requests')).toEqual([[bCount, 2]]);
      expect(point<Histogram>(metric(merged, 'app.latency'), ROUTES[0] as Attributes)?.count).toBe(3);
      await b.leave();
      merged = await agg.collect(EMPTY);
      expect(exemplarsOf(merged, 'app.latency')).toEqual([
        undefined,
        [aLow, 3],
        undefined,
        [aHigh, 20],
        undefined,
      ]);
      expect(point<Histogram>(metric(merged, 'app.latency'), ROUTES[0] as Attributes)?.count).toBe(3);
    } finally {
      context.disable();
    }
  });

  it("the primary's endpoint serves the merge in every format: OpenMetrics with exemplars, native histograms over protobuf", async () => {
    context.setGlobalContextManager(contextManager.enable());
    try {
      const primary = registerMetrics({
        cluster: 'primary',
        prometheus: { server: false },
        exemplars: true,
        views: VIEWS,
        setGlobal: false,
        shutdownOnSignals: false,
        detectResources: false,
      });
      live.push(primary);
      const reader = primary.prometheus?.reader as ClusterPrometheusReader;
      const w = worker(reader.aggregator, '1', { exemplars: true });
      const own = instrumentsOf(primary.meterProvider);
      const ownSpan = inSpan(() => own.hist.record(0.5, ROUTES[0]));
      const workerSpan = inSpan(() => w.inst.hist.record(7, ROUTES[0]));
      for (const v of [0.75, 3, 1000]) own.exp.record(v, ROUTES[0]);
      for (const v of [2 ** -10, 3, 2 ** 20]) w.inst.exp.record(v, ROUTES[0]);

      const families = parseOpenMetrics((await primary.prometheus?.scrape('openmetrics')) ?? '');
      const buckets = families
        .get('app_latency_seconds')
        ?.samples.filter((x) => x.name === 'app_latency_seconds_bucket');
      expect(buckets?.map((x) => [x.labels.le, x.value, x.exemplar?.labels.span_id])).toEqual([
        ['1.0', 1, ownSpan],
        ['5.0', 1, undefined],
        ['10.0', 2, workerSpan],
        ['100.0', 2, undefined],
        ['+Inf', 2, undefined],
      ]);

      const { chunks } = await reader.scrape('protobuf');
      const size = decodeFamilies(Buffer.concat(chunks)).find((f) => f.name === 'app_size_bytes');
      const native = size?.metric?.[0]?.histogram;
      expect(native?.sampleCount).toBe(6);
      expect(native?.sampleSum).toBe(0.75 + 3 + 1000 + 2 ** -10 + 3 + 2 ** 20);
      const counts = [...nativeBuckets(native?.positiveSpan, native?.positiveDelta).values()];
      expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
    } finally {
      context.disable();
    }
  });
});

/** A collection without its timestamps, for comparing two of them. */
function strip(rm: ResourceMetrics): unknown {
  return rm.scopeMetrics.map((s) => ({
    scope: s.scope,
    metrics: s.metrics.map((m) => ({
      ...m,
      dataPoints: m.dataPoints.map((p) => ({ ...p, endTime: undefined })),
    })),
  }));
}
