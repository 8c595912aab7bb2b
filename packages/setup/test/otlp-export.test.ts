import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DiagLogLevel, diag, ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadlineError, ExportError } from '../src/errors.js';
import { temporalityFor } from '../src/otlp-exporter.js';
import { type MetricsHandle, registerMetrics } from '../src/register-metrics.js';
import {
  attributesOf,
  findMetric,
  OTLP_TEMPORALITY,
  type OtlpReceiver,
  resourceOf,
  startOtlpReceiver,
} from './helpers/otlp-receiver.js';
import { closedPort } from './helpers/ports.js';

const D = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  // Reverse order: shut handles down while their receivers still listen.
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function receiver(options?: Parameters<typeof startOtlpReceiver>[0]): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver(options);
  cleanup.push(() => r.close());
  return r;
}
function register(options: Parameters<typeof registerMetrics>[0]): MetricsHandle {
  const h = registerMetrics({ setGlobal: false, shutdownOnSignals: false, env: {}, ...options });
  cleanup.push(() => h.shutdown({ timeoutMillis: 1000 }));
  return h;
}
/** Every diagnostic at WARN and above from now until the test ends, as `level: message`. */
function captureDiag(): string[] {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string): void => {
      lines.push(`${level}: ${message}`);
    };
  diag.setLogger(
    { error: at('error'), warn: at('warn'), info: () => {}, debug: () => {}, verbose: () => {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  cleanup.push(async () => diag.disable());
  return lines;
}

function record(h: MetricsHandle): void {
  const meter = h.meterProvider.getMeter('tokenmeter-test', '0.1.0');
  meter
    .createHistogram('gen_ai.client.operation.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: D },
    })
    .record(0.05, { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'server.port': 443 });
  meter.createCounter('app.requests', { unit: '{request}' }).add(3, { route: '/chat' });
}

describe.each(['http/protobuf', 'http/json'] as const)('OTLP %s', (protocol) => {
  it('delivers names, units, attributes, buckets, temporality and resource to a real receiver', async () => {
    const r = await receiver();
    const h = register({
      serviceName: 'chat-api',
      serviceVersion: '1.4.2',
      exporters: ['otlp'],
      otlp: { endpoint: r.url, protocol, intervalMillis: 3_600_000 },
    });
    record(h);
    await h.forceFlush();
    const req = await r.waitFor(() => true);
    expect(req.path).toBe('/v1/metrics');
    expect(req.contentType).toBe(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');

    const resource = resourceOf(req.body);
    expect(resource['service.name']).toBe('chat-api');
    expect(resource['service.version']).toBe('1.4.2');
    expect(typeof resource['service.instance.id']).toBe('string');
    expect(resource['process.command_args']).toBeUndefined();
    expect(req.body.resourceMetrics[0]?.scopeMetrics[0]?.scope?.name).toBe('tokenmeter-test');

    const duration = findMetric(req.body, 'gen_ai.client.operation.duration');
    expect(duration?.unit).toBe('s');
    expect(duration?.histogram?.aggregationTemporality).toBe(OTLP_TEMPORALITY.CUMULATIVE);
    const point = duration?.histogram?.dataPoints[0];
    expect(point?.explicitBounds).toEqual(D);
    expect(point?.bucketCounts.map(Number)).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Number(point?.count)).toBe(1);
    expect(point?.sum).toBeCloseTo(0.05, 12);
    expect(attributesOf(point?.attributes)).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'server.port': 443,
    });

    const counter = findMetric(req.body, 'app.requests');
    expect(counter?.unit).toBe('{request}');
    expect(counter?.sum?.isMonotonic).toBe(true);
    expect(counter?.sum?.aggregationTemporality).toBe(OTLP_TEMPORALITY.CUMULATIVE);
    expect(counter?.sum?.dataPoints[0]?.asDouble).toBe(3);
  });
});

describe('OTLP settings from the environment', () => {
  it('OTEL_METRICS_EXPORTER, endpoint, protocol, headers, gzip and delta temporality', async () => {
    const r = await receiver();
    const h = register({
      env: {
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: r.url,
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D%3D',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
        OTEL_METRIC_EXPORT_INTERVAL: '3600000',
        OTEL_SERVICE_NAME: 'env-service',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,team=ml%20infra',
      },
    });
    expect(h.exporters).toEqual(['otlp']);
    const c = h.meterProvider.getMeter('m').createCounter('delta.counter');
    c.add(5);
    await h.forceFlush();
    c.add(2);
    await h.forceFlush();
    expect(r.requests).toHaveLength(2);
    const [first, second] = r.requests;
    expect(first?.encoding).toBe('gzip');
    expect(first?.headers['x-api-key']).toBe('abc==');
    expect(resourceOf(first?.body as never)).toMatchObject({
      'service.name': 'env-service',
      'deployment.environment.name': 'staging',
      team: 'ml infra',
    });
    const m1 = findMetric(first?.body as never, 'delta.counter');
    const m2 = findMetric(second?.body as never, 'delta.counter');
    expect(m1?.sum?.aggregationTemporality).toBe(OTLP_TEMPORALITY.DELTA);
    expect(m1?.sum?.dataPoints[0]?.asDouble).toBe(5);
    expect(m2?.sum?.dataPoints[0]?.asDouble).toBe(2);
  });
});

describe('flush and shutdown report failure instead of pretending', () => {
  it('collector down: forceFlush rejects with ExportError naming the exporter', async () => {
    const port = await closedPort();
    const h = register({
      exporters: ['otlp'],
      otlp: { endpoint: `http://127.0.0.1:${port}`, timeoutMillis: 300, intervalMillis: 3_600_000 },
    });
    h.meterProvider.getMeter('m').createCounter('c').add(1);
    const error = await h.forceFlush({ timeoutMillis: 5000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).failures.map((f) => f.exporter)).toEqual(['otlp']);
  });

  it('a failing push is visible on the Prometheus endpoint (otel.sdk.exporter.* self-metrics)', async () => {
    const port = await closedPort();
    const h = register({
      exporters: ['prometheus', 'otlp'],
      prometheus: { port: 0 },
      otlp: { endpoint: `http://127.0.0.1:${port}`, timeoutMillis: 300, intervalMillis: 3_600_000 },
    });
    h.meterProvider.getMeter('m').createCounter('c').add(1);
    await h.forceFlush().catch(() => {});
    const body = (await h.prometheus?.scrape()) as string;
    // Semconv: otel.sdk.exporter.metric_data_point.exported, unit {metric_data_point}, error.type on failure.
    const failed = body
      .split('\n')
      .find(
        (l) =>
          l.startsWith('otel_sdk_exporter_metric_data_point_exported_total{') && l.includes('error_type='),
      );
    expect(failed, body).toBeDefined();
    expect(Number(failed?.split(' ').pop())).toBeGreaterThan(0);
  });

  it('collector down: shutdown resolves, returns the ExportError and logs it once (no SDK stack trace, no meter warning)', async () => {
    const port = await closedPort();
    const logged = captureDiag();
    const h = register({
      exporters: ['otlp'],
      otlp: { endpoint: `http://127.0.0.1:${port}`, timeoutMillis: 300, intervalMillis: 3_600_000 },
    });
    h.meterProvider.getMeter('m').createCounter('c').add(1);
    const { error } = await h.shutdown({ timeoutMillis: 5000 });
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).failures.map((f) => f.exporter)).toEqual(['otlp']);
    expect(logged).toEqual([
      expect.stringMatching(/^error: tokenmeter shutdown failed for otlp \(.*ECONNREFUSED/),
    ]);
    expect(await h.shutdown()).toEqual({ error }); // idempotent: the same result
  });

  it('collector hangs: shutdown respects its deadline and says so', async () => {
    const hanging = createServer(() => {});
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          hanging.close(() => r());
          hanging.closeAllConnections();
        }),
    );
    const port = (hanging.address() as AddressInfo).port;
    const h = register({
      exporters: ['otlp'],
      otlp: { endpoint: `http://127.0.0.1:${port}`, timeoutMillis: 10_000, intervalMillis: 3_600_000 },
    });
    h.meterProvider.getMeter('m').createCounter('c').add(1);
    const started = performance.now();
    const logged = captureDiag();
    const { error } = await h.shutdown({ timeoutMillis: 400 });
    expect(error).toBeInstanceOf(DeadlineError);
    expect(logged).toEqual([
      expect.stringMatching(/^error: tokenmeter shutdown did not finish within 400 ms/),
    ]);
    // Generous upper bound: the point is "about the deadline", not the SDK's ~10 s.
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('collector rejects an export (HTTP 400), then recovers: the next flush carries the exact cumulative total', async () => {
    const r = await receiver({ status: 400 });
    const h = register({
      exporters: ['otlp'],
      otlp: { endpoint: r.url, protocol: 'http/json', intervalMillis: 3_600_000 },
    });
    const c = h.meterProvider.getMeter('m').createCounter('recover');
    c.add(4);
    await expect(h.forceFlush()).rejects.toBeInstanceOf(ExportError);
    await r.close();
    const ok = await startOtlpReceiver({ port: r.port });
    cleanup.push(() => ok.close());
    c.add(6);
    await h.forceFlush();
    expect(findMetric(ok.requests[0]?.body as never, 'recover')?.sum?.dataPoints[0]?.asDouble).toBe(10);
  });
});

describe('external metric producers', () => {
  it('reach both the Prometheus scrape and the OTLP export', async () => {
    const r = await receiver();
    const producer: MetricProducer = {
      collect: async () => ({
        resourceMetrics: {
          resource: resourceFromAttributes({}),
          scopeMetrics: [
            {
              scope: { name: 'bridge' },
              metrics: [
                {
                  descriptor: {
                    name: 'vllm.num_requests_running',
                    description: '',
                    unit: '',
                    valueType: ValueType.DOUBLE,
                  },
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPointType: DataPointType.GAUGE,
                  dataPoints: [
                    { startTime: [0, 0], endTime: [1, 0], attributes: { model_name: 'llama' }, value: 3 },
                  ],
                },
              ],
            },
          ],
        },
        errors: [],
      }),
    };
    const h = register({
      exporters: ['prometheus', 'otlp'],
      metricProducers: [producer],
      prometheus: { port: 0 },
      otlp: { endpoint: r.url, protocol: 'http/json', intervalMillis: 3_600_000 },
    });
    expect(await h.prometheus?.scrape()).toMatch(
      /^vllm_num_requests_running\{[^}]*model_name="llama"[^}]*\} 3$/m,
    );
    await h.forceFlush();
    const m = findMetric(r.requests[0]?.body as never, 'vllm.num_requests_running');
    expect(m?.gauge?.dataPoints[0]?.asDouble).toBe(3);
  });
});

describe('OTLP temporality preferences', () => {
  // The spec's table, written out: delta keeps up-down counters cumulative;
  // lowmemory makes only synchronous counters and histograms delta.
  const D = AggregationTemporality.DELTA;
  const C = AggregationTemporality.CUMULATIVE;
  it.each([
    ['delta', InstrumentType.COUNTER, D],
    ['delta', InstrumentType.OBSERVABLE_COUNTER, D],
    ['delta', InstrumentType.HISTOGRAM, D],
    ['delta', InstrumentType.GAUGE, D],
    ['delta', InstrumentType.UP_DOWN_COUNTER, C],
    ['delta', InstrumentType.OBSERVABLE_UP_DOWN_COUNTER, C],
    ['lowmemory', InstrumentType.COUNTER, D],
    ['lowmemory', InstrumentType.HISTOGRAM, D],
    ['lowmemory', InstrumentType.OBSERVABLE_COUNTER, C],
    ['lowmemory', InstrumentType.UP_DOWN_COUNTER, C],
    ['lowmemory', InstrumentType.OBSERVABLE_GAUGE, C],
    ['cumulative', InstrumentType.COUNTER, C],
    ['cumulative', InstrumentType.HISTOGRAM, C],
  ] as const)('%s: %s → %s', (preference, type, expected) => {
    expect(temporalityFor(preference, type)).toBe(expected);
  });

  it('lowmemory over the wire: a counter arrives as delta, an up-down counter as cumulative', async () => {
    const r = await receiver();
    const h = register({
      exporters: ['otlp'],
      otlp: { endpoint: r.url, protocol: 'http/json', temporality: 'lowmemory', intervalMillis: 3_600_000 },
    });
    const meter = h.meterProvider.getMeter('m');
    meter.createCounter('low.counter').add(2);
    meter.createUpDownCounter('low.updown').add(3);
    await h.forceFlush();
    const body = r.requests[0]?.body as never;
    expect(findMetric(body, 'low.counter')?.sum?.aggregationTemporality).toBe(OTLP_TEMPORALITY.DELTA);
    expect(findMetric(body, 'low.updown')?.sum?.aggregationTemporality).toBe(OTLP_TEMPORALITY.CUMULATIVE);
  });
});
