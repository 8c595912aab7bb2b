// bindMeterProvider(): the bound-series path on a provider that was built
// without us. Real parts: the SDK's own MeterProvider and readers, the
// OTLP/HTTP protobuf exporter posting to a local receiver that decodes the
// body, and the stock @opentelemetry/exporter-prometheus served over HTTP.
import { type MeterProvider as ApiMeterProvider, diag, metrics } from '@opentelemetry/api';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  DataPointType,
  InstrumentType,
  MeterProvider,
  type MetricProducer,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { describe, expect, it } from 'vitest';
import { bindMeterProvider, ConfigurationError, registerMetrics } from '../src/index.js';
import {
  checkCheckout,
  cleanupAfterEach,
  collectionShape,
  hasBind,
  receiver,
  recordMixedWorkload,
  serve,
} from './helpers/bound-provider.js';
import { captureWarnings } from './helpers/diag.js';
import { findMetric } from './helpers/otlp-receiver.js';

const defer = cleanupAfterEach();

function pointsOf(rm: ResourceMetrics | undefined, name: string) {
  const metric = rm?.scopeMetrics.flatMap((sm) => sm.metrics).find((m) => m.descriptor.name === name);
  return metric?.dataPoints.map((p) => [p.attributes, p.value]) ?? [];
}

describe('bindMeterProvider', () => {
  it("puts an app's own stock provider on the bound path, each reader with its own temporality", async () => {
    const otlp = await receiver(defer);
    const prometheus = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'bound-later' }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({
            url: `${otlp.url}/v1/metrics`,
            temporalityPreference: AggregationTemporalityPreference.DELTA,
          }),
          exportIntervalMillis: 60_000,
        }),
        prometheus,
      ],
    });
    defer(() => provider.shutdown());
    const bound = bindMeterProvider(provider);
    // The provider's own meters are untouched: the app's other instruments stay the SDK's.
    expect(hasBind(provider.getMeter('checkout').createCounter('other'))).toBe(false);
    await checkCheckout(
      bound,
      () => provider.forceFlush(),
      otlp,
      'bound-later',
      () => serve(prometheus, defer),
    );
  });

  it('records exactly what the same provider records unbound', async () => {
    const stockReader = new TestMetricReader();
    const stock = new MeterProvider({ readers: [stockReader] });
    const boundReader = new TestMetricReader();
    const unbound = new MeterProvider({ readers: [boundReader] });
    const bound = bindMeterProvider(unbound);
    for (const provider of [stock, bound]) recordMixedWorkload(provider);
    const [a, b] = await Promise.all([stockReader.collect(), boundReader.collect()]);
    expect(collectionShape(b)).toEqual(collectionShape(a));
    expect(collectionShape(a)?.map((m) => m.points.length)).toEqual([12, 12, 12]);
    await Promise.all([stock.shutdown(), unbound.shutdown()]);
  });

  it("leaves to the SDK what the provider's views select, and applies them", async () => {
    const reader = new TestMetricReader();
    const provider = new MeterProvider({
      readers: [reader],
      views: [
        { instrumentName: 'app.latency', name: 'app.latency.renamed' },
        // Selects by meter: another meter's instruments of any name stay bound.
        { instrumentName: '*', meterName: 'legacy', attributesProcessors: [] },
      ],
    });
    const bound = bindMeterProvider(provider);
    const meter = bound.getMeter('app');
    const latency = meter.createHistogram('app.latency');
    const hits = meter.createCounter('app.hits');
    const legacy = bound.getMeter('legacy').createCounter('old.hits');
    expect(hasBind(latency)).toBe(false);
    expect(hasBind(hits)).toBe(true);
    expect(hasBind(legacy)).toBe(false);
    latency.record(5, { a: 'x' });
    hits.add(2, { a: 'x' });
    legacy.add(4, { a: 'x' });
    const { resourceMetrics } = await reader.collect();
    expect(pointsOf(resourceMetrics, 'app.latency')).toEqual([]);
    expect(pointsOf(resourceMetrics, 'app.latency.renamed')).toHaveLength(1);
    expect(pointsOf(resourceMetrics, 'app.hits')).toEqual([[{ a: 'x' }, 2]]);
    expect(pointsOf(resourceMetrics, 'old.hits')).toEqual([[{ a: 'x' }, 4]]);
    await provider.shutdown();
  });

  it("leaves to the SDK what a reader aggregates other than by default, and keeps the reader's limit", async () => {
    const reader = new TestMetricReader({
      aggregationSelector: (type) =>
        type === InstrumentType.HISTOGRAM
          ? { type: AggregationType.EXPONENTIAL_HISTOGRAM }
          : { type: AggregationType.DEFAULT },
      cardinalityLimit: 3,
    });
    const provider = new MeterProvider({ readers: [reader] });
    const bound = bindMeterProvider(provider);
    const meter = bound.getMeter('m');
    const h = meter.createHistogram('h');
    const c = meter.createCounter('c');
    expect(hasBind(h)).toBe(false);
    expect(hasBind(c)).toBe(true);
    h.record(3);
    for (let i = 0; i < 5; i++) c.add(1, { tier: `t${i}` });
    const { resourceMetrics } = await reader.collect();
    const metricsOut = resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics);
    expect(metricsOut.find((m) => m.descriptor.name === 'h')?.dataPointType).toBe(
      DataPointType.EXPONENTIAL_HISTOGRAM,
    );
    expect(pointsOf(resourceMetrics, 'c')).toEqual([
      [{ tier: 't0' }, 1],
      [{ tier: 't1' }, 1],
      [{ 'otel.metric.overflow': true }, 3],
    ]);
    await provider.shutdown();
  });

  it("keeps the app's own producers, and binds a provider once however often it is asked", async () => {
    const mine: MetricProducer = {
      collect: async () => ({
        resourceMetrics: { resource: resourceFromAttributes({}), scopeMetrics: [] },
        errors: [],
      }),
    };
    const producers = [mine];
    const reader = new TestMetricReader({ metricProducers: producers });
    const provider = new MeterProvider({ readers: [reader] });
    const first = bindMeterProvider(provider);
    expect(bindMeterProvider(provider)).toBe(first);
    expect(bindMeterProvider(first)).toBe(first);
    expect(producers).toEqual([mine]);
    first.getMeter('m').createCounter('c').add(1, { k: 'v' });
    const { resourceMetrics } = await reader.collect();
    // One producer of ours: the series once, not twice.
    expect(resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics).map((m) => m.descriptor.name)).toEqual([
      'c',
    ]);
    expect(pointsOf(resourceMetrics, 'c')).toEqual([[{ k: 'v' }, 1]]);
    await provider.shutdown();
  });

  it('exports the bound series in the final collection of shutdown', async () => {
    const otlp = await receiver(defer);
    const provider = new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${otlp.url}/v1/metrics` }),
          exportIntervalMillis: 60_000,
        }),
      ],
    });
    const bound = bindMeterProvider(provider);
    bound.getMeter('m').createCounter('jobs.done').add(7, { queue: 'a' });
    // Through the bound view, as code that shuts down whatever the global provider is would.
    await (bound as unknown as { shutdown(): Promise<void> }).shutdown();
    const last = otlp.requests.at(-1)?.body;
    const p = last && findMetric(last, 'jobs.done')?.sum?.dataPoints[0];
    expect(Number(p?.asDouble ?? p?.asInt)).toBe(7);
    // After shutdown the provider hands out no-op meters, and so does the bound one.
    expect(hasBind(bound.getMeter('m').createCounter('late'))).toBe(false);
  });

  it("returns setup's own providers as they are", async () => {
    const handle = registerMetrics({ exporters: [], setGlobal: false, shutdownOnSignals: false });
    defer(() => handle.shutdown());
    expect(bindMeterProvider(handle.meterProvider)).toBe(handle.meterProvider);
  });

  it('refuses what it cannot bind at configuration time, with the setting named', () => {
    expect(() => bindMeterProvider(undefined as unknown as ApiMeterProvider)).toThrow(
      /Invalid provider=undefined: expected a MeterProvider/,
    );
    const stock = new MeterProvider();
    expect(() => bindMeterProvider(stock, { cardinalityLimit: 1 })).toThrow(/cardinalityLimit=1/);
    expect(() => bindMeterProvider(stock, { exemplars: 'yes' as unknown as boolean })).toThrow(
      ConfigurationError,
    );
  });

  it('gives back a provider it cannot bind, and says why', async () => {
    const seen = captureWarnings();
    defer(async () => diag.disable());
    // A provider that is not the SDK's: some wrapper of one.
    const inner = new MeterProvider({ readers: [new TestMetricReader()] });
    const wrapper: ApiMeterProvider = { getMeter: (...args) => inner.getMeter(...args) };
    expect(bindMeterProvider(wrapper)).toBe(wrapper);
    // A reader that implements IMetricReader itself and takes no producer.
    const selfMade = {
      setMetricProducer: () => {},
      selectAggregation: () => ({ type: AggregationType.DEFAULT }),
      selectAggregationTemporality: () => 1,
      selectCardinalityLimit: () => 2000,
      collect: async () => ({
        resourceMetrics: { resource: resourceFromAttributes({}), scopeMetrics: [] },
        errors: [],
      }),
      shutdown: async () => {},
      forceFlush: async () => {},
    };
    const withOwnReader = new MeterProvider({ readers: [selfMade as never] });
    expect(bindMeterProvider(withOwnReader)).toBe(withOwnReader);
    // Nothing registered yet (NodeSDK not started, or OTEL_METRICS_EXPORTER=none): the API's
    // no-op provider. Turning metrics off must not stop the app, so it is a warning too.
    metrics.disable();
    const noop = metrics.getMeterProvider();
    expect(bindMeterProvider(noop)).toBe(noop);
    expect(seen).toEqual([
      expect.stringContaining('not an OpenTelemetry JS SDK 3.x MeterProvider'),
      expect.stringContaining('its reader 0 is not an SDK MetricReader'),
      expect.stringMatching(/no-op MeterProvider .*bind after NodeSDK\.start\(\)/),
    ]);
    await Promise.all([inner.shutdown(), withOwnReader.shutdown()]);
  });
});
