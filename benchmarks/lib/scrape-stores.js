// The stores the scrape benchmarks race, holding the same series: our
// registerMetrics() endpoint, optionally setup's handler on a provider built
// elsewhere, the stock @opentelemetry/exporter-prometheus and a prom-client
// registry (optionally also served over HTTP, as an application serves it),
// plus a bare node:http server sending a copy of our body (the transfer
// floor). One instrument of one kind; the measured rounds are interleaved.
import { createServer } from 'node:http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { DURATION_BUCKETS } from '@tokenmeter/llm';
import { bindMeterProvider, PrometheusReader, prometheusHandler, registerMetrics } from '@tokenmeter/setup';
import client from 'prom-client';
import { gc, gcSettled, median, QUICK, withLoopProbe } from './harness.js';
import { attributesOf, KEYS, promLabel, SPREAD } from './series-shape.js';

const BUCKETS = [...DURATION_BUCKETS]; // 14 boundaries

const HISTOGRAM_OPTIONS = {
  unit: 's',
  description: 'GenAI operation duration.',
  advice: { explicitBucketBoundaries: BUCKETS },
};

/**
 * What each instrument kind is in each store: its OTel name and options, its
 * prom-client metric, and how one value is recorded into either.
 */
const KINDS = {
  histogram: {
    create: (meter) => meter.createHistogram('gen_ai.client.operation.duration', HISTOGRAM_OPTIONS),
    record: (h, v, attrs) => h.record(v, attrs),
    prom: (labelNames, registry) =>
      new client.Histogram({
        name: 'gen_ai_client_operation_duration_seconds',
        help: 'GenAI operation duration.',
        labelNames,
        buckets: BUCKETS,
        registers: [registry],
      }),
    promRecord: (m, labels, v) => m.observe(labels, v),
  },
  counter: {
    create: (meter) =>
      meter.createCounter('gen_ai.client.token.usage.total', {
        unit: '{token}',
        description: 'Tokens used.',
      }),
    // Whole tokens, as a token counter counts them.
    record: (c, v, attrs) => c.add(Math.round(v * 100), attrs),
    prom: (labelNames, registry) =>
      new client.Counter({
        name: 'gen_ai_client_token_usage_total',
        help: 'Tokens used.',
        labelNames,
        registers: [registry],
      }),
    promRecord: (m, labels, v) => m.inc(labels, Math.round(v * 100)),
  },
};

/**
 * The values of one matrix dimension: `TOKENMETER_SCRAPE_<NAME>` when set (to
 * re-run a few cells, e.g. TOKENMETER_SCRAPE_SERIES=10000), else `quick` or `full`.
 */
export const dim = (name, quick, full) =>
  process.env[`TOKENMETER_SCRAPE_${name}`]?.split(',').map(Number) ?? (QUICK ? quick : full);

/** Our endpoint, sized for `n` series, on a port of its own. */
export async function ourEndpoint(n) {
  const ours = registerMetrics({
    serviceName: 'bench',
    exporters: ['prometheus'],
    prometheus: { host: '127.0.0.1', port: 0 },
    cardinalityLimit: n + 10,
    setGlobal: false,
    shutdownOnSignals: false,
  });
  await ours.ready;
  return ours;
}

/** One instrument of `kind` on `meterProvider`, with `n` series recorded `values` times (the store-alone child). */
export function fillAlone(meterProvider, kind, n, attrs, unique, values) {
  const k = KINDS[kind];
  const inst = k.create(meterProvider.getMeter('bench'));
  const sets = Array.from({ length: n }, (_, i) => attributesOf(i, attrs, unique));
  for (let v = 0; v < values; v++)
    for (let i = 0; i < n; i++) k.record(inst, SPREAD[(i + v) % SPREAD.length], sets[i]);
}

const listen = (server) =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}/metrics`)),
  );
const close = (server) => new Promise((resolve) => server.close(resolve));

/**
 * The same series in every store, recorded `values` times per series (by
 * `recordUpTo`). `http` is the client process that times the GETs.
 * Options: `kind` ('histogram' | 'counter'), `handler` (setup's handler on a
 * bound stock provider), `promHttp` (prom-client served by node:http).
 */
export async function stores(
  http,
  n,
  attrs,
  unique,
  { kind = 'histogram', handler = false, promHttp = false } = {},
) {
  const k = KINDS[kind];
  const get = async (url, gzip) => {
    const r = await http.get(url, gzip ? { 'accept-encoding': 'gzip' } : {});
    return { bytes: r.bytes, clientMs: r.ms };
  };
  const ours = await ourEndpoint(n);
  const stock = new PrometheusExporter({ preventServerStart: true });
  const stockProvider = new MeterProvider({
    readers: [stock],
    views: [{ instrumentName: '*', aggregationCardinalityLimit: n + 10 }],
  });
  const providers = [ours.meterProvider, stockProvider];
  const servers = [];
  let handlerUrl;
  let handlerProvider;
  if (handler) {
    // Setup's endpoint where the application (or NodeSDK) built the provider:
    // its PrometheusReader in a stock provider, bound afterwards, served by
    // prometheusHandler() on a server of the application's.
    const handlerReader = new PrometheusReader({ cardinalityLimit: n + 10 });
    handlerProvider = bindMeterProvider(new MeterProvider({ readers: [handlerReader] }));
    const server = createServer(prometheusHandler(handlerReader));
    servers.push(server);
    handlerUrl = await listen(server);
    providers.push(handlerProvider);
  }
  const instruments = providers.map((p) => k.create(p.getMeter('bench')));
  const registry = new client.Registry();
  const keys = KEYS.slice(0, attrs).map(([key]) => key);
  const prom = k.prom(keys.map(promLabel), registry);
  const otelAttrs = Array.from({ length: n }, (_, i) => attributesOf(i, attrs, unique));
  const promLabels = otelAttrs.map((a) => Object.fromEntries(keys.map((key) => [promLabel(key), a[key]])));
  let recorded = 0;
  const stockSerializer = new PrometheusSerializer();
  const url = ours.prometheus.url;
  const reader = ours.prometheus.reader;
  // The transfer floor: a bare node:http server in this process sending a copy
  // of our body, already in memory, to the same client. What a scrape costs
  // beyond this is collection and rendering.
  let floorBody = Buffer.alloc(0);
  const floor = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': floorBody.length });
    res.end(floorBody);
  });
  servers.push(floor);
  const floorUrl = await listen(floor);
  let promUrl;
  if (promHttp) {
    // prom-client as an application serves it (its README's handler).
    const server = createServer(async (_req, res) => {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    });
    servers.push(server);
    promUrl = await listen(server);
  }
  const variants = [
    { name: 'ours-http', run: () => get(url, false) },
    { name: 'ours-http-gzip', run: () => get(url, true) },
    { name: 'floor-http', run: () => get(floorUrl, false) },
    ...(handler ? [{ name: 'handler-http', run: () => get(handlerUrl, false) }] : []),
    {
      name: 'ours-inprocess',
      run: async () => {
        const { chunks, release } = await reader.scrape();
        let bytes = 0;
        for (const c of chunks) bytes += c.length;
        // Done with the body, as the endpoint is once it is written: its chunks serve the next scrape.
        release();
        return { bytes };
      },
    },
    {
      name: 'stock',
      run: async () => {
        const { resourceMetrics } = await stock.collect();
        return { bytes: Buffer.byteLength(stockSerializer.serialize(resourceMetrics)) };
      },
    },
    { name: 'prom-client', run: async () => ({ bytes: Buffer.byteLength(await registry.metrics()) }) },
    ...(promHttp ? [{ name: 'prom-client-http', run: () => get(promUrl, false) }] : []),
  ];
  return {
    /** Records until every series holds `values` values, then copies the body the floor server sends. */
    async recordUpTo(values) {
      for (let v = recorded; v < values; v++) {
        for (let i = 0; i < n; i++) {
          const value = SPREAD[(i + v) % SPREAD.length];
          for (const inst of instruments) k.record(inst, value, otelAttrs[i]);
          k.promRecord(prom, promLabels[i], value);
        }
      }
      recorded = values;
      floorBody = Buffer.alloc(0);
      gc();
      const { chunks, release } = await reader.scrape();
      floorBody = Buffer.concat(chunks);
      release();
    },
    close: () =>
      Promise.all([
        ours.shutdown(),
        stockProvider.shutdown(),
        handlerProvider?.shutdown(),
        ...servers.map(close),
      ]),
    variants,
  };
}

/**
 * At 50k series one scrape of a baseline takes seconds to a minute: they run
 * once, and that run is both their first and their measured scrape (neither
 * keeps a cache a warm-up would fill).
 */
const once = (name, n) =>
  !QUICK && n >= 50_000 && (name === 'stock' || name === 'prom-client' || name === 'prom-client-http');

/** Measured rounds per variant after the first scrape; `small`: the count at 1k series. */
function roundsFor(name, n, small) {
  if (once(name, n)) return 0;
  if (QUICK) return 1;
  // Small scrapes take milliseconds, where one GC or scheduling hiccup doubles a figure: more rounds.
  // At 10k series (the target's cells) one noisy spell in 2 of 3 rounds moved a median from ~80 to 150 ms.
  // At 1k counter series, 9 rounds left the HTTP figures (~1 ms) moving by half between runs (2026-12-07).
  return n <= 1000 ? small : n <= 10_000 ? 5 : 3;
}

/** Every variant of `s`, interleaved round by round after one warm-up scrape each. */
/**
 * Medians over interleaved rounds of every variant of one cell. `smallRounds`:
 * rounds at 1k series (21 by default), for sections whose 1k cells take about
 * a millisecond, where 21 rounds leave a median moving by a tenth between runs.
 */
export async function measureCell(s, n, { smallRounds = 21 } = {}) {
  const stats = new Map(s.variants.map((v) => [v.name, { ms: [], block: [], first: undefined, bytes: 0 }]));
  const maxRounds = Math.max(...s.variants.map((v) => roundsFor(v.name, n, smallRounds)));
  for (let r = -1; r < maxRounds; r++) {
    const order = s.variants.map((_, i) => s.variants[(i + Math.max(r, 0)) % s.variants.length]);
    for (const v of order) {
      if (r >= roundsFor(v.name, n, smallRounds)) continue;
      await gcSettled();
      const res = await withLoopProbe(() => v.run());
      const st = stats.get(v.name);
      const block = res.maxGapMs;
      if (r < 0) {
        st.first = { ms: res.value.clientMs ?? res.wallMs, block };
        if (!once(v.name, n)) continue;
      }
      // HTTP: the time the client saw, request to last byte; in-process: wall time here.
      st.ms.push(res.value.clientMs ?? res.wallMs);
      st.block.push(block);
      st.bytes = res.value.bytes;
    }
  }
  const out = {};
  for (const [name, st] of stats) {
    out[name] = {
      ms: median(st.ms),
      firstMs: st.first.ms,
      maxBlockMs: Math.max(st.first.block, ...st.block),
      steadyBlockMs: Math.max(...st.block),
      bytes: st.bytes,
    };
  }
  return out;
}

/**
 * A throwaway cell, measured and dropped: the first cells measured in a fresh
 * process otherwise pay for JIT warm-up of every variant and of the client
 * process (1k-series cells took 2x their later figure when they came first).
 * `shape`: its attributes and unique values (1k series); a section whose
 * first cell is small gives that cell's, which a different warm-up shape left
 * slower than the same cell measured again later (section 8, 2026-12-07).
 */
export async function warmUp(http, options, values, { attrs = 6, unique = 2 } = {}) {
  const s = await stores(http, 1000, attrs, unique, options);
  await s.recordUpTo(values);
  for (let i = 0; i < (QUICK ? 1 : 3); i++) await measureCell(s, 1000);
  await s.close();
  gc();
}
