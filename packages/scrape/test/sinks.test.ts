import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CsvSink,
  JsonlSink,
  PromFileSink,
  PushgatewaySink,
  parseExposition,
  Recorder,
  type RecordSink,
  readRecording,
  type ScrapeResult,
  Scraper,
  SqliteSink,
} from '../src/index.js';
import { exposition, type FakeServer, startServer } from './helpers/fake-server.js';
import { tgiExposition, vllmExposition } from './helpers/server-fixtures.js';
import { type Pushgateway, promtoolErrors, startPushgateway, tempDir } from './helpers/tools.js';

let step = 0;
let server: FakeServer;
beforeAll(async () => {
  server = await startServer(exposition(() => vllmExposition(++step)));
});
afterAll(() => server.close());

async function rounds(n: number): Promise<ScrapeResult[][]> {
  const scraper = new Scraper({
    targets: [{ url: server.url, name: 'vllm' }],
    selection: { include: ['vllm:*'] },
  });
  const out: ScrapeResult[][] = [];
  for (let i = 0; i < n; i++) out.push(await scraper.scrapeOnce());
  return out;
}

const weird: ScrapeResult = {
  target: 'x,"y"',
  url: 'http://x/metrics',
  timestampMs: 1_700_000_000_000,
  durationSeconds: 0.01,
  up: true,
  families: [
    {
      name: 'w',
      type: 'gauge',
      samples: [
        { name: 'w', labels: { path: 'a,"b"\nc' }, value: Number.NaN },
        { name: 'w', labels: { path: 'inf' }, value: Number.POSITIVE_INFINITY },
        { name: 'w', labels: { path: 'ninf' }, value: Number.NEGATIVE_INFINITY },
      ],
    },
  ],
  samples: 3,
  malformed: 0,
  diagnostics: [],
  attempts: 1,
  bytes: 10,
};

describe.each([
  ['jsonl', (p: string) => new JsonlSink({ path: p })],
  ['csv', (p: string) => new CsvSink({ path: p })],
  ['sqlite', (p: string) => SqliteSink.open(p)],
] as const)('%s sink', (ext, open) => {
  it('records every round and reads back identically, NaN/Inf and awkward strings included', async () => {
    const path = join(tempDir(), `run.${ext}`);
    const sink: RecordSink = await open(path);
    const all = await rounds(3);
    for (const r of all) await sink.write(r);
    await sink.write([weird]);
    await sink.close();
    const rec = await readRecording(path);
    expect(rec.skipped).toBe(0);
    const up = rec.rows.filter((r) => r.family === 'tokenmeter_scrape_up');
    expect(up).toHaveLength(4);
    const prompt = rec.rows.filter((r) => r.name === 'vllm:prompt_tokens_total');
    expect(prompt.map((r) => r.value)).toHaveLength(3);
    expect(prompt[0]?.labels).toEqual({ engine: '0', model_name: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(prompt[0]?.type).toBe('counter');
    const buckets = rec.rows.filter((r) => r.name === 'vllm:e2e_request_latency_seconds_bucket');
    expect(buckets).toHaveLength(3 * 22);
    const w = rec.rows.filter((r) => r.family === 'w');
    expect(w.map((r) => r.labels.path)).toEqual(['a,"b"\nc', 'inf', 'ninf']);
    expect(Number.isNaN(w[0]?.value)).toBe(true);
    expect(w.slice(1).map((r) => r.value)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(w[0]?.target).toBe('x,"y"');

    // Appending to an existing recording continues it.
    const again = await open(path);
    await again.write((await rounds(1))[0] as ScrapeResult[]);
    await again.close();
    expect((await readRecording(path)).rows.filter((r) => r.family === 'tokenmeter_scrape_up')).toHaveLength(
      5,
    );
  });
});

describe('file sink edge cases', () => {
  it('skips a torn last JSON line (crash mid-write)', async () => {
    const path = join(tempDir(), 'torn.jsonl');
    const sink = new JsonlSink({ path });
    sink.write((await rounds(1))[0] as ScrapeResult[]);
    sink.close();
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"ts":17000000`);
    const rec = await readRecording(path);
    expect(rec.skipped).toBe(1);
    expect(rec.rows.length).toBeGreaterThan(100);
  });

  it('refuses to append CSV rows to a foreign file', () => {
    const path = join(tempDir(), 'other.csv');
    writeFileSync(path, 'a,b,c\n1,2,3\n');
    expect(() => new CsvSink({ path })).toThrow(/not a tokenmeter CSV recording/);
  });

  it('writes a promtool-valid text file, replaced atomically', async () => {
    const path = join(tempDir(), 'vllm.prom');
    const sink = new PromFileSink({ path });
    for (const r of await rounds(2)) sink.write(r);
    const text = readFileSync(path, 'utf8');
    expect(promtoolErrors(text)).toEqual([]);
    const parsed = parseExposition(text);
    expect(parsed.families.find((f) => f.name === 'tokenmeter_scrape_up')?.samples[0]?.labels).toEqual({
      scrape_target: 'vllm',
    });
    expect(existsSync(`${path}.${process.pid}.tmp`)).toBe(false);
  });

  it('Recorder writes each round to every sink and stop() closes them', async () => {
    const dir = tempDir();
    const scraper = new Scraper({ targets: [server.url], intervalMillis: 50 });
    let threeRounds = () => {};
    const threeWritten = new Promise<void>((resolve) => {
      threeRounds = resolve;
    });
    const recorder = new Recorder({
      scraper,
      sinks: [new JsonlSink({ path: join(dir, 'a.jsonl') }), await SqliteSink.open(join(dir, 'a.sqlite'))],
      onRound: () => {
        if (recorder.rounds === 3) threeRounds();
      },
    });
    recorder.start();
    await threeWritten;
    await recorder.stop();
    const a = await readRecording(join(dir, 'a.jsonl'));
    const b = await readRecording(join(dir, 'a.sqlite'));
    const upA = a.rows.filter((r) => r.family === 'tokenmeter_scrape_up').length;
    expect(upA).toBe(recorder.rounds);
    expect(upA).toBeGreaterThanOrEqual(3);
    expect(b.rows.length).toBe(a.rows.length);
  });
});

describe('Pushgateway sink (Debian prometheus-pushgateway)', () => {
  let pg: Pushgateway;
  let tgi: FakeServer;
  beforeAll(async () => {
    pg = await startPushgateway();
    tgi = await startServer(exposition(() => tgiExposition(2)));
  });
  afterAll(async () => {
    await pg?.stop();
    await tgi?.close();
  });
  afterEach(() => undefined);

  it('pushes one group per target and the gateway serves the series', async () => {
    const scraper = new Scraper({
      targets: [
        { url: server.url, name: 'vllm-0' },
        { url: tgi.url, name: 'tgi-0' },
      ],
      selection: { include: ['vllm:*', 'tgi_*'] },
    });
    const sink = new PushgatewaySink({ url: pg.url, job: 'bench' });
    await sink.write(await scraper.scrapeOnce());
    await sink.write(await scraper.scrapeOnce());
    expect(sink.errors).toBe(0);
    expect(sink.pushes).toBe(4);
    const text = await (await fetch(`${pg.url}/metrics`)).text();
    const parsed = parseExposition(text);
    const ttft = parsed.families.find((f) => f.name === 'vllm:time_to_first_token_seconds');
    expect(ttft?.type).toBe('histogram');
    expect(
      ttft?.samples.some(
        (s) => s.labels.job === 'bench' && s.labels.instance === 'vllm-0' && s.labels.le === '+Inf',
      ),
    ).toBe(true);
    const tgiCount = parsed.families.find((f) => f.name === 'tgi_request_count');
    expect(tgiCount?.samples[0]?.labels).toMatchObject({ job: 'bench', instance: 'tgi-0' });
    const up = parsed.families.find((f) => f.name === 'tokenmeter_scrape_up');
    expect(up?.samples.map((s) => s.labels.instance).sort()).toEqual(['tgi-0', 'vllm-0']);
  });

  it('counts (does not throw) failed pushes', async () => {
    const sink = new PushgatewaySink({ url: 'http://127.0.0.1:1', timeoutMillis: 500 });
    await sink.write(await new Scraper({ targets: [server.url] }).scrapeOnce());
    expect(sink.errors).toBe(1);
    expect(sink.lastError).toBeDefined();
  });
});
