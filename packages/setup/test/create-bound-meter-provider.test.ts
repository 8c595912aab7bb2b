// createBoundMeterProvider(): the bound-series path with readers the
// application builds itself. Real parts: the OTLP/HTTP protobuf exporter
// posting to a local receiver that decodes the body, and the stock
// @opentelemetry/exporter-prometheus serving its text over real HTTP.
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  DataPointType,
  MeterProvider,
  type MetricReader,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { describe, expect, it, vi } from 'vitest';
import {
  ConfigurationError,
  createBoundMeterProvider,
  PrometheusReader,
  type ReaderFactory,
} from '../src/index.js';
import {
  checkCheckout,
  cleanupAfterEach,
  collectionShape,
  hasBind,
  receiver,
  recordMixedWorkload,
  serve,
} from './helpers/bound-provider.js';

const defer = cleanupAfterEach();

describe('createBoundMeterProvider', () => {
  it("hands the bound series to each reader the app built, with that reader's temporality", async () => {
    const otlp = await receiver(defer);
    let prometheus: PrometheusExporter | undefined;
    const provider = createBoundMeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'own-readers' }),
      readers: [
        (metricProducers) =>
          new PeriodicExportingMetricReader({
            exporter: new OTLPMetricExporter({
              url: `${otlp.url}/v1/metrics`,
              temporalityPreference: AggregationTemporalityPreference.DELTA,
            }),
            exportIntervalMillis: 60_000,
            metricProducers,
          }),
        (metricProducers) => {
          prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers });
          return prometheus;
        },
      ],
    });
    defer(() => provider.shutdown());
    expect(provider).toBeInstanceOf(MeterProvider);
    await checkCheckout(
      provider,
      () => provider.forceFlush(),
      otlp,
      'own-readers',
      async () => {
        if (!prometheus) throw new Error('the Prometheus reader factory did not run');
        return serve(prometheus, defer);
      },
    );
  });

  it("serves setup's own PrometheusReader as one of the app's readers, exemplars included", async () => {
    let prometheus: PrometheusReader | undefined;
    const provider = createBoundMeterProvider({
      exemplars: true,
      readers: [(metricProducers) => (prometheus = new PrometheusReader({ metricProducers }))],
    });
    defer(() => provider.shutdown());
    const latency = provider.getMeter('chat-api').createHistogram('http.server.request.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.5, 1] },
    });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spanId = 'b7ad6b7169203331';
    const sampled = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
    latency.record(0.42, Object.freeze({ 'http.route': '/chat' }), sampled);
    const scrape = await prometheus?.scrape('openmetrics');
    const text = Buffer.concat(scrape?.chunks ?? []).toString();
    scrape?.release();
    expect(text).toContain(
      `http_server_request_duration_seconds_bucket{http_route="/chat",otel_scope_name="chat-api",le="0.5"} 1 # {trace_id="${traceId}",span_id="${spanId}"} 0.42`,
    );
  });

  it('records exactly what the stock SDK provider records', async () => {
    const stockReader = new TestMetricReader();
    const stock = new MeterProvider({ readers: [stockReader] });
    let boundReader: MetricReader | undefined;
    const bound = createBoundMeterProvider({
      readers: [(metricProducers) => (boundReader = new TestMetricReader({ metricProducers }))],
    });
    for (const provider of [stock, bound]) recordMixedWorkload(provider);
    const [a, b] = await Promise.all([stockReader.collect(), boundReader?.collect()]);
    expect(collectionShape(b)).toEqual(collectionShape(a));
    expect(collectionShape(a)?.map((m) => m.points.length)).toEqual([12, 12, 12]);
    await Promise.all([stock.shutdown(), bound.shutdown()]);
  });

  it("keeps a reader's lower cardinality limit for the life of the instrument", async () => {
    let reader: MetricReader | undefined;
    const provider = createBoundMeterProvider({
      readers: [
        (metricProducers) => (reader = new TestMetricReader({ metricProducers, cardinalityLimit: 3 })),
      ],
    });
    const counter = provider.getMeter('m').createCounter('c');
    for (let i = 0; i < 5; i++) counter.add(1, { user_tier: `t${i}` });
    const { resourceMetrics } = (await reader?.collect()) ?? { resourceMetrics: undefined };
    const points = resourceMetrics?.scopeMetrics[0]?.metrics[0]?.dataPoints ?? [];
    expect(points.map((p) => [p.attributes, p.value])).toEqual([
      [{ user_tier: 't0' }, 1],
      [{ user_tier: 't1' }, 1],
      [{ 'otel.metric.overflow': true }, 3],
    ]);
    await provider.shutdown();
  });

  it('leaves an instrument a view selects to the SDK, with the view applied', async () => {
    let reader: MetricReader | undefined;
    const provider = createBoundMeterProvider({
      views: [{ instrumentName: 'latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
      readers: [(metricProducers) => (reader = new TestMetricReader({ metricProducers }))],
    });
    const meter = provider.getMeter('m');
    const viewed = meter.createHistogram('latency');
    const plain = meter.createHistogram('size');
    expect(hasBind(viewed)).toBe(false);
    expect(hasBind(plain)).toBe(true);
    viewed.record(3);
    plain.record(3);
    const metrics = (await reader?.collect())?.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    const typeOf = (name: string) => metrics.find((m) => m.descriptor.name === name)?.dataPointType;
    expect(typeOf('latency')).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
    expect(typeOf('size')).toBe(DataPointType.HISTOGRAM);
    await provider.shutdown();
  });

  it('refuses readers it cannot feed and bad limits with a ConfigurationError', () => {
    const settingOf = (options: Parameters<typeof createBoundMeterProvider>[0]): string => {
      try {
        createBoundMeterProvider(options);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).setting;
      }
      throw new Error('no error thrown');
    };
    const ok: ReaderFactory = (metricProducers) => new TestMetricReader({ metricProducers });
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong types, as from JavaScript
    const loose = (o: unknown) => o as any;
    expect(settingOf(loose({ readers: [ok, 'reader'] }))).toBe('readers[1]');
    expect(settingOf(loose({ readers: [() => ({})] }))).toBe('readers[0]');
    // A reader built without the producers it was given would never see a bound series.
    expect(settingOf({ readers: [() => new TestMetricReader()] })).toBe('readers[0]');
    expect(settingOf(loose({ readers: ok }))).toBe('readers');
    expect(settingOf({ cardinalityLimit: 0 })).toBe('cardinalityLimit');
    expect(settingOf({ cardinalityLimit: 1.5 })).toBe('cardinalityLimit');
    expect(settingOf(loose({ views: {} }))).toBe('views');
    expect(settingOf(loose({ exemplars: 'yes' }))).toBe('exemplars');
  });

  it('shuts down the readers already built when a later one is refused', () => {
    const shutdowns: unknown[] = [];
    const readers: ReaderFactory[] = [
      (metricProducers) => {
        const reader = new TestMetricReader({ metricProducers });
        vi.spyOn(reader, 'shutdown').mockImplementation(async () => {
          shutdowns.push(reader);
        });
        return reader;
      },
      () => null as unknown as MetricReader,
    ];
    expect(() => createBoundMeterProvider({ readers })).toThrow(ConfigurationError);
    expect(shutdowns).toHaveLength(1);
    // The SDK's own refusal too: a view it cannot build.
    expect(() =>
      createBoundMeterProvider({ readers: readers.slice(0, 1), views: [{ name: 'renamed' }] }),
    ).toThrow(/no selector/);
    expect(shutdowns).toHaveLength(2);
  });
});
