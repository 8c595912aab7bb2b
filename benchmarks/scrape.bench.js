// 3. Scrape render time, bytes and the longest event-loop block for 1k and 10k
// histogram series (4 labels, 14 buckets): our endpoint (a real HTTP GET of a
// registerMetrics() endpoint on port 0, plain and gzip, and the in-process
// PrometheusReader.scrape()) vs the stock @opentelemetry/exporter-prometheus
// (collect + serialize, what its request handler does) vs prom-client's
// register.metrics(). Same process, same data, interleaved rounds.
import { request } from 'node:http';
import { createGunzip } from 'node:zlib';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { DURATION_BUCKETS } from '@tokenmeter/llm';
import { registerMetrics } from '@tokenmeter/setup';
import client from 'prom-client';
import { emit, fmtBytes, fmtMs, fmtX, gc, median, QUICK, withLoopProbe } from './lib/harness.js';

const SIZES = QUICK ? [1000] : [1000, 10_000];
const BUCKETS = [...DURATION_BUCKETS]; // 14 boundaries
const VALUES = [0.05, 0.7, 3.1];

function attrs(i) {
  return {
    'gen_ai.operation.name': i % 2 === 0 ? 'chat' : 'embeddings',
    'gen_ai.provider.name': `provider-${i % 7}`,
    'gen_ai.request.model': `model-${i}`,
    'server.address': `host-${i % 13}.example.com`,
  };
}

function fillOtel(meterProvider, n) {
  const h = meterProvider.getMeter('bench').createHistogram('gen_ai.client.operation.duration', {
    unit: 's',
    description: 'GenAI operation duration.',
    advice: { explicitBucketBoundaries: BUCKETS },
  });
  for (let i = 0; i < n; i++) {
    const a = attrs(i);
    for (const v of VALUES) h.record(v, a);
  }
}

function get(url, gzip) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { headers: gzip ? { 'accept-encoding': 'gzip' } : {} }, (res) => {
      let wire = 0;
      let body = 0;
      res.on('data', (c) => {
        wire += c.length;
      });
      const sink = gzip && res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
      if (sink !== res) sink.on('data', (c) => (body += c.length));
      sink.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        else resolve({ ms: performance.now() - t0, wire, body: sink === res ? wire : body });
      });
      sink.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function setUp(n) {
  const ours = registerMetrics({
    serviceName: 'bench',
    exporters: ['prometheus'],
    prometheus: { host: '127.0.0.1', port: 0 },
    cardinalityLimit: n + 10,
    setGlobal: false,
    shutdownOnSignals: false,
  });
  await ours.ready;
  fillOtel(ours.meterProvider, n);

  const stock = new PrometheusExporter({ preventServerStart: true });
  const stockProvider = new MeterProvider({
    readers: [stock],
    views: [{ instrumentName: '*', aggregationCardinalityLimit: n + 10 }],
  });
  fillOtel(stockProvider, n);
  const stockSerializer = new PrometheusSerializer();

  const registry = new client.Registry();
  const ph = new client.Histogram({
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'GenAI operation duration.',
    labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'server_address'],
    buckets: BUCKETS,
    registers: [registry],
  });
  for (let i = 0; i < n; i++) {
    const a = attrs(i);
    const labels = {
      gen_ai_operation_name: a['gen_ai.operation.name'],
      gen_ai_provider_name: a['gen_ai.provider.name'],
      gen_ai_request_model: a['gen_ai.request.model'],
      server_address: a['server.address'],
    };
    for (const v of VALUES) ph.observe(labels, v);
  }

  const url = ours.prometheus.url;
  const reader = ours.prometheus.reader;
  return {
    close: () => ours.shutdown(),
    variants: [
      { name: 'ours-http', run: async () => get(url, false) },
      { name: 'ours-http-gzip', run: async () => get(url, true) },
      {
        name: 'ours-inprocess',
        run: async () => {
          const { chunks } = await reader.scrape();
          let bytes = 0;
          for (const c of chunks) bytes += Buffer.byteLength(c);
          return { bytes };
        },
      },
      {
        name: 'stock',
        run: async () => {
          const { resourceMetrics } = await stock.collect();
          const text = stockSerializer.serialize(resourceMetrics);
          return { bytes: Buffer.byteLength(text) };
        },
      },
      {
        name: 'prom-client',
        run: async () => {
          const text = await registry.metrics();
          return { bytes: Buffer.byteLength(text) };
        },
      },
    ],
  };
}

const LABEL = {
  'ours-http': 'tokenmeter, HTTP GET (registerMetrics endpoint)',
  'ours-http-gzip': 'tokenmeter, HTTP GET with `Accept-Encoding: gzip`',
  'ours-inprocess': 'tokenmeter, in-process `PrometheusReader.scrape()`',
  stock: '`@opentelemetry/exporter-prometheus` 0.301 (collect + serialize)',
  'prom-client': 'prom-client 15 `register.metrics()`',
};

const rows = [];
const targets = [];
const raw = {};
for (const n of SIZES) {
  const s = await setUp(n);
  const rounds = QUICK ? 3 : n >= 10_000 ? 11 : 15;
  const stats = new Map(
    s.variants.map((v) => [v.name, { ms: [], block: [], gc: [], first: undefined, bytes: 0, wire: 0 }]),
  );
  for (let r = -1; r < rounds; r++) {
    const order = s.variants.map((_, i) => s.variants[(i + Math.max(r, 0)) % s.variants.length]);
    for (const v of order) {
      gc();
      const res = await withLoopProbe(() => v.run());
      const st = stats.get(v.name);
      const block = Math.max(res.maxGapMs, res.elDelayMaxMs);
      if (r < 0) {
        st.first = { ms: res.wallMs, block };
        continue;
      }
      st.ms.push(res.wallMs);
      st.block.push(block);
      st.gc.push(res.maxGcMs);
      st.bytes = res.value.body ?? res.value.bytes;
      st.wire = res.value.wire ?? st.bytes;
    }
  }
  await s.close();
  const promMs = median(stats.get('prom-client').ms);
  const stockMs = median(stats.get('stock').ms);
  for (const v of s.variants) {
    const st = stats.get(v.name);
    const ms = median(st.ms);
    raw[`${v.name}@${n}`] = { ms, maxBlockMs: Math.max(...st.block), bytes: st.bytes };
    rows.push([
      `${n.toLocaleString('en')}`,
      LABEL[v.name],
      fmtMs(ms),
      fmtMs(st.first.ms),
      `${fmtMs(median(st.block))} / ${fmtMs(Math.max(...st.block))}`,
      fmtMs(st.gc[st.block.indexOf(Math.max(...st.block))]),
      v.name === 'ours-http-gzip' ? `${fmtBytes(st.wire)} (gzip)` : fmtBytes(st.bytes),
      fmtX(ms / promMs),
      fmtX(ms / stockMs),
    ]);
  }
  if (n >= 10_000) {
    const http = stats.get('ours-http');
    const ms = median(http.ms);
    const maxBlock = Math.max(...http.block, ...stats.get('ours-http-gzip').block);
    targets.push(
      { name: '10k series scrape (HTTP) ≤ 150 ms', measured: fmtMs(ms), met: ms <= 150 },
      { name: '10k series ≥ 2× faster than prom-client', measured: fmtX(promMs / ms), met: promMs / ms >= 2 },
      { name: 'no event-loop block > 50 ms during a scrape', measured: fmtMs(maxBlock), met: maxBlock <= 50 },
    );
  }
}

emit({
  id: 'scrape',
  title: '3. Scrape: render time, bytes, event-loop block',
  intro:
    'N histogram series (4 labels, 14 buckets, 3 recorded values each) of one instrument, the same data in each of three providers/registries in one process. Time = from the start of the scrape to the last byte (HTTP) or the finished text (in-process); "first" is the first scrape (our label-string cache is cold). Loop block = the longest gap a setImmediate probe (and `monitorEventLoopDelay`) saw during the scrape: median / max over rounds; "GC pause in the max round" is the longest garbage-collection pause (`PerformanceObserver`, `gc` entries) in the round that had the max, so a stall that is a GC pause shows as one. The HTTP client runs in the same process, so its work is included.',
  tables: [
    {
      columns: [
        'series',
        'variant',
        'median',
        'first scrape',
        'loop block median / max',
        'GC pause in the max round',
        'body',
        'vs prom-client',
        'vs stock',
      ],
      rows,
    },
  ],
  targets,
  raw,
});
