// A scrape's body chunks are reused by the next scrape once its response is
// written (ChunkPool): reuse must never touch bytes a slower client sharing the
// same scrape has yet to receive.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsHandle, registerMetrics } from '../src/index.js';

let handle: MetricsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

/** GETs `url`; `pauseAfterFirst`: stop reading after the first data event until `resume()`. */
function get(url: string, pauseAfterFirst = false) {
  let resume = () => {};
  const body = new Promise<Buffer>((resolve, reject) => {
    request(url, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        parts.push(c);
        if (pauseAfterFirst && parts.length === 1) {
          res.pause();
          resume = () => res.resume();
        }
      });
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
  return { body, resume: () => resume() };
}

async function populated(): Promise<string> {
  handle = registerMetrics({
    exporters: ['prometheus'],
    prometheus: { host: '127.0.0.1', port: 0 },
    cardinalityLimit: 5000,
    setGlobal: false,
    shutdownOnSignals: false,
  });
  await handle.ready;
  const h = handle.meterProvider.getMeter('m').createHistogram('latency', { unit: 's' });
  for (let i = 0; i < 4000; i++) h.record(i % 97, Object.freeze({ route: `/r/${i}`, method: 'GET' }));
  return handle.prometheus?.url as string;
}

function poolSize(): number {
  // Internal, on purpose: this test is about what the serializer keeps between scrapes.
  const reader = handle?.prometheus?.reader as unknown as { serializer: { pool: { size: number } } };
  return reader.serializer.pool.size;
}

describe('scrape chunk reuse', () => {
  it('keeps the chunks of a written scrape for the next one, which serves the same bytes', async () => {
    const url = await populated();
    expect(poolSize()).toBe(0);
    const first = await get(url).body;
    expect(first.length).toBeGreaterThan(1 << 20);
    await new Promise((r) => setImmediate(r));
    expect(poolSize()).toBeGreaterThan(0);
    const second = await get(url).body;
    expect(second.equals(first)).toBe(true);
  });

  it('never reuses chunks a slow client sharing the scrape has not received yet', async () => {
    const url = await populated();
    // A and B arrive together and share one rendered scrape; A stalls after its first bytes.
    const a = get(url, true);
    const b = await get(url).body;
    // B is written and released; C renders a new scrape while A still holds the shared chunks.
    const c = await get(url).body;
    a.resume();
    const bodyA = await a.body;
    expect(bodyA.equals(b)).toBe(true);
    expect(c.equals(b)).toBe(true);
  });
});
