// 4. Heap per active histogram series (semconv duration buckets, 4 labels):
// the OTel SDK behind registerMetrics() (cumulative, after a scrape, so our
// label-string cache is included) vs prom-client. Each variant runs in its own
// child process (`--expose-gc`) and reports heapUsed deltas; median of repeats.
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
    const handle = registerMetrics({
      serviceName: 'bench',
      exporters: ['prometheus'],
      prometheus: { server: false },
      cardinalityLimit: N + 10,
      setGlobal: false,
      shutdownOnSignals: false,
    });
    const h = handle.meterProvider.getMeter('bench').createHistogram('gen_ai.client.operation.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: buckets },
    });
    record = (i, v) => h.record(v, attrs(i));
    scrape = () => handle.prometheus.scrape();
    keep = handle;
  }
  // Warm the code paths on a few series first, so code and first-use caches are not counted.
  for (let i = 0; i < 10; i++) record(N + i, 0.1);
  await scrape();
  await gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) {
    record(i, 0.05);
    record(i, 0.7);
  }
  await gc();
  const afterRecord = process.memoryUsage().heapUsed;
  await scrape();
  await gc();
  const afterScrape = process.memoryUsage().heapUsed;
  await scrape();
  await gc();
  const afterSecond = process.memoryUsage().heapUsed;
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
  const res = { otel: [], 'otel-stock': [], 'prom-client': [] };
  for (let r = 0; r < reps; r++) {
    for (const v of Object.keys(res)) {
      res[v].push(inChild(import.meta.url, { TOKENMETER_MEMORY_VARIANT: v }));
    }
  }
  const m = (v, k) => median(res[v].map((x) => x[k]));
  const rows = [
    ['OTel SDK via `registerMetrics()` (tokenmeter reader)', 'otel'],
    ['OTel SDK via the stock `@opentelemetry/exporter-prometheus` (no label cache)', 'otel-stock'],
    ['prom-client 15', 'prom-client'],
  ].map(([label, v]) => [
    label,
    fmtBytes(m(v, 'recorded')),
    fmtBytes(m(v, 'scraped')),
    fmtBytes(m(v, 'steady')),
  ]);
  const ratio = m('otel', 'steady') / m('prom-client', 'steady');
  emit({
    id: 'memory',
    title: '4. Memory per active series',
    intro: `${N.toLocaleString('en')} histogram series (4 labels, 14 semconv duration buckets, 2 values each) in a fresh child process per variant (\`--expose-gc\`); heapUsed growth divided by the series count, median of ${reps} processes. "After scrapes" includes the SDK's cumulative state and our serializer's cached label strings.`,
    tables: [
      {
        columns: ['variant', 'after recording', 'after 1st scrape', 'after 2nd scrape (steady)'],
        rows,
      },
    ],
    notes: [
      `OTel via tokenmeter / prom-client (steady): ${fmtX(ratio)}. The difference between the first two rows is our serializer's per-series label-string cache (${fmtBytes(m('otel', 'steady') - m('otel-stock', 'steady'))} per series); the rest is the SDK's own state (delta accumulation + cumulative memo per series, per reader).`,
    ],
    raw: {
      otel: m('otel', 'steady'),
      otelStock: m('otel-stock', 'steady'),
      promClient: m('prom-client', 'steady'),
    },
  });
}
