/**
 * The scrape endpoint over real HTTP: the format follows `Accept`, the
 * response says which it is, and a header we cannot read gets the text
 * format rather than an error.
 */
import { gunzipSync } from 'node:zlib';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsHandle, registerMetrics } from '../src/index.js';
import { get } from './helpers/http.js';
import { parseOpenMetrics } from './helpers/openmetrics-text.js';
import { parseExposition } from './helpers/prom-text.js';
import { decodeFamilies } from './helpers/prometheus-protobuf.js';

const OPENMETRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,text/plain;version=0.0.4;q=0.5';

const handles: MetricsHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.shutdown();
});

async function start(metricProducers: MetricProducer[] = []): Promise<{ h: MetricsHandle; url: string }> {
  const h = registerMetrics({
    prometheus: { port: 0 },
    metricProducers,
    setGlobal: false,
    shutdownOnSignals: false,
    detectResources: false,
  });
  handles.push(h);
  await h.ready;
  const meter = h.meterProvider.getMeter('m');
  meter.createCounter('jobs', { description: 'x'.repeat(2000) }).add(3, { queue: 'a' });
  meter.createHistogram('job.duration', { unit: 's' }).record(0.2);
  return { h, url: h.prometheus?.url ?? '' };
}

describe('content negotiation on the scrape endpoint', () => {
  it('serves each format with its Content-Type and Vary', async () => {
    const { url } = await start();
    const om = await get(url, { accept: OPENMETRICS });
    expect(om.status).toBe(200);
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.headers.vary).toBe('Accept, Accept-Encoding');
    expect(parseOpenMetrics(om.body.toString()).get('jobs')?.samples[0]?.value).toBe(3);

    const pb = await get(url, { accept: PROTOBUF });
    expect(pb.headers['content-type']).toBe(
      'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
    );
    expect(Number(pb.headers['content-length'])).toBe(pb.body.length);
    const jobs = decodeFamilies(pb.body).find((f) => f.name === 'jobs_total');
    expect(jobs?.metric?.[0]?.counter?.value).toBe(3);

    const text = await get(url, {});
    expect(text.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(parseExposition(text.body.toString()).types.get('jobs_total')).toBe('counter');
  });

  it('answers a malformed or unknown Accept with the text format, not an error', async () => {
    const { url } = await start();
    for (const accept of [';;;', 'application/openmetrics-text;q=abc', 'application/json', '\u00ff\u00fe']) {
      const res = await get(url, { accept });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      parseExposition(res.body.toString());
    }
  });

  it('gzips protobuf like text, and answers HEAD with the negotiated type and no body', async () => {
    const { url } = await start();
    const zipped = await get(url, { accept: PROTOBUF, 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(decodeFamilies(gunzipSync(zipped.body)).map((f) => f.name)).toContain('job_duration_seconds');
    const head = await get(url, { accept: OPENMETRICS }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(head.body.length).toBe(0);
  });

  it('coalesces concurrent scrapes per format: two formats during one slow collection cost two', async () => {
    let collections = 0;
    const slow: MetricProducer = {
      async collect() {
        collections++;
        await new Promise((r) => setTimeout(r, 300));
        return { resourceMetrics: { resource: { attributes: {} } as never, scopeMetrics: [] }, errors: [] };
      },
    };
    const { url } = await start([slow]);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => get(url, i % 2 === 0 ? { accept: OPENMETRICS } : {})),
    );
    expect(collections).toBe(2);
    expect(new Set(responses.map((r) => r.headers['content-type'])).size).toBe(2);
    expect(new Set(responses.filter((_, i) => i % 2 === 0).map((r) => r.body.toString())).size).toBe(1);
  });
});
