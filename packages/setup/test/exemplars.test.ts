/**
 * Exemplars on the bound-series path, recorded inside spans of a real tracer
 * (`@opentelemetry/sdk-trace`'s TracerProvider) with the async-hooks context
 * manager, as an instrumented app would have them.
 */

import { type Context, context, type Span, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { TestMetricReader } from '@tokenmeter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoundMeterProvider } from '../src/bound/bound-meter-provider.js';
import { BoundRegistry } from '../src/bound/bound-registry.js';
import { type Exemplar, exemplarsOf } from '../src/exemplar.js';
import {
  type BoundHistogram,
  ConfigurationError,
  type MetricsHandle,
  registerMetrics,
} from '../src/index.js';
import { parseOpenMetrics } from './helpers/openmetrics-text.js';

const tracer = new TracerProvider().getTracer('test');
const unsampled = new TracerProvider({ sampler: new AlwaysOffSampler() }).getTracer('test');
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

function handle(exemplars = true): MetricsHandle {
  return registerMetrics({
    exporters: [],
    snapshot: true,
    exemplars,
    setGlobal: false,
    shutdownOnSignals: false,
    detectResources: false,
  });
}

/** Runs `fn` inside a new active span and returns the span's ids. */
function inSpan(fn: () => void, t = tracer): { traceId: string; spanId: string } {
  return t.startActiveSpan('op', (span: Span) => {
    try {
      fn();
    } finally {
      span.end();
    }
    const { traceId, spanId } = span.spanContext();
    return { traceId, spanId };
  });
}

async function points(h: MetricsHandle, name: string): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics } = await h.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === name);
  return metric?.dataPoints ?? [];
}

const ids = (e: Exemplar | undefined) =>
  e === undefined ? undefined : { traceId: e.traceId, spanId: e.spanId };

describe('exemplars (registerMetrics({ exemplars: true }))', () => {
  it('keeps the latest measurement per bucket recorded in a sampled span, with its trace and span id', async () => {
    const h = handle();
    const hist = h.meterProvider
      .getMeter('m')
      .createHistogram('latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
    const route = Object.freeze({ route: '/chat' });
    const before = Date.now();
    const first = inSpan(() => hist.record(0.5, route));
    const second = inSpan(() => hist.record(0.7, route));
    const overflow = inSpan(() => hist.record(5, route));
    hist.record(0.05, route); // no span: counted, no exemplar
    const after = Date.now();
    const [point] = await points(h, 'latency');
    expect((point?.value as Histogram | undefined)?.count).toBe(4);
    const exemplars = exemplarsOf(point as DataPoint<unknown>) ?? [];
    expect(exemplars).toHaveLength(3);
    expect(exemplars[0]).toBeUndefined();
    expect(ids(exemplars[1])).toEqual(second);
    expect(ids(exemplars[1])).not.toEqual(first);
    expect(exemplars[1]?.value).toBe(0.7);
    expect(ids(exemplars[2])).toEqual(overflow);
    expect(exemplars[2]?.value).toBe(5);
    for (const e of [exemplars[1], exemplars[2]]) {
      expect(e?.timeMs).toBeGreaterThanOrEqual(before);
      expect(e?.timeMs).toBeLessThanOrEqual(after);
    }
    await h.shutdown();
  });

  it('takes the context passed to record() over the active one, and bound series the active one', async () => {
    const h = handle();
    const hist = h.meterProvider
      .getMeter('m')
      .createHistogram('h', { advice: { explicitBucketBoundaries: [10] } });
    const other = tracer.startSpan('other');
    const passed = trace.setSpan(context.active(), other);
    inSpan(() => hist.record(1, {}, passed));
    const series = (hist as BoundHistogram).bind({ bound: 'yes' });
    const active = inSpan(() => series.record(20));
    const [plain, bound] = await points(h, 'h');
    expect(ids(exemplarsOf(plain as DataPoint<unknown>)?.[0])).toEqual({
      traceId: other.spanContext().traceId,
      spanId: other.spanContext().spanId,
    });
    expect(ids(exemplarsOf(bound as DataPoint<unknown>)?.[1])).toEqual(active);
    other.end();
    await h.shutdown();
  });

  it('keeps none from unsampled spans, outside spans, for rejected values or a context that is not one', async () => {
    const h = handle();
    const meter = h.meterProvider.getMeter('m');
    const hist = meter.createHistogram('h');
    const counter = meter.createCounter('c');
    inSpan(() => {
      hist.record(1);
      counter.add(1);
    }, unsampled);
    hist.record(2);
    counter.add(2);
    inSpan(() => {
      hist.record(-1);
      hist.record(Number.NaN);
      counter.add(-5);
      // A caller passing something else as the context: no exemplar, no exception.
      expect(() => hist.record(3, {}, {} as unknown as Context)).not.toThrow();
      expect(() => counter.add(3, {}, 'x' as unknown as Context)).not.toThrow();
    });
    for (const name of ['h', 'c']) {
      const [point] = await points(h, name);
      expect(point).toBeDefined();
      expect(exemplarsOf(point as DataPoint<unknown>)).toBeUndefined();
    }
    await h.shutdown();
  });

  it('keeps one per counter series, and none for up-down counters and gauges (gauges to Prometheus)', async () => {
    const h = handle();
    const meter = h.meterProvider.getMeter('m');
    const counter = meter.createCounter('requests');
    const upDown = meter.createUpDownCounter('in_flight');
    const gauge = meter.createGauge('temperature');
    inSpan(() => counter.add(1, { a: '1' }));
    const latest = inSpan(() => {
      counter.add(2, { a: '1' });
      upDown.add(1);
      gauge.record(5);
    });
    const [point] = await points(h, 'requests');
    expect(point?.value).toBe(3);
    expect(exemplarsOf(point as DataPoint<unknown>)?.map(ids)).toEqual([latest]);
    expect(exemplarsOf(point as DataPoint<unknown>)?.[0]?.value).toBe(2);
    for (const name of ['in_flight', 'temperature']) {
      const [p] = await points(h, name);
      expect(exemplarsOf(p as DataPoint<unknown>)).toBeUndefined();
    }
    await h.shutdown();
  });

  it('stays bounded: at most one exemplar per bucket however many spans record', async () => {
    const h = handle();
    const hist = h.meterProvider
      .getMeter('m')
      .createHistogram('h', { advice: { explicitBucketBoundaries: [1, 2, 3] } });
    let last: { traceId: string; spanId: string } | undefined;
    for (let i = 0; i < 2000; i++) last = inSpan(() => hist.record(i % 5, { k: 'v' }));
    const [point] = await points(h, 'h');
    const exemplars = exemplarsOf(point as DataPoint<unknown>) ?? [];
    expect(exemplars).toHaveLength(4);
    expect(exemplars.every((e) => e !== undefined)).toBe(true);
    // The last record (1999 % 5 = 4) went to the overflow bucket.
    expect(ids(exemplars[3])).toEqual(last);
    await h.shutdown();
  });

  it('gives a delta reader only the exemplars recorded since its last collection', async () => {
    const registry = new BoundRegistry({ cardinalityLimit: 100, exemplars: true });
    const producer = registry.producer();
    const reader = new TestMetricReader({
      temporality: AggregationTemporality.DELTA,
      metricProducers: [producer],
    });
    producer.attach(reader);
    const provider = new BoundMeterProvider({ readers: [reader] }, registry);
    const hist = provider.getMeter('m').createHistogram('h', { advice: { explicitBucketBoundaries: [1] } });
    inSpan(() => hist.record(0.5));
    const first = await reader.collect();
    const p1 = first.resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints[0];
    expect(exemplarsOf(p1 as DataPoint<unknown>)?.[0]).toBeDefined();
    // Usually within the same millisecond as the first collection: told apart by record count.
    const late = inSpan(() => hist.record(5));
    const second = await reader.collect();
    const p2 = second.resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints[0];
    expect(exemplarsOf(p2 as DataPoint<unknown>)?.map(ids)).toEqual([undefined, late]);
    // Nothing new: no point, so no exemplars either.
    const third = await reader.collect();
    expect(third.resourceMetrics.scopeMetrics).toEqual([]);
    await provider.shutdown();
  });

  it('writes them into OpenMetrics scrapes', async () => {
    const h = registerMetrics({
      exemplars: true,
      prometheus: { server: false },
      setGlobal: false,
      shutdownOnSignals: false,
      detectResources: false,
    });
    const meter = h.meterProvider.getMeter('m');
    const hist = meter.createHistogram('rpc.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 1] },
    });
    const counter = meter.createCounter('rpc.calls');
    const span = inSpan(() => {
      hist.record(0.25, { method: 'chat' });
      counter.add(1, { method: 'chat' });
    });
    const families = parseOpenMetrics((await h.prometheus?.scrape('openmetrics')) ?? '');
    const bucket = families.get('rpc_duration_seconds')?.samples.find((s) => s.labels.le === '1.0');
    expect(bucket?.exemplar).toEqual({
      labels: { trace_id: span.traceId, span_id: span.spanId },
      value: 0.25,
      timestamp: expect.any(Number),
    });
    const total = families.get('rpc_calls')?.samples.find((s) => s.name === 'rpc_calls_total');
    expect(total?.exemplar?.labels).toEqual({ trace_id: span.traceId, span_id: span.spanId });
    // The text format 0.0.4 has no exemplars.
    expect(await h.prometheus?.scrape()).not.toContain('trace_id');
    await h.shutdown();
  });

  it('is off by default: the plain record path, no exemplars field', async () => {
    const h = handle(false);
    const hist = h.meterProvider.getMeter('m').createHistogram('h');
    inSpan(() => hist.record(1));
    expect(hist.constructor.name).toBe('BoundHistogram');
    const [point] = await points(h, 'h');
    expect(point).not.toHaveProperty('exemplars');
    await h.shutdown();
  });

  it('is configured by option or TOKENMETER_EXEMPLARS, and refuses to run without the bound-series path', () => {
    const base = { exporters: [] as [], setGlobal: false, shutdownOnSignals: false, detectResources: false };
    const fromEnv = registerMetrics({ ...base, env: { TOKENMETER_EXEMPLARS: 'true' } });
    expect(fromEnv.config.exemplars).toBe(true);
    void fromEnv.shutdown();
    const codeWins = registerMetrics({ ...base, exemplars: false, env: { TOKENMETER_EXEMPLARS: 'true' } });
    expect(codeWins.config.exemplars).toBe(false);
    void codeWins.shutdown();
    expect(() => registerMetrics({ ...base, env: { TOKENMETER_EXEMPLARS: 'yes' } })).toThrow(
      /TOKENMETER_EXEMPLARS="yes": expected "true" or "false"/,
    );
    expect(() => registerMetrics({ ...base, exemplars: true, boundSeries: false })).toThrow(
      ConfigurationError,
    );
    expect(() =>
      registerMetrics({ ...base, env: { TOKENMETER_EXEMPLARS: 'true', TOKENMETER_BOUND_SERIES: 'false' } }),
    ).toThrow(/TOKENMETER_EXEMPLARS.*bound-series path is off/);
    expect(() => registerMetrics({ ...base, exemplars: 'yes' as unknown as boolean })).toThrow(
      ConfigurationError,
    );
  });
});
