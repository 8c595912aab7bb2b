// 7. Merged cluster scrape: a node:cluster primary with 4 workers, each
// holding the same N histogram series (N = 10k, 2k with --quick; the scrape benchmark's
// 6-attribute, 2-unique shape, 14 semconv buckets, 3 values per series), so
// the merged body has N series whose counts are 4× one worker's.
// Two primaries run side by side, each with its own 4 workers:
// - tokenmeter: registerMetrics({ cluster: 'primary' }) / ({ cluster: 'worker' });
// - prom-client 15: AggregatorRegistry.clusterMetrics() (the registry in
//   every worker, as its docs say).
// This process scrapes both over HTTP, interleaved round by round, and asks
// each primary for the longest stall of its event loop during the scrape.
// Both bodies are checked (series count, summed counts) before anything is timed.

import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DURATION_BUCKETS } from '@tokenmeter/llm';
import { registerMetrics } from '@tokenmeter/setup';
import client from 'prom-client';
import { emit, fmtBytes, fmtMs, fmtX, median, QUICK } from './lib/harness.js';
import { get } from './lib/http-get.js';
import { attributesOf, KEYS, promLabel, SPREAD } from './lib/series-shape.js';

const WORKERS = 4;
// --quick keeps `pnpm test`'s benchmark smoke run short; CLUSTER_BENCH_SERIES=10000 gives the
// real shape in a quick run.
const SERIES = Number(process.env.CLUSTER_BENCH_SERIES ?? (QUICK ? 2000 : 10_000));
const ATTRS = 6;
const UNIQUE = 2;
const VALUES = 3;
const RECORD_EVERY_MS = 200;
const ROUNDS = QUICK ? 1 : 7;
const FIRST_ATTEMPTS = QUICK ? 1 : 3;
const BUCKETS = [...DURATION_BUCKETS];
const NAME = 'gen_ai.client.operation.duration';
const PROM_NAME = 'gen_ai_client_operation_duration_seconds';

/**
 * Since the last call: the longest setImmediate gap (how long the loop could not get round) and
 * the CPU time this process used, which a busy neighbour inflates far less than wall time.
 */
function loopProbe() {
  let max = 0;
  let cpu = process.cpuUsage();
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    if (now - last > max) max = now - last;
    last = now;
    setImmediate(tick).unref();
  };
  setImmediate(tick).unref();
  return () => {
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const out = { blockMs: max, cpuMs: (used.user + used.system) / 1000 };
    max = 0;
    return JSON.stringify(out);
  };
}

function recordOurs() {
  const telemetry = registerMetrics({
    serviceName: 'bench',
    cluster: 'worker',
    cardinalityLimit: SERIES + 10,
    detectResources: false,
    shutdownOnSignals: false,
  });
  const h = telemetry.meterProvider.getMeter('bench').createHistogram(NAME, {
    unit: 's',
    description: 'GenAI operation duration.',
    advice: { explicitBucketBoundaries: BUCKETS },
  });
  const attrs = Array.from({ length: SERIES }, (_, i) => Object.freeze(attributesOf(i, ATTRS, UNIQUE)));
  for (let i = 0; i < SERIES; i++)
    for (let k = 0; k < VALUES; k++) h.record(SPREAD[(i + k) % SPREAD.length], attrs[i]);
  return () => {
    for (let i = 0; i < SERIES; i++) h.record(SPREAD[i % SPREAD.length], attrs[i]);
  };
}

function recordPromClient() {
  new client.AggregatorRegistry(); // installs the worker's answer to the primary
  const keys = KEYS.slice(0, ATTRS).map(([k]) => k);
  const h = new client.Histogram({
    name: PROM_NAME,
    help: 'GenAI operation duration.',
    labelNames: keys.map(promLabel),
    buckets: BUCKETS,
  });
  const labels = Array.from({ length: SERIES }, (_, i) => {
    const a = attributesOf(i, ATTRS, UNIQUE);
    return Object.fromEntries(keys.map((k) => [promLabel(k), a[k]]));
  });
  for (let i = 0; i < SERIES; i++)
    for (let k = 0; k < VALUES; k++) h.observe(labels[i], SPREAD[(i + k) % SPREAD.length]);
  return () => {
    for (let i = 0; i < SERIES; i++) h.observe(labels[i], SPREAD[i % SPREAD.length]);
  };
}

async function forkWorkers(variant) {
  await Promise.all(
    Array.from(
      { length: WORKERS },
      () =>
        new Promise((resolve) => {
          cluster.fork({ BENCH_VARIANT: variant }).on('message', (m) => {
            if (m === 'recorded') resolve();
          });
        }),
    ),
  );
}

async function primary(variant) {
  const probe = loopProbe();
  // From the first /busy on, every worker records one more value into each of its series every
  // RECORD_EVERY_MS, so each scrape finds all of them changed.
  const busy = () => {
    for (const worker of Object.values(cluster.workers)) worker.send('busy');
    return 'ok';
  };
  let url;
  if (variant === 'tokenmeter') {
    const telemetry = registerMetrics({
      serviceName: 'bench',
      cluster: { role: 'primary', timeoutMillis: 30_000 },
      prometheus: { host: '127.0.0.1', port: 0 },
      cardinalityLimit: SERIES + 10,
      detectResources: false,
      shutdownOnSignals: false,
    });
    telemetry.addRoute('/probe', (_req, res) => res.end(String(probe())));
    telemetry.addRoute('/busy', (_req, res) => res.end(String(busy())));
    await telemetry.ready;
    url = telemetry.prometheus.url;
  } else {
    const registry = new client.AggregatorRegistry();
    const server = createServer(async (req, res) => {
      if (req.url === '/probe') return res.end(String(probe()));
      if (req.url === '/busy') return res.end(String(busy()));
      try {
        const body = await registry.clusterMetrics();
        res.setHeader('content-type', registry.contentType);
        res.end(body);
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${server.address().port}/metrics`;
  }
  await forkWorkers(variant);
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGKILL');
    process.exit(0);
  });
  process.stdout.write(`LISTENING ${url}\n`);
}

/** Starts one primary (and its workers) in a child process; resolves with its scrape URL. */
function startPrimary(variant) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, CLUSTER_BENCH_PRIMARY: variant },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`${variant} primary exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('LISTENING ')) resolve({ child, url: line.slice('LISTENING '.length) });
    });
  });
}

/** Series count and the summed `_count` of one body: both must be the merged truth. */
function verify(variant, body) {
  const counts = body.split('\n').filter((l) => l.startsWith(`${PROM_NAME}_count`));
  const total = counts.reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  if (counts.length !== SERIES || total !== WORKERS * SERIES * VALUES) {
    throw new Error(
      `${variant}: ${counts.length} series, ${total} values; expected ${SERIES}, ${WORKERS * SERIES * VALUES}: ${body.slice(0, 300)}`,
    );
  }
}

async function driver() {
  const primaries = {};
  for (const variant of ['tokenmeter', 'prom-client']) primaries[variant] = await startPrimary(variant);
  try {
    const stats = {};
    for (const [variant, { url }] of Object.entries(primaries)) {
      stats[variant] = {
        firstMs: Number.NaN,
        bytes: 0,
        failed: 0,
        idle: { ms: [], block: [], cpu: [], failed: 0 },
        busy: { ms: [], block: [], cpu: [], failed: 0 },
      };
      // The first good scrape: tokenmeter's workers define every series once; later ones send numbers.
      // prom-client fails a scrape when a worker takes over 5 s: tried up to FIRST_ATTEMPTS times.
      for (let attempt = 0; attempt < FIRST_ATTEMPTS && !(stats[variant].bytes > 0); attempt++) {
        const t0 = performance.now();
        const res = await fetch(url);
        const body = await res.text();
        if (res.status !== 200) {
          stats[variant].failed++;
          continue;
        }
        stats[variant].firstMs = performance.now() - t0;
        stats[variant].bytes = Buffer.byteLength(body);
        verify(variant, body);
      }
    }
    const variants = Object.keys(primaries);
    const rounds = async (phase) => {
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < variants.length; i++) {
          const variant = variants[(i + r) % variants.length];
          const { url } = primaries[variant];
          const base = url.replace(/\/metrics$/, '');
          await get(`${base}/probe`, false);
          const t0 = performance.now();
          const ok = await get(url, false).then(
            () => true,
            () => false,
          );
          const ms = performance.now() - t0;
          const { blockMs, cpuMs } = JSON.parse(await (await fetch(`${base}/probe`)).text());
          const s = stats[variant][phase];
          if (!ok) s.failed++;
          else {
            s.ms.push(ms);
            s.block.push(blockMs);
            s.cpu.push(cpuMs);
          }
        }
      }
    };
    await rounds('idle');
    for (const { url } of Object.values(primaries)) await fetch(url.replace(/\/metrics$/, '/busy'));
    await new Promise((r) => setTimeout(r, 2 * RECORD_EVERY_MS));
    await rounds('busy');
    return stats;
  } finally {
    for (const { child } of Object.values(primaries)) child.kill('SIGTERM');
  }
}

if (cluster.isWorker) {
  const recordRound = process.env.BENCH_VARIANT === 'tokenmeter' ? recordOurs() : recordPromClient();
  process.on('message', (m) => {
    if (m === 'busy') setInterval(recordRound, RECORD_EVERY_MS);
  });
  process.send('recorded');
} else if (process.env.CLUSTER_BENCH_PRIMARY) {
  await primary(process.env.CLUSTER_BENCH_PRIMARY);
} else {
  const stats = await driver();
  const ours = stats.tokenmeter;
  const theirs = stats['prom-client'];
  // Paired by round, over the rounds where both scrapes succeeded.
  const ratio = (phase) =>
    median(ours[phase].ms.slice(0, theirs[phase].ms.length).map((x, i) => x / theirs[phase].ms[i]));
  const rows = [];
  for (const [phase, what] of [
    ['busy', 'every series changed since the last scrape'],
    ['idle', 'nothing changed'],
  ]) {
    for (const [name, s] of [
      ['tokenmeter', ours],
      ['prom-client AggregatorRegistry', theirs],
    ]) {
      const p = s[phase];
      rows.push([
        name,
        what,
        p.ms.length ? fmtMs(median(p.ms)) : 'n/a',
        p.cpu.length ? fmtMs(median(p.cpu)) : 'n/a',
        p.block.length ? fmtMs(Math.max(...p.block)) : 'n/a',
        String(p.failed),
      ]);
    }
  }
  const busyRatio = ratio('busy');
  emit({
    id: 'cluster',
    title: `7. Merged cluster scrape: ${WORKERS} workers × ${SERIES.toLocaleString('en')} series`,
    intro: `A node:cluster primary with ${WORKERS} workers; each worker holds the same ${SERIES.toLocaleString('en')} histogram series (\`${NAME}\`, 14 semconv buckets, ${ATTRS} attributes of which ${UNIQUE} unique per series, ${VALUES} values each), so the merged body has ${SERIES.toLocaleString('en')} series with every count ${WORKERS}× one worker's (checked for both before timing). tokenmeter: \`registerMetrics({ cluster })\` in the primary and the workers; prom-client 15: \`AggregatorRegistry.clusterMetrics()\` with the registry in every worker. The two primaries run side by side with their own workers; one client scrapes both over HTTP, interleaved, ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} after a first scrape (for tokenmeter the one that carries every series definition). Primary CPU: user + system time the primary process used from just before to just after the scrape (what the merge and the render cost it, whoever else shares the machine). Loop block: the longest gap a setImmediate probe in the primary saw during a scrape.`,
    tables: [
      {
        columns: [
          '',
          'workers',
          'scrape (HTTP, median)',
          'primary CPU per scrape (median)',
          'primary loop block (worst)',
          'failed scrapes',
        ],
        rows,
      },
      {
        columns: ['', 'first scrape', 'body', 'failed first attempts'],
        rows: [
          ['tokenmeter', fmtMs(ours.firstMs), fmtBytes(ours.bytes), String(ours.failed)],
          [
            'prom-client AggregatorRegistry',
            fmtMs(theirs.firstMs),
            fmtBytes(theirs.bytes),
            String(theirs.failed),
          ],
        ],
      },
    ],
    notes: [
      `tokenmeter / prom-client, median of per-round ratios: ${fmtX(busyRatio)} with every series changed, ${fmtX(ratio('idle'))} with nothing changed. Failed scrapes: prom-client answers HTTP 500 ("Operation timed out") when a worker takes over 5 s to send its metrics.`,
      `"Every series changed": from the first of those rounds on, each worker records one more value into each of its ${SERIES.toLocaleString('en')} series every ${RECORD_EVERY_MS} ms, so the workers are busy recording while they are scraped, and every scrape carries every series' numbers.`,
      'What each does per scrape: tokenmeter workers send ids and numbers of the series that changed (a series is defined once), and the primary adds them into series it keeps (no label hashing), then renders with the same serializer as a single process; prom-client workers send every metric as JSON objects with their label sets, and the primary groups them by hashed label sets and renders the text.',
      "Not the same guarantees: prom-client fails the whole scrape when one worker does not answer within 5 s, and a worker that dies takes its counts with it (the totals drop); tokenmeter serves a silent worker at its last state and keeps a dead worker's totals.",
    ],
    targets: [
      {
        name: `merged scrape, ${WORKERS} workers × ${SERIES.toLocaleString('en')} series, every series changed (HTTP) ≤ prom-client`,
        measured: theirs.busy.ms.length
          ? `${fmtMs(median(ours.busy.ms))} vs ${fmtMs(median(theirs.busy.ms))} (${fmtX(busyRatio)})`
          : `${fmtMs(median(ours.busy.ms))} vs every prom-client scrape failed`,
        met: ours.busy.failed === 0 && (theirs.busy.ms.length === 0 || busyRatio <= 1),
      },
    ],
    raw: stats,
  });
}
