/**
 * Debian's Prometheus (2.42) scraping a `registerMetrics()` endpoint, twice
 * over: one server with exemplar storage (it negotiates OpenMetrics), one
 * with exemplar storage and native histograms (it negotiates the protobuf
 * format). The app records inside spans of a real tracer; the exemplars API
 * must give back those trace ids, and the native histogram must hold what
 * the SDK's exponential histogram counted.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationType } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricsHandle, registerMetrics } from '../src/index.js';
import { type PrometheusServer, startPrometheus, waitFor } from './helpers/prometheus-server.js';

interface Exemplars {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}
interface Vector {
  metric: Record<string, string>;
  value?: [number, string];
  histogram?: [number, { count: string; sum: string; buckets: [number, string, string, string][] }];
}

const EXPONENTIAL_VALUES = [0.001, 0.002, 0.2, 0.3, 0.4, 0.5, 1.5, 3, 12];

let metrics: MetricsHandle;
let server: Server;
let ticker: NodeJS.Timeout;
const seen: { accept: string; contentType: string }[] = [];
const traceIds = new Set<string>();
let om: PrometheusServer;
let pb: PrometheusServer;

async function listen(s: Server): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const tracer = new TracerProvider().getTracer('app');
  metrics = registerMetrics({
    exemplars: true,
    prometheus: { server: false },
    views: [{ instrumentName: 'latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    setGlobal: false,
    shutdownOnSignals: false,
    detectResources: false,
  });
  const meter = metrics.meterProvider.getMeter('app');
  const duration = meter.createHistogram('rpc.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 1] },
  });
  const calls = meter.createCounter('rpc.calls');
  const latency = meter.createHistogram('latency', { unit: 's' });
  for (const v of EXPONENTIAL_VALUES) latency.record(v);
  const route = Object.freeze({ method: 'chat' });
  const tick = () =>
    tracer.startActiveSpan('rpc', (span) => {
      duration.record(0.25, route);
      calls.add(1, route);
      traceIds.add(span.spanContext().traceId);
      span.end();
    });
  tick();
  ticker = setInterval(tick, 100);
  const handler = metrics.prometheus?.handler;
  if (!handler) throw new Error('no handler');
  // Our own server in front of the handler, to see what Prometheus asked for and got.
  server = createHttpServer((req, res) => {
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((status: number, headers?: Record<string, string | number>) => {
      seen.push({ accept: String(req.headers.accept), contentType: String(headers?.['content-type']) });
      return writeHead(status, headers);
    }) as typeof res.writeHead;
    handler(req, res);
  });
  const port = await listen(server);
  [om, pb] = await Promise.all([
    startPrometheus(`127.0.0.1:${port}`, ['exemplar-storage']),
    startPrometheus(`127.0.0.1:${port}`, ['exemplar-storage', 'native-histograms']),
  ]);
  for (const p of [om, pb]) {
    await waitFor('the target to be up', async () => {
      const up = await p.query<Vector>('up{job="app"} == 1');
      return up.length > 0 ? true : undefined;
    });
  }
});

afterAll(async () => {
  clearInterval(ticker);
  await Promise.all([om?.stop(), pb?.stop()]);
  await new Promise((resolve) => server?.close(resolve));
  await metrics?.shutdown();
  context.disable();
});

async function exemplarTraceIds(p: PrometheusServer, query: string): Promise<string[]> {
  const now = Date.now() / 1000;
  const data = await p.api<Exemplars[]>('query_exemplars', {
    query,
    start: String(now - 120),
    end: String(now + 60),
  });
  return data.flatMap((d) => d.exemplars.map((e) => e.labels.trace_id ?? ''));
}

describe('a real Prometheus scraping registerMetrics({ exemplars: true })', () => {
  it('negotiates OpenMetrics by default and protobuf with native histograms on', () => {
    const formats = new Set(seen.map((s) => `${s.accept.split(/[;,]/)[0]} -> ${s.contentType}`));
    expect(formats).toEqual(
      new Set([
        'application/openmetrics-text -> application/openmetrics-text; version=1.0.0; charset=utf-8',
        'application/vnd.google.protobuf -> application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
      ]),
    );
  });

  it.each([
    ['OpenMetrics', () => om],
    ['protobuf', () => pb],
  ])('returns the recorded trace ids from the exemplars API (%s)', async (_format, server) => {
    const p = server();
    for (const query of ['rpc_duration_seconds_bucket', 'rpc_calls_total']) {
      const ids = await waitFor(`exemplars of ${query}`, async () => {
        const found = await exemplarTraceIds(p, query);
        return found.length > 0 ? found : undefined;
      });
      for (const id of ids) expect(traceIds.has(id), `${id} is one of ours`).toBe(true);
    }
    const buckets = await p.api<Exemplars[]>('query_exemplars', {
      query: 'rpc_duration_seconds_bucket',
      start: String(Date.now() / 1000 - 120),
      end: String(Date.now() / 1000 + 60),
    });
    // 0.25 lands in the le=1 bucket; both formats give it the canonical label value.
    expect(buckets.map((b) => b.seriesLabels.le)).toEqual(['1.0']);
    expect(buckets[0]?.exemplars[0]?.value).toBe('0.25');
  });

  it('stores OpenMetrics metadata and _created (as series of their own, before Prometheus 3)', async () => {
    const metadata = await om.api<Record<string, { type: string; unit: string }[]>>('metadata');
    expect(metadata.rpc_duration_seconds?.[0]).toMatchObject({ type: 'histogram', unit: 'seconds' });
    expect(metadata.rpc_calls?.[0]).toMatchObject({ type: 'counter' });
    expect(metadata.target?.[0]).toMatchObject({ type: 'info' });
    const created = await om.query<Vector>('rpc_calls_created');
    expect(Number(created[0]?.value?.[1])).toBeGreaterThan(Date.now() / 1000 - 600);
    // The exponential histogram cannot be carried by OpenMetrics: absent, and the scrape still works.
    expect(await om.query<Vector>('{__name__=~"latency.*"}')).toEqual([]);
  });

  it('stores the exponential histogram as a native histogram from protobuf scrapes', async () => {
    const [native] = await waitFor('the native histogram', async () => {
      const r = await pb.query<Vector>('latency_seconds');
      return r.length > 0 ? r : undefined;
    });
    const h = native?.histogram?.[1];
    expect(Number(h?.count)).toBe(EXPONENTIAL_VALUES.length);
    expect(Number(h?.sum)).toBeCloseTo(
      EXPONENTIAL_VALUES.reduce((a, b) => a + b, 0),
      9,
    );
    // Every value lies in a bucket Prometheus reports, with the right count in total.
    const buckets = h?.buckets ?? [];
    for (const v of EXPONENTIAL_VALUES) {
      expect(
        buckets.some(([, lo, hi]) => Number(lo) < v && v <= Number(hi)),
        `bucket of ${v}`,
      ).toBe(true);
    }
    expect(buckets.reduce((n, b) => n + Number(b[3]), 0)).toBe(EXPONENTIAL_VALUES.length);
    const [count] = await pb.query<Vector>('histogram_count(latency_seconds)');
    expect(Number(count?.value?.[1])).toBe(EXPONENTIAL_VALUES.length);
    const [median] = await pb.query<Vector>('histogram_quantile(0.5, latency_seconds)');
    // The median observation is 0.4; the estimate stays within its bucket (schema ≥ 3: < 10 % wide).
    expect(Number(median?.value?.[1])).toBeGreaterThan(0.36);
    expect(Number(median?.value?.[1])).toBeLessThanOrEqual(0.44);
    // Classic series and counters come through the same protobuf scrape.
    const [callsNow] = await pb.query<Vector>('rpc_calls_total');
    expect(Number(callsNow?.value?.[1])).toBeGreaterThan(0);
  });
});
