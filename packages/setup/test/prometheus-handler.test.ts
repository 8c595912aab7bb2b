// prometheusHandler(): setup's scrape endpoint for a PrometheusReader that
// sits in a provider the application (or NodeSDK) built, served by the
// application's own HTTP server. Real parts: the SDK's MeterProvider, node:http,
// the protobuf body decoded with Prometheus's own schema.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  bindMeterProvider,
  ConfigurationError,
  type MetricsAuth,
  PrometheusReader,
  prometheusHandler,
} from '../src/index.js';
import { cleanupAfterEach } from './helpers/bound-provider.js';
import { get } from './helpers/http.js';
import { decodeFamilies, labelsOf } from './helpers/prometheus-protobuf.js';

const defer = cleanupAfterEach();

/** A stock provider with setup's reader, bound, with one counter recorded; served at `/metrics` of an app server. */
async function app(auth?: MetricsAuth): Promise<string> {
  const reader = new PrometheusReader();
  const provider = new MeterProvider({ readers: [reader] });
  defer(() => provider.shutdown());
  const meterProvider = bindMeterProvider(provider);
  meterProvider
    .getMeter('chat-api')
    .createCounter('app.requests')
    .add(2, Object.freeze({ 'http.route': '/chat' }));
  const scrape = prometheusHandler(reader, auth ? { auth } : {});
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') return scrape(req, res);
    res.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

describe('prometheusHandler', () => {
  it('serves the bound series in the format the scraper asks for', async () => {
    const url = await app();
    const text = await get(url);
    expect(text.status).toBe(200);
    expect(text.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text.body.toString()).toMatch(
      /^app_requests_total\{http_route="\/chat",otel_scope_name="chat-api"\} 2$/m,
    );

    const om = await get(url, { accept: 'application/openmetrics-text;version=1.0.0' });
    expect(om.headers['content-type']).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(om.body.toString()).toMatch(/^app_requests_total\{[^}]*\} 2\n[\s\S]*# EOF\n$/m);

    const pb = await get(url, {
      accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
    });
    const family = decodeFamilies(pb.body).find((f) => f.name === 'app_requests_total');
    const metric = family?.metric?.[0];
    expect(metric && labelsOf(metric)).toMatchObject({ http_route: '/chat' });
    expect(metric?.counter?.value).toBe(2);
  });

  it('asks for the credentials it was given', async () => {
    const url = await app({ bearerToken: 's3cret' });
    expect((await get(url)).status).toBe(401);
    expect((await get(url, { authorization: 'Bearer s3cret' })).status).toBe(200);
  });

  it('refuses a reader it cannot serve and credentials that would let anyone in', () => {
    const reader = new PrometheusReader();
    expect(() => prometheusHandler({} as PrometheusReader)).toThrow(ConfigurationError);
    expect(() => prometheusHandler(reader, { auth: { bearerToken: '' } })).toThrow(/Invalid auth=/);
  });
});
