// A large scrape goes out chunk by chunk while it is still being rendered
// (sending a 60 MB body takes as long as rendering it, so the two overlap);
// a small one goes out whole with Content-Length. A failure after part of the
// body went out must cut the connection, and a client that hangs up must not
// leave the handler waiting for a `drain` that never comes.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { diag, type Meter } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MetricsHandle, registerMetrics } from '../src/index.js';
import { createScrapeHandler } from '../src/metrics-handler.js';
import { ScrapeBody } from '../src/scrape-body.js';
import { captureErrors } from './helpers/diag.js';
import { get } from './helpers/http.js';

let handle: MetricsHandle | undefined;
let server: Server | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  server?.close();
  server = undefined;
  diag.disable();
});

/** A Prometheus endpoint with `series` series of one histogram, or of what `fill` records. */
async function registered(
  series: number,
  fill: (meter: Meter) => void = (meter) => {
    const h = meter.createHistogram('latency', { unit: 's' });
    for (let i = 0; i < series; i++) h.record(i % 97, { route: `/r/${i}`, method: 'GET' });
  },
): Promise<MetricsHandle> {
  handle = registerMetrics({
    exporters: ['prometheus'],
    prometheus: { host: '127.0.0.1', port: 0 },
    cardinalityLimit: series + 10,
    setGlobal: false,
    shutdownOnSignals: false,
  });
  await handle.ready;
  fill(handle.meterProvider.getMeter('m'));
  return handle;
}

/** Serves `handler` on a loopback port of its own. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

describe('scrape streaming', () => {
  it('hands out the first chunk of a large scrape before the rest is rendered', async () => {
    const h = await registered(4000);
    const { body, release } = h.prometheus?.reader.stream('text') ?? expect.unreachable();
    const first = await body.read().next();
    expect(first.done).toBe(false);
    // 4000 histogram series are ~2 MB: several chunks, rendered over several turns of the loop.
    expect(body.complete).toBe(false);
    await body.done;
    expect(body.complete).toBe(true);
    expect(body.chunks.length).toBeGreaterThan(1);
    expect(body.chunks[0]).toBe(first.value);
    release();
  });

  it('sends a large scrape chunked, byte for byte what a whole scrape renders, plain and gzip', async () => {
    const h = await registered(4000);
    const url = h.prometheus?.url as string;
    const plain = await get(url);
    expect(plain.status).toBe(200);
    expect(plain.headers['transfer-encoding']).toBe('chunked');
    expect(plain.headers['content-length']).toBeUndefined();
    const whole = await h.prometheus?.scrape();
    expect(plain.body.toString('utf8')).toBe(whole);
    expect(whole).toContain('latency_seconds_bucket{route="/r/3999",method="GET"');

    const gz = await get(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString('utf8')).toBe(whole);
  });

  it('sends a small scrape whole, with Content-Length', async () => {
    const h = await registered(3);
    const got = await get(h.prometheus?.url as string);
    expect(got.status).toBe(200);
    expect(got.headers['transfer-encoding']).toBeUndefined();
    expect(Number(got.headers['content-length'])).toBe(got.body.length);
    expect(got.body.toString('utf8')).toContain('latency_seconds_count{route="/r/2",method="GET"');
  });

  it('sends a body rendered without a pause whole, with Content-Length, even past one 256 KiB chunk', async () => {
    // 4,000 counter series are 4,000 samples, under one slice of 8,500: no pause, ~0.5 MB.
    const padding = 'x'.repeat(60);
    const h = await registered(4000, (meter) => {
      const c = meter.createCounter('requests');
      for (let i = 0; i < 4000; i++) c.add(1, { route: `/r/${i}/${padding}`, method: 'GET' });
    });
    const got = await get(h.prometheus?.url as string);
    expect(got.body.length).toBeGreaterThan(256 * 1024);
    expect(got.headers['transfer-encoding']).toBeUndefined();
    expect(Number(got.headers['content-length'])).toBe(got.body.length);
    expect(got.body.toString('utf8')).toContain(`requests_total{route="/r/3999/${padding}",method="GET"`);
    // The same whole body through gzip: every chunk written, then the end.
    const gz = await get(h.prometheus?.url as string, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(got.body)).toBe(true);
  });

  it('a scrape asked for once the previous one is done sees what was recorded in between, in every format', async () => {
    let requests: ReturnType<Meter['createCounter']> | undefined;
    const h = await registered(1, (meter) => {
      requests = meter.createCounter('requests');
    });
    const reader = h.prometheus?.reader ?? expect.unreachable();
    let k = 0;
    for (const format of ['text', 'openmetrics', 'protobuf'] as const) {
      let previous: Buffer | undefined;
      for (let i = 0; i < 3; i++) {
        requests?.add(1, { route: '/r' });
        k++;
        // The next scrape is asked for as soon as this body is done, before the
        // render that made it has returned: it must not be handed this body again.
        const { body, release } = reader.stream(format);
        await body.done;
        const bytes = Buffer.concat(body.chunks);
        release();
        if (format === 'protobuf') {
          expect(previous?.equals(bytes)).not.toBe(true);
        } else {
          expect(bytes.toString('utf8')).toMatch(
            new RegExp(`\\nrequests_total\\{route="/r",[^}]*\\} ${k}\\n`),
          );
        }
        previous = bytes;
      }
    }
  });

  // The next two drive the handler with a hand-fed body (a stand-in for the
  // reader): a render that fails half-way or a client that hangs up cannot be
  // produced on demand with a real collection.
  it('cuts the connection when rendering fails after part of the body went out', async () => {
    const errors = captureErrors();
    const body = new ScrapeBody('text/plain');
    let released = false;
    const url = await serve(
      createScrapeHandler(() => ({
        body,
        release: () => {
          released = true;
        },
      })),
    );
    const got = get(url);
    body.push(Buffer.alloc(64 * 1024, 0x61));
    setTimeout(() => body.fail(new Error('render broke')), 50);
    await expect(got).rejects.toThrow();
    expect(errors).toEqual(['tokenmeter: Prometheus scrape failed']);
    expect(released).toBe(false);
  });

  it('stops writing and lets go of the body when the client hangs up mid-body', async () => {
    const body = new ScrapeBody('text/plain');
    const handler = createScrapeHandler(() => ({ body, release: () => {} }));
    let response: ServerResponse | undefined;
    const url = await serve((req, res) => {
      response = res;
      handler(req, res);
    });
    // More than the socket takes at once, so the handler waits for `drain`.
    for (let i = 0; i < 8; i++) body.push(Buffer.alloc(4 * 1024 * 1024, 0x62));
    await new Promise<void>((resolve) => {
      const req = request(url, (res) => {
        res.once('data', () => {
          // The handler is waiting for `drain` on the response when the client goes.
          expect(response?.listenerCount('drain')).toBe(1);
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.end();
    });
    // Without the hang-up check the handler would keep waiting for `drain`
    // (holding the body) forever, and this would time out.
    await vi.waitFor(() => expect(response?.listenerCount('drain')).toBe(0), { timeout: 5000 });
    expect(response?.destroyed).toBe(true);
    expect(body.complete).toBe(false);
    body.end([]);
  });
});
