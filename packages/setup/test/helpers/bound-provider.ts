// What the tests of createBoundMeterProvider() and bindMeterProvider() share:
// two ways to put readers the application built on the bound-series path,
// checked with the same workloads and the same real exporters.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MeterProvider } from '@opentelemetry/api';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { CollectionResult } from '@opentelemetry/sdk-metrics';
import { afterEach, expect } from 'vitest';
import { get } from './http.js';
import {
  attributesOf,
  findMetric,
  OTLP_TEMPORALITY,
  type OtlpReceiver,
  resourceOf,
  startOtlpReceiver,
} from './otlp-receiver.js';

/** Registers cleanups run after each test of the file, last first. Call once, at the top. */
export function cleanupAfterEach(): (f: () => Promise<unknown>) => void {
  const pending: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const f of pending.splice(0).reverse()) await f().catch(() => {});
  });
  return (f) => pending.push(f);
}

/** A local OTLP receiver, closed after the test. */
export async function receiver(defer: (f: () => Promise<unknown>) => void): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  defer(() => r.close());
  return r;
}

export function hasBind(instrument: object): boolean {
  return typeof (instrument as { bind?: unknown }).bind === 'function';
}

/** Serves the stock exporter's own handler on a loopback port; returns the scrape URL. */
export async function serve(
  exporter: PrometheusExporter,
  defer: (f: () => Promise<unknown>) => void,
): Promise<string> {
  const server: Server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

/**
 * Records a checkout on `meterProvider` (three latencies and 3 orders, a
 * flush, 2 more orders, a flush) and checks what a delta OTLP reader and the
 * stock Prometheus exporter received, both readers of the same provider.
 */
export async function checkCheckout(
  meterProvider: MeterProvider,
  flush: () => Promise<void>,
  otlp: OtlpReceiver,
  serviceName: string,
  prometheusUrl: () => Promise<string>,
): Promise<void> {
  const meter = meterProvider.getMeter('checkout');
  const latency = meter.createHistogram('http.server.request.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 1] },
  });
  const orders = meter.createCounter('shop.orders');
  expect(hasBind(latency)).toBe(true);
  expect(hasBind(orders)).toBe(true);

  const route = Object.freeze({ 'http.route': '/pay' });
  for (const v of [0.05, 0.5, 2]) latency.record(v, route);
  orders.add(3, route);
  await flush();
  orders.add(2, route);
  await flush();

  const bodies = otlp.requests.map((r) => r.body);
  expect(bodies).toHaveLength(2);
  const [first, second] = bodies as [(typeof bodies)[0], (typeof bodies)[0]];
  expect(resourceOf(first)['service.name']).toBe(serviceName);
  const hist = findMetric(first, 'http.server.request.duration')?.histogram;
  expect(hist?.aggregationTemporality).toBe(OTLP_TEMPORALITY.DELTA);
  const point = hist?.dataPoints[0];
  expect(attributesOf(point?.attributes)).toEqual({ 'http.route': '/pay' });
  expect(Number(point?.count)).toBe(3);
  expect(point?.sum).toBeCloseTo(2.55, 10);
  expect(point?.bucketCounts.map(Number)).toEqual([1, 1, 1]);
  expect(point?.explicitBounds).toEqual([0.1, 1]);
  // Delta: each export holds what was added since the one before.
  const ordersIn = (b: typeof first) => {
    const sum = findMetric(b, 'shop.orders')?.sum;
    expect(sum?.aggregationTemporality).toBe(OTLP_TEMPORALITY.DELTA);
    const p = sum?.dataPoints[0];
    return Number(p?.asDouble ?? p?.asInt);
  };
  expect(ordersIn(first)).toBe(3);
  expect(ordersIn(second)).toBe(2);

  // The stock Prometheus exporter reads the same series, cumulative.
  const text = (await get(await prometheusUrl())).body.toString();
  expect(text).toMatch(/^shop_orders_total\{http_route="\/pay"[^}]*\} 5$/m);
  expect(text).toMatch(/^http_server_request_duration_count\{http_route="\/pay"[^}]*\} 3$/m);
}

/** The same mix of histogram, up-down counter and gauge records (12 series each), for differential tests. */
export function recordMixedWorkload(provider: MeterProvider): void {
  const meter = provider.getMeter('m', '1.0.0');
  const h = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1, 10] } });
  const c = meter.createUpDownCounter('c');
  const g = meter.createGauge('g');
  for (let i = 0; i < 30; i++) {
    const attrs = { k: `v${i % 4}`, n: i % 3 };
    h.record(i / 2, attrs);
    c.add(i % 2 === 0 ? 1 : -2, attrs);
    g.record(i, attrs);
  }
}

/** A collection's metrics as plain, ordered values: what two providers must agree on. */
export function collectionShape(r: CollectionResult | undefined) {
  return r?.resourceMetrics.scopeMetrics.flatMap((sm) =>
    sm.metrics.map((m) => ({
      scope: sm.scope,
      name: m.descriptor.name,
      type: m.dataPointType,
      points: m.dataPoints
        .map((p) => ({ attributes: p.attributes, value: p.value }))
        .sort((x, y) => JSON.stringify(x.attributes).localeCompare(JSON.stringify(y.attributes))),
    })),
  );
}
