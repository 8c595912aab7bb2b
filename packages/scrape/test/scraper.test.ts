import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLabelMatcher, Scraper } from '../src/index.js';
import { backoffDelay } from '../src/scrape/backoff.js';
import { fetchExposition, ScrapeError } from '../src/scrape/fetch-exposition.js';
import { exposition, type FakeServer, startServer } from './helpers/fake-server.js';
import { tgiExposition, vllmExposition } from './helpers/server-fixtures.js';

const servers: FakeServer[] = [];
const scrapers: Scraper[] = [];
async function serve(...args: Parameters<typeof startServer>) {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
function scraper(...args: ConstructorParameters<typeof Scraper>) {
  const s = new Scraper(...args);
  scrapers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(scrapers.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('Scraper against loopback servers', () => {
  it('scrapes vLLM and TGI, selecting by glob and label', async () => {
    const vllm = await serve(exposition(() => vllmExposition(2)));
    const tgi = await serve(exposition(() => tgiExposition(2)));
    const s = scraper({
      targets: [vllm.url, { url: tgi.url, name: 'tgi' }],
      selection: {
        include: ['vllm:*', 'tgi_request_*'],
        exclude: ['vllm:request_*'],
        labels: [parseLabelMatcher('finished_reason!=abort')],
      },
    });
    const [v, t] = await s.scrapeOnce();
    expect(v?.up).toBe(true);
    expect(v?.target).toMatch(/^127\.0\.0\.1:\d+$/);
    const names = v?.families.map((f) => f.name) ?? [];
    expect(names).toContain('vllm:time_to_first_token_seconds');
    expect(names).not.toContain('python_gc_objects_collected_total');
    expect(names).not.toContain('vllm:request_success_total'.replace('_success', '_prompt_tokens'));
    expect(names.some((n) => n.startsWith('vllm:request_'))).toBe(false);
    expect(t?.target).toBe('tgi');
    expect(t?.families.every((f) => f.name.startsWith('tgi_request_'))).toBe(true);
    expect(t?.families.find((f) => f.name === 'tgi_request_failure')?.samples).toHaveLength(1);
    expect(s.latest.get('tgi')?.samples).toBe(t?.samples);
  });

  it('keeps the good lines of a malformed response', async () => {
    const srv = await serve(
      exposition(() => `# TYPE a gauge\na 1\nthis is not a metric\na{x="1"} 2\n{{{{\n`),
    );
    const [r] = await scraper({ targets: [srv.url] }).scrapeOnce();
    expect(r).toMatchObject({ up: true, malformed: 2, samples: 2 });
    expect(r?.diagnostics[0]?.line).toBe(3);
  });

  it('fails a response over the size bound without reading it all', async () => {
    const line = `${'x'.repeat(90)} 1\n`;
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // 10 MB, streamed without a Content-Length.
      let sent = 0;
      const push = () => {
        while (sent < 100_000) {
          sent++;
          if (!res.write(line.repeat(1))) return res.once('drain', push);
        }
        res.end();
      };
      push();
    });
    const [r] = await scraper({ targets: [srv.url], maxResponseBytes: 64 * 1024, retries: 0 }).scrapeOnce();
    expect(r?.up).toBe(false);
    expect(r?.error).toMatch(/exceeds the 65536-byte limit/);
  });

  it('rejects a declared Content-Length over the bound up front', async () => {
    const srv = await serve((_req, res) => {
      const body = 'a 1\n'.repeat(50_000);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await expect(fetchExposition(srv.url, { maxBytes: 1000 })).rejects.toMatchObject({ kind: 'too_large' });
  });

  it('bounds a gzip bomb by its decoded size', async () => {
    const zipped = gzipSync(Buffer.from('a 1\n'.repeat(1_000_000)));
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(zipped);
    });
    expect(zipped.length).toBeLessThan(100_000);
    await expect(fetchExposition(srv.url, { maxBytes: 100_000 })).rejects.toMatchObject({
      kind: 'too_large',
    });
  });

  it('times out a slow response (headers sent, body never finished)', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a 1\n');
    });
    const t0 = Date.now();
    const [r] = await scraper({ targets: [srv.url], timeoutMillis: 300, retries: 0 }).scrapeOnce();
    expect(r?.up).toBe(false);
    expect(r?.error).toMatch(/timed out after 300 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('retries 503 with backoff, and does not retry 404', async () => {
    const flaky = await serve((req, res, hit) => {
      if (hit <= 2) {
        res.writeHead(503).end('busy');
        return;
      }
      exposition(() => 'a 1\n')(req, res, hit);
    });
    const [r] = await scraper({
      targets: [flaky.url],
      retries: 3,
      backoff: { initialMillis: 10, jitter: 0 },
    }).scrapeOnce();
    expect(r).toMatchObject({ up: true, attempts: 3 });

    const missing = await serve((_req, res) => res.writeHead(404).end());
    const [m] = await scraper({ targets: [missing.url], retries: 3 }).scrapeOnce();
    expect(m).toMatchObject({ up: false, attempts: 1 });
    expect(m?.error).toMatch(/HTTP 404/);
    expect(missing.hits()).toBe(1);
  });

  it('reports a refused connection as down', async () => {
    const srv = await serve(exposition(() => 'a 1\n'));
    const url = srv.url;
    await srv.close();
    servers.pop();
    const s = scraper({ targets: [url], retries: 1, backoff: { initialMillis: 10 } });
    const [r] = await s.scrapeOnce();
    expect(r).toMatchObject({ up: false, attempts: 2 });
    expect(r?.error).toMatch(/ECONNREFUSED/);
    expect(s.failures).toBe(1);
  });

  it('runs on an interval and stop() waits for the round in flight', async () => {
    // The server holds the fourth request until stop() has been called, so a
    // round is in flight at that moment on every run, however loaded the machine.
    let step = 0;
    const body = exposition(() => vllmExposition(++step));
    let onFourth = () => {};
    const fourthArrived = new Promise<void>((resolve) => {
      onFourth = resolve;
    });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const srv = await serve((req, res, hit) => {
      if (hit !== 4) return body(req, res, hit);
      onFourth();
      void held.then(() => body(req, res, hit));
    });
    const rounds: number[] = [];
    const s = scraper({ targets: [srv.url], intervalMillis: 200 });
    s.start(async (results) => {
      // An asynchronous listener (a sink writing a file): stop() must wait for it too.
      await new Promise((resolve) => setImmediate(resolve));
      rounds.push(results[0]?.samples ?? 0);
    });
    await fourthArrived;
    expect(rounds).toHaveLength(3); // each round reaches the listener before the next starts
    const stopped = s.stop();
    release();
    await stopped;
    expect(rounds).toHaveLength(4); // the round in flight was finished and handed over
    expect(rounds.every((samples) => samples > 0)).toBe(true);
    expect(s.rounds).toBe(4);
    expect(srv.hits()).toBe(4); // and none started after stop()
  });

  it('negotiates OpenMetrics via Accept', async () => {
    let accept = '';
    const srv = await serve((req, res) => {
      accept = String(req.headers.accept);
      res.writeHead(200, { 'content-type': 'application/openmetrics-text; version=1.0.0' });
      res.end('# TYPE a counter\na_total 1\na_created 1700000000\n# EOF\n');
    });
    const [r] = await scraper({ targets: [srv.url] }).scrapeOnce();
    expect(accept).toMatch(/^application\/openmetrics-text/);
    expect(r?.format).toBe('openmetrics');
    expect(r?.families[0]).toMatchObject({ name: 'a', type: 'counter' });
  });
});

describe('helpers', () => {
  it('backoff grows, caps and jitters', () => {
    expect([1, 2, 3, 10].map((a) => backoffDelay(a, { jitter: 0 }))).toEqual([200, 400, 800, 5000]);
    expect(backoffDelay(2, { jitter: 1 }, () => 0.5)).toBe(200);
  });

  it('parses label matchers', () => {
    expect(parseLabelMatcher('model_name=~"llama.*"')).toEqual({
      name: 'model_name',
      op: '=~',
      value: 'llama.*',
    });
    expect(() => parseLabelMatcher('nope')).toThrow(/invalid label filter/);
  });

  it('rejects bad targets early', () => {
    expect(() => new Scraper({ targets: ['not a url'] })).toThrow(/invalid scrape URL/);
    expect(() => new Scraper({ targets: [] })).toThrow(/at least one target/);
    expect(new ScrapeError('x', 'timeout', true).retryable).toBe(true);
  });
});
