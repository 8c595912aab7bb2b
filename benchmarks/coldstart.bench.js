// 6. Cold start: a fresh `node` process imports the package and calls
// registerMetrics() (Prometheus server on port 0, then closed). Timed inside
// the child from process start (performance.now() counts from the time origin)
// and from the parent (spawn to exit). Baselines in the same run: an empty
// script, the bare OTel SDK MeterProvider, prom-client with default metrics.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emit, fmtMs, median, QUICK } from './lib/harness.js';

const SELF = fileURLToPath(import.meta.url);

async function child(variant) {
  const t0 = performance.now();
  let t1 = t0;
  if (variant === 'tokenmeter') {
    const { registerMetrics } = await import('@tokenmeter/setup');
    t1 = performance.now();
    const h = registerMetrics({
      serviceName: 'cold',
      prometheus: { host: '127.0.0.1', port: 0 },
      setGlobal: false,
      shutdownOnSignals: false,
    });
    await h.ready;
    await h.shutdown();
  } else if (variant === 'tokenmeter+llm') {
    const [{ registerMetrics }, { createLlmMetrics }] = await Promise.all([
      import('@tokenmeter/setup'),
      import('@tokenmeter/llm'),
    ]);
    t1 = performance.now();
    const h = registerMetrics({
      serviceName: 'cold',
      prometheus: { host: '127.0.0.1', port: 0 },
      setGlobal: false,
      shutdownOnSignals: false,
    });
    createLlmMetrics({ meterProvider: h.meterProvider });
    await h.ready;
    await h.shutdown();
  } else if (variant === 'sdk') {
    const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
    t1 = performance.now();
    await new MeterProvider().shutdown();
  } else if (variant === 'prom-client') {
    const client = (await import('prom-client')).default;
    t1 = performance.now();
    client.collectDefaultMetrics();
    client.register.clear();
  }
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ boot: t0, import: t1 - t0, setup: t2 - t1, total: t2 }));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]);
  process.exit(0); // prom-client's default metrics keep timers: do not wait for them
} else {
  const variants = ['empty', 'sdk', 'prom-client', 'tokenmeter', 'tokenmeter+llm'];
  const n = QUICK ? 3 : 15;
  const res = Object.fromEntries(variants.map((v) => [v, []]));
  for (let i = -1; i < n; i++) {
    for (const v of variants) {
      const t0 = performance.now();
      const p = spawnSync(process.execPath, [SELF, '--child', v], { encoding: 'utf8' });
      const wall = performance.now() - t0;
      if (p.status !== 0) throw new Error(`cold-start child ${v} failed: ${p.stderr}`);
      if (i >= 0) res[v].push({ ...JSON.parse(p.stdout), wall }); // i = -1 warms the OS file cache
    }
  }
  const m = (v, k) => median(res[v].map((x) => x[k]));
  const LABEL = {
    empty: 'empty script (Node itself)',
    sdk: '`@opentelemetry/sdk-metrics` import + `new MeterProvider()`',
    'prom-client': 'prom-client import + `collectDefaultMetrics()`',
    tokenmeter: '`@tokenmeter/setup` import + `registerMetrics()` (Prometheus server listening)',
    'tokenmeter+llm': '… + `@tokenmeter/llm` import + `createLlmMetrics()`',
  };
  emit({
    id: 'coldstart',
    title: '6. Cold start',
    intro: `A fresh \`node\` process per measurement, median of ${n} (after one warm-up round for the OS file cache), variants interleaved. "import" and "setup" are timed inside the child; "spawn → exit" from the parent includes Node's own start-up and exit.`,
    tables: [
      {
        columns: ['variant', 'import', 'setup call', 'import + setup', 'spawn → exit'],
        rows: variants.map((v) => [
          LABEL[v],
          v === 'empty' ? '—' : fmtMs(m(v, 'import')),
          v === 'empty' ? '—' : fmtMs(m(v, 'setup')),
          v === 'empty' ? '—' : fmtMs(m(v, 'import') + m(v, 'setup')),
          fmtMs(m(v, 'wall')),
        ]),
      },
    ],
    raw: Object.fromEntries(
      variants.map((v) => [v, { import: m(v, 'import'), setup: m(v, 'setup'), wall: m(v, 'wall') }]),
    ),
  });
}
