// 4. Memory per active histogram series (semconv duration buckets, 4 labels):
// registerMetrics() on the bound-series path and on the SDK's path, with one
// reader and with two, after scrapes (so our cached label bytes are included)
// vs the stock exporter and prom-client. Each variant runs in its own child
// process (`--expose-gc`) and reports heapUsed + arrayBuffers deltas (the
// serializer caches label sets as Buffers, outside the V8 heap); median of repeats.
import { childResult, emit, fmtBytes, fmtX, inChild, median, QUICK } from './lib/harness.js';

const N = QUICK ? 5000 : 20_000;

function attrs(i) {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': `provider-${i % 7}`,
    'gen_ai.request.model': `model-${i}`,
    'server.address': `host-${i % 13}.example.com`,
  };
}

async function child(variant) {
  // Full GCs after a macrotask turn: a value returned through `await` can stay
  // reachable from the finished async frame until the microtask queue drains.
  const gc = async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    globalThis.gc();
    globalThis.gc();
  };
  const { DURATION_BUCKETS } = await import('@tokenmeter/llm');
  const buckets = [...DURATION_BUCKETS];
  let record;
  let scrape;
  let keep;
  if (variant === 'prom-client') {
    const client = (await import('prom-client')).default;
    const registry = new client.Registry();
    const h = new client.Histogram({
      name: 'gen_ai_client_operation_duration_seconds',
      help: 'GenAI operation duration.',
      labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'server_address'],
      buckets,
      registers: [registry],
    });
    record = (i, v) => {
      const a = attrs(i);
      h.observe(
        {
          gen_ai_operation_name: a['gen_ai.operation.name'],
          gen_ai_provider_name: a['gen_ai.provider.name'],
          gen_ai_request_model: a['gen_ai.request.model'],
          server_address: a['server.address'],
        },
        v,
      );
    };
    scrape = () => registry.metrics();
    keep = registry;
  } else if (variant === 'otel-stock') {
    const { PrometheusExporter, PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
    const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({
      readers: [exporter],
      views: [{ instrumentName: '*', aggregationCardinalityLimit: N + 10 }],
    });
    const serializer = new PrometheusSerializer();
    const h = provider.getMeter('bench').createHistogram('gen_ai.client.operation.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: buckets },
    });
    record = (i, v) => h.record(v, attrs(i));
    scrape = async () => serializer.serialize((await exporter.collect()).resourceMetrics);
    keep = provider;
  } else {
    const { registerMetrics } = await import('@tokenmeter/setup');
    const [path, readers] = variant.split('-');
    const idle = {
      export: (_m, done) => done({ code: 0 }),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const handle = registerMetrics({
      serviceName: 'bench',
      exporters: ['prometheus'],
      prometheus: { server: false },
      cardinalityLimit: N + 10,
      setGlobal: false,
      shutdownOnSignals: false,
      boundSeries: path === 'bound',
      extraExporters: readers === '2' ? [{ name: 'idle', exporter: idle, intervalMillis: 2 ** 31 - 1 }] : [],
    });
    const h = handle.meterProvider.getMeter('bench').createHistogram('gen_ai.client.operation.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: buckets },
    });
    record = (i, v) => h.record(v, attrs(i));
    scrape = () => handle.prometheus.scrape();
    // A second reader keeps its own state only once it has collected.
    if (readers === '2') scrape = async () => Promise.all([handle.prometheus.scrape(), handle.forceFlush()]);
    keep = handle;
  }
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  // Warm the code paths on a few series first, so code and first-use caches are not counted.
  for (let i = 0; i < 10; i++) record(N + i, 0.1);
  await scrape();
  await gc();
  const before = used();
  for (let i = 0; i < N; i++) {
    record(i, 0.05);
    record(i, 0.7);
  }
  await gc();
  const afterRecord = used();
  await scrape();
  await gc();
  const afterScrape = used();
  await scrape();
  await gc();
  const afterSecond = used();
  childResult({
    variant,
    recorded: (afterRecord - before) / N,
    scraped: (afterScrape - before) / N,
    steady: (afterSecond - before) / N,
    keep: typeof keep,
  });
}

if (process.env.TOKENMETER_MEMORY_VARIANT) {
  await child(process.env.TOKENMETER_MEMORY_VARIANT);
} else {
  const reps = QUICK ? 1 : 5;
  const res = { 'bound-1': [], 'bound-2': [], 'sdk-1': [], 'sdk-2': [], 'otel-stock': [], 'prom-client': [] };
  for (let r = 0; r < reps; r++) {
    for (const v of Object.keys(res)) {
      res[v].push(inChild(import.meta.url, { TOKENMETER_MEMORY_VARIANT: v }));
    }
  }
  const m = (v, k) => median(res[v].map((x) => x[k]));
  const rows = [
    ['`registerMetrics()`, bound series, 1 reader (Prometheus)', 'bound-1'],
    ['`registerMetrics()`, bound series, 2 readers (Prometheus + a push reader)', 'bound-2'],
    ['`registerMetrics({ boundSeries: false })` (SDK path), 1 reader', 'sdk-1'],
    ['`registerMetrics({ boundSeries: false })` (SDK path), 2 readers', 'sdk-2'],
    ['OTel SDK via the stock `@opentelemetry/exporter-prometheus` (no label cache)', 'otel-stock'],
    ['prom-client 15', 'prom-client'],
  ].map(([label, v]) => [
    label,
    fmtBytes(m(v, 'recorded')),
    fmtBytes(m(v, 'scraped')),
    fmtBytes(m(v, 'steady')),
  ]);
  const ratio = m('bound-1', 'steady') / m('prom-client', 'steady');
  emit({
    id: 'memory',
    title: '4. Memory per active series',
    intro: `${N.toLocaleString('en')} histogram series (4 labels, 14 semconv duration buckets, 2 values each, attribute objects built per record) in a fresh child process per variant (\`--expose-gc\`); growth of heapUsed + arrayBuffers divided by the series count, median of ${reps} processes. "After scrapes" includes each reader's state and our serializer's cached label bytes.`,
    tables: [
      {
        columns: ['variant', 'after recording', 'after 1st scrape', 'after 2nd scrape (steady)'],
        rows,
      },
    ],
    notes: [
      `tokenmeter (bound series, 1 reader) / prom-client (steady): ${fmtX(ratio)}. On the bound-series path a series is one cell (count, sum, min, max, bucket counts) shared by every reader, plus its key strings and our serializer's cached label bytes; on the SDK's path each reader keeps its own accumulation and cumulative memo per series (compare the 1- and 2-reader rows).`,
    ],
    raw: {
      bound1: m('bound-1', 'steady'),
      bound2: m('bound-2', 'steady'),
      sdk1: m('sdk-1', 'steady'),
      sdk2: m('sdk-2', 'steady'),
      otelStock: m('otel-stock', 'steady'),
      promClient: m('prom-client', 'steady'),
    },
  });
}
